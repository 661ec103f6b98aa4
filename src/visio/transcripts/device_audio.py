"""A shared room device's own audio, as Janus recorded it, on the transcript's clock.

Janus's VideoRoom writes one ``.mjr`` per published track, named
``videoroom-<room>-user-<feed>-<time>-audio-<mindex>.mjr``, into the transcript's private spool
folder, ``<recordings dir>/shared-devices/<transcript id>/``, in one of two ways: while the
meeting is not recorded, Janus records each shared device on its own straight into the spool
(:mod:`visio.rooms.device_spool`); while it is, the device is in the recording's raw folder, and
its audio tracks are *linked* into the spool (a hard link: the same file, no copy, and Janus may
still be appending to it) when the recording stops or the transcript ends, before processing
the recording deletes its raw folder. The split deletes the spooled tracks.

Decoding runs in the split's worker process (:mod:`visio.transcripts.voice_split`):
``janus-pp-rec`` reads each track's header (its first packet's wall-clock time, microseconds
since the epoch) and converts it to Opus, ``ffmpeg`` decodes it to 16 kHz mono, and each track
is placed on one timeline at its first packet's time: the same wall clock the transcript's
turns carry (Janus and the app server share a clock: NTP, or one machine).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import numpy as np
from numpy.typing import NDArray

from visio.recording.processing import FFMPEG, JANUS_PP_REC, NICENESS

logger = logging.getLogger(__name__)

RATE: Final = 16000
SPOOL: Final = "shared-devices"
"""The spool's folder under ``VISIO_RECORDINGS_DIR``."""
MAX_HOURS: Final = 12
"""A device's timeline longer than this is refused (a clock gone wrong, not a meeting)."""


class DeviceAudioError(Exception):
    """The device's tracks are there but none could be decoded; the message says why."""


@dataclass(frozen=True)
class DeviceAudio:
    samples: NDArray[np.float32]
    """16 kHz mono, silence where the device sent nothing."""
    started_at: datetime
    """When the first sample was heard (the earliest track's first packet)."""


def track_of(mjr: Path) -> tuple[int, str] | None:
    """The Janus feed id and kind (``audio``, ``video``, ``data``) of a track written by the
    VideoRoom (None: another file)."""
    parts = mjr.name.removesuffix(".mjr").split("-")
    # videoroom-<room>-user-<feed>-<time>-<kind>-<mindex>
    if len(parts) != 7 or parts[0] != "videoroom" or parts[2] != "user" or not parts[3].isdigit():
        return None
    return int(parts[3]), parts[5]


def feed_of(mjr: Path) -> int | None:
    """The Janus feed id of an audio track written by the VideoRoom (None: another file)."""
    found = track_of(mjr)
    return found[0] if found is not None and found[1] == "audio" else None


def keep_tracks(raw: Path, spool: Path, feeds: Iterable[int]) -> int:
    """Link the audio tracks of ``feeds`` found in a recording's ``raw`` folder into the
    ``spool`` folder; a track already there is left as it is. Return how many were linked."""
    wanted = set(feeds)
    linked = 0
    for mjr in sorted(raw.glob("*.mjr")) if raw.is_dir() else []:
        feed = feed_of(mjr)
        if feed is None or feed not in wanted:
            continue
        target = _free_name(spool, mjr)
        if target is None:
            continue
        spool.mkdir(parents=True, exist_ok=True)
        try:
            os.link(mjr, target)
        except OSError:  # another file system: copy what is written so far
            shutil.copyfile(mjr, target)
        linked += 1
    return linked


def _free_name(spool: Path, mjr: Path) -> Path | None:
    """Where ``mjr`` goes in the spool: its own name, or (when the spool holds another track of
    that name: Janus names a publisher's files after the base it was last given) the same with a
    counter after the time; None when it is there already."""
    parts = mjr.name.split("-")
    for number in range(100):
        if number:
            parts[4] = f"{mjr.name.split('-')[4]}k{number}"
        target = spool / "-".join(parts)
        if not target.exists():
            return target
        if os.path.samefile(target, mjr):
            return None
    raise OSError(f"too many tracks named like {mjr.name}")


def remove_feed(spool: Path, feed: int) -> None:
    """Delete every track of ``feed`` in the spool (its camera's too, if Janus recorded it)."""
    for mjr in sorted(spool.glob("*.mjr")) if spool.is_dir() else []:
        found = track_of(mjr)
        if found is not None and found[0] == feed:
            mjr.unlink(missing_ok=True)


def _run(*command: str, timeout: float) -> bytes:
    done = subprocess.run(  # noqa: S603 - fixed tools, paths we made
        ["nice", "-n", NICENESS, *command],  # noqa: S607 - the tools are found on PATH
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-2:]
        raise DeviceAudioError(f"{command[0]} failed ({done.returncode}): {' | '.join(tail)}")
    return done.stdout


def _first_packet_us(mjr: Path) -> int | None:
    try:
        header = json.loads(_run(JANUS_PP_REC, "--json", str(mjr), timeout=60))
    except (DeviceAudioError, ValueError, subprocess.TimeoutExpired) as exc:
        logger.warning("shared device track %s unreadable: %s", mjr, exc)
        return None
    first = header.get("u") if isinstance(header, dict) else None
    if header.get("t") != "a" or not isinstance(first, int) or first <= 0:
        return None
    return first


def _samples(mjr: Path, work: Path) -> NDArray[np.float32] | None:
    opus = work / (mjr.stem + ".opus")
    try:
        _run(JANUS_PP_REC, str(mjr), str(opus), timeout=600)
        pcm = _run(
            FFMPEG, "-nostdin", "-v", "error", "-i", str(opus),
            "-ac", "1", "-ar", str(RATE), "-f", "s16le", "-",
            timeout=600,
        )  # fmt: skip
    except (DeviceAudioError, subprocess.TimeoutExpired) as exc:
        logger.warning("shared device track %s not decoded: %s", mjr, exc)
        return None
    finally:
        opus.unlink(missing_ok=True)
    return (np.frombuffer(pcm, dtype="<i2") / 32768).astype(np.float32)


def tracks_of(folder: Path, feed: int) -> list[Path]:
    """The audio tracks of ``feed`` in ``folder``."""
    found = sorted(folder.glob("*.mjr")) if folder.is_dir() else []
    return [mjr for mjr in found if feed_of(mjr) == feed]


def decode(folder: Path, feed: int, work: Path) -> DeviceAudio | None:
    """The audio tracks of ``feed`` in ``folder`` on one 16 kHz timeline; None when there is
    no such track. Raise :class:`DeviceAudioError` when there are tracks but none decodes."""
    tracks = tracks_of(folder, feed)
    if not tracks:
        return None
    work.mkdir(parents=True, exist_ok=True)
    placed: list[tuple[int, NDArray[np.float32]]] = []
    for mjr in tracks:
        first = _first_packet_us(mjr)
        samples = _samples(mjr, work) if first is not None else None
        if first is not None and samples is not None and samples.size:
            placed.append((first, samples))
    if not placed:
        raise DeviceAudioError(f"none of the device's {len(tracks)} tracks could be decoded")
    origin = min(first for first, _ in placed)
    ends = [round((first - origin) * RATE / 1e6) + s.size for first, s in placed]
    if max(ends) > MAX_HOURS * 3600 * RATE:
        raise DeviceAudioError("the device's tracks span more than a meeting can last")
    timeline = np.zeros(max(ends), dtype=np.float32)
    for first, samples in placed:
        at = round((first - origin) * RATE / 1e6)
        timeline[at : at + samples.size] += samples
    np.clip(timeline, -1.0, 1.0, out=timeline)
    return DeviceAudio(timeline, datetime.fromtimestamp(origin / 1e6, UTC))
