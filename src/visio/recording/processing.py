"""Turning Janus's raw recordings (``.mjr``, one per published track) into one file that
ordinary players open.

``janus-pp-rec`` (Debian ``janus-tools``) reads each ``.mjr``: its JSON header says when the
first packet was written, which places the track on the meeting's timeline, and it converts the
track to Opus or WebM. ``ffmpeg`` then mixes every audio track, each delayed to its place, into
one Opus stream, and for a video recording lays every camera and screen out in a grid (one tile
per published video track, black before it starts and after it ends), each tile labelled with
its publisher's name. Every tool runs as its own process at niceness 10, ffmpeg with
``threads`` threads: the event loop only waits.

**Names on tiles.** ``raw/names.json`` (written by the meeting side: Janus feed id → display
name) names each tile. A name never enters the filter string: it is written to a file of its
own (``label-N.txt``, read by ``drawtext`` with ``expansion=none``, so ``%{…}`` is not
evaluated either), and the filter names that file relatively, ffmpeg running in the work folder.
Control characters are dropped and a long name is cut to fit (``…``); right-to-left scripts are
shaped by FriBiDi (Debian's ffmpeg has it); the font is DejaVu Sans (Latin, Greek, Cyrillic,
Arabic, Hebrew; emoji show as boxes).
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

logger = logging.getLogger(__name__)

JANUS_PP_REC: Final = "janus-pp-rec"
FFMPEG: Final = "ffmpeg"
FFPROBE: Final = "ffprobe"
NICENESS: Final = "10"
CANVAS: Final = (960, 540)
FRAME_RATE: Final = 15
AUDIO_MEDIA_TYPE: Final = "audio/ogg"
VIDEO_MEDIA_TYPE: Final = "video/webm"
NAMES_FILE: Final = "names.json"
LABEL_CHARS: Final = 40
_JANUS_NAME: Final = re.compile(r"-user-(?P<feed>\d+)-\d+-(?:audio|video)-(?P<mindex>\d+)\.mjr$")


class ProcessingError(Exception):
    """A recording could not be turned into a file; the message says why (for the row)."""


@dataclass(frozen=True)
class Track:
    """One raw track: its file, audio or video, and where it starts on the timeline."""

    mjr: Path
    kind: Literal["audio", "video"]
    codec: str
    first_packet_us: int
    tile: str
    """What the track shows: the same publisher's same m-line keeps the same tile when they
    publish again (a new file)."""


@dataclass(frozen=True)
class Converted:
    track: Track
    path: Path
    offset_s: float
    duration_s: float


@dataclass(frozen=True)
class Processed:
    path: Path
    media_type: str
    duration_s: float
    size_bytes: int


async def _run(*command: str, timeout: float, cwd: Path | None = None) -> bytes:
    """Run one tool at low priority; return its standard output, or raise with its error."""
    process = await asyncio.create_subprocess_exec(
        "nice",
        "-n",
        NICENESS,
        *command,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=cwd,
    )
    try:
        async with asyncio.timeout(timeout):
            out, err = await process.communicate()
    except BaseException:
        if process.returncode is None:
            process.kill()
            await process.wait()
        raise
    if process.returncode != 0:
        tail = err.decode("utf-8", "replace").strip().splitlines()[-3:]
        raise ProcessingError(f"{command[0]} failed ({process.returncode}): {' | '.join(tail)}")
    return out


async def read_track(mjr: Path) -> Track | None:
    """The track's header as ``janus-pp-rec --json`` prints it; None for a track with no media
    (Janus opens the file before the first packet) or of a kind we do not record (data)."""
    try:
        header = json.loads(await _run(JANUS_PP_REC, "--json", str(mjr), timeout=60))
    except (ProcessingError, json.JSONDecodeError) as exc:
        logger.warning("recording %s: unreadable track %s: %s", mjr.parent.parent.name, mjr, exc)
        return None
    kind = {"a": "audio", "v": "video"}.get(str(header.get("t")))
    first = header.get("u")
    if kind is None or not isinstance(first, int) or first <= 0:
        return None
    name = _JANUS_NAME.search(mjr.name)
    tile = f"{name['feed']}-{name['mindex']}" if name else mjr.stem
    return Track(mjr, "audio" if kind == "audio" else "video", str(header.get("c")), first, tile)


async def _duration(path: Path) -> float:
    out = await _run(
        FFPROBE,
        "-v",
        "error",
        "-show_entries",
        "format=duration",
        "-of",
        "default=noprint_wrappers=1:nokey=1",
        str(path),
        timeout=60,
    )
    try:
        return float(out.decode().strip())
    except ValueError:
        return 0.0


async def _convert(track: Track, work: Path, origin_us: int) -> Converted | None:
    suffix = ".opus" if track.kind == "audio" else ".webm"
    target = work / (track.mjr.stem + suffix)
    try:
        await _run(JANUS_PP_REC, str(track.mjr), str(target), timeout=600)
        duration = await _duration(target)
    except ProcessingError as exc:
        logger.warning("could not convert %s: %s", track.mjr, exc)
        return None
    if duration <= 0:
        return None
    return Converted(track, target, (track.first_packet_us - origin_us) / 1e6, duration)


def grid(tiles: int, canvas: tuple[int, int] = CANVAS) -> list[tuple[int, int, int, int]]:
    """Where each of ``tiles`` tiles goes on the canvas: (x, y, width, height), even sizes."""
    columns = max(1, math.ceil(math.sqrt(tiles)))
    rows = max(1, math.ceil(tiles / columns))
    width = canvas[0] // columns // 2 * 2
    height = canvas[1] // rows // 2 * 2
    return [((i % columns) * width, (i // columns) * height, width, height) for i in range(tiles)]


def tile_label(name: str, limit: int = LABEL_CHARS) -> str:
    """A name as its tile shows it: control and format characters dropped (no line breaks,
    no bidirectional overrides), spaces collapsed, at most ``limit`` characters (``…`` when
    cut)."""
    kept = "".join(c for c in name if unicodedata.category(c)[0] != "C")
    text = " ".join(kept.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def read_names(raw: Path) -> dict[str, str]:
    """Feed id → display name from ``raw/names.json``; nothing when it is missing or not a
    JSON object of strings (a tile then has no label rather than processing failing)."""
    try:
        names = json.loads((raw / NAMES_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(names, dict):
        return {}
    return {str(k): v for k, v in names.items() if isinstance(v, str) and tile_label(v)}


def write_labels(
    video: Sequence[Converted], names: Mapping[str, str], work: Path
) -> dict[str, str]:
    """One ``label-N.txt`` per named tile in ``work``; tile → that file's name (relative)."""
    files: dict[str, str] = {}
    for tile in sorted({c.track.tile for c in video}):
        name = names.get(tile.split("-")[0])
        if name and tile_label(name):
            file = f"label-{len(files)}.txt"
            (work / file).write_text(tile_label(name), "utf-8")
            files[tile] = file
    return files


def mix_command(
    audio: Sequence[Converted],
    video: Sequence[Converted],
    target: Path,
    total_s: float,
    threads: int,
    *,
    with_video: bool,
    labels: Mapping[str, str] | None = None,
) -> list[str]:
    """The ffmpeg command that mixes ``audio`` (and, ``with_video``, lays ``video`` out in a
    grid) into ``target``: WebM (VP8 + Opus) with video, Ogg Opus without. ``labels`` maps a
    tile to the file holding its label (relative to where ffmpeg runs: see
    :func:`write_labels`)."""
    labels = labels or {}
    inputs: list[str] = []
    filters: list[str] = []
    for index, track in enumerate(audio):
        inputs += ["-i", str(track.path)]
        delay = max(0, round(track.offset_s * 1000))
        # async=1 fills the gaps the sender's silence left, so that later words stay in place.
        filters.append(
            f"[{index}:a]aresample=48000:async=1:first_pts=0,adelay=delays={delay}:all=1[a{index}]"
        )
    mixed = "".join(f"[a{i}]" for i in range(len(audio)))
    filters.append(
        f"{mixed}amix=inputs={len(audio)}:duration=longest:normalize=0,"
        f"apad=whole_dur={total_s:.3f}[aout]"
    )
    maps = ["-map", "[aout]"]
    codecs = ["-c:a", "libopus", "-b:a", "64k"]
    if with_video:
        tiles = sorted({c.track.tile for c in video})
        places = dict(zip(tiles, grid(max(1, len(tiles))), strict=False))
        filters.append(
            f"color=c=black:s={CANVAS[0]}x{CANVAS[1]}:r={FRAME_RATE}:d={total_s:.3f}[base0]"
        )
        for number, track in enumerate(video):
            index = len(audio) + number
            # Simulcast makes a track change size midway (Janus records the best layer it gets);
            # rebuilding the whole graph then would lose the other tiles: scale copes instead.
            inputs += ["-reinit_filter", "0", "-i", str(track.path)]
            x, y, width, height = places[track.track.tile]
            label = labels.get(track.track.tile)
            if label is not None and not re.fullmatch(r"label-\d+\.txt", label):
                raise ValueError(f"unsafe label file name {label!r}")
            size = max(12, height // 14)
            text = (
                f",drawtext=font=DejaVu Sans:textfile={label}:expansion=none:fontsize={size}"
                f":fontcolor=white:box=1:boxcolor=black@0.6:boxborderw={size // 3}"
                f":x={size // 2}:y=h-th-{size}"
                if label
                else ""
            )
            filters.append(
                f"[{index}:v]setpts=PTS-STARTPTS+{track.offset_s:.3f}/TB,"
                f"scale={width}:{height}:force_original_aspect_ratio=decrease,"
                f"pad={width}:{height}:(ow-iw)/2:(oh-ih)/2,setsar=1{text}[v{number}]"
            )
            filters.append(
                f"[base{number}][v{number}]overlay={x}:{y}:eof_action=pass[base{number + 1}]"
            )
        filters.append(f"[base{len(video)}]fps={FRAME_RATE},format=yuv420p[vout]")
        maps += ["-map", "[vout]"]
        codecs += [
            "-c:v",
            "libvpx",
            "-deadline",
            "realtime",
            "-cpu-used",
            "8",
            "-b:v",
            "1M",
            "-crf",
            "20",
        ]
    return [
        FFMPEG,
        "-nostdin",
        "-hide_banner",
        "-loglevel",
        "error",
        "-y",
        *inputs,
        "-filter_complex",
        ";".join(filters),
        *maps,
        *codecs,
        "-threads",
        str(threads),
        "-filter_complex_threads",
        str(threads),
        "-t",
        f"{total_s:.3f}",
        "-f",
        "webm" if with_video else "ogg",
        str(target),
    ]


async def process(
    raw: Path,
    work: Path,
    target_base: Path,
    *,
    video: bool,
    threads: int,
    started_us: int | None = None,
) -> Processed:
    """Turn the ``.mjr`` files in ``raw`` into ``target_base`` + ``.webm`` (``video``) or
    ``.ogg``; intermediate files go to ``work``. Raise :class:`ProcessingError` when there is
    nothing to make a file of.

    ``started_us`` (microseconds since the epoch) is when the recording started: the file's
    time zero, so that a moment of the meeting (a transcript's turn) is found in it by
    subtracting the recording's start. Without it, or when a track's first packet is dated
    earlier (Janus's clock behind the server's), the first packet is time zero."""
    # ffmpeg runs in ``work`` (its label files are named relatively): every path is absolute.
    raw, work, target_base = await asyncio.to_thread(
        lambda: (raw.absolute(), work.absolute(), target_base.absolute())
    )
    await asyncio.to_thread(work.mkdir, exist_ok=True)  # not its parent: it may be deleted
    files = await asyncio.to_thread(lambda: sorted(raw.glob("*.mjr")))
    tracks = [t for t in [await read_track(m) for m in files] if t]
    if not video:
        tracks = [t for t in tracks if t.kind == "audio"]
    if not any(t.kind == "audio" for t in tracks):
        raise ProcessingError("no audio was recorded (nobody published a microphone)")
    origin = min([t.first_packet_us for t in tracks] + ([started_us] if started_us else []))
    converted = [c for c in [await _convert(t, work, origin) for t in tracks] if c]
    audio = [c for c in converted if c.track.kind == "audio"]
    if not audio:
        raise ProcessingError("no audio track could be read")
    pictures = [c for c in converted if c.track.kind == "video"]
    total = max(c.offset_s + c.duration_s for c in converted)
    target = target_base.with_suffix(".webm" if video else ".ogg")
    partial = target.with_name(target.name + ".part")
    timeout = max(600.0, total * 10)
    names = await asyncio.to_thread(read_names, raw)
    labels = await asyncio.to_thread(write_labels, pictures, names, work) if video else {}
    command = mix_command(audio, pictures, partial, total, threads, with_video=video, labels=labels)
    try:
        await _run(*command, timeout=timeout, cwd=work)
    except BaseException:
        await asyncio.to_thread(partial.unlink, missing_ok=True)
        raise
    partial.replace(target)  # the finished file appears whole, or not at all
    return Processed(
        path=target,
        media_type=VIDEO_MEDIA_TYPE if video else AUDIO_MEDIA_TYPE,
        duration_s=await _duration(target),
        size_bytes=target.stat().st_size,
    )
