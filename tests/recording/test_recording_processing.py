"""Turning raw Janus tracks into one file: real ``.mjr`` files (recorded by Janus from two
Chromium participants playing 440 Hz and 660 Hz tones; Bob's started 5.8 s after Alice's),
real janus-pp-rec and ffmpeg."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from tests.recording.media import RATE, decoded_audio, level_dbfs, probe, tone_share
from visio.recording.processing import ProcessingError, grid, process, read_track

FIXTURES = Path(__file__).parent / "fixtures"
ALICE = FIXTURES / "videoroom-1-user-1-1796199503053165-audio-0.mjr"
BOB = FIXTURES / "videoroom-1-user-2-1796199507926720-audio-0.mjr"
BOB_STARTS_S = (1796199508891109 - 1796199503063237) / 1e6
"""When Bob's first packet came after Alice's (``janus-pp-rec --json``: ``u``)."""


@pytest.fixture
def raw(tmp_path: Path) -> Path:
    folder = tmp_path / "raw"
    folder.mkdir()
    for track in (ALICE, BOB):
        shutil.copy(track, folder / track.name)
    return folder


async def test_processing_mixes_the_voices_each_at_its_place_in_time(
    raw: Path, tmp_path: Path
) -> None:
    """The Ogg Opus file holds Alice's tone from the start and Bob's only from when he spoke."""
    done = await process(raw, tmp_path / "work", tmp_path / "recording", video=False, threads=1)
    assert done.path == tmp_path / "recording.ogg" and done.media_type == "audio/ogg"
    found = probe(done.path)
    assert found.codecs("audio") == ["opus"] and found.codecs("video") == []
    assert done.size_bytes == done.path.stat().st_size
    assert 8.0 < done.duration_s < 9.5
    audio = decoded_audio(done.path)
    before = audio[: int((BOB_STARTS_S - 0.5) * RATE)]
    after = audio[int((BOB_STARTS_S + 0.5) * RATE) :]
    assert tone_share(before, 440) > 0.1 and tone_share(before, 660) < 0.01
    assert tone_share(after, 440) > 0.1 and tone_share(after, 660) > 0.1


async def test_the_file_starts_when_the_recording_started(raw: Path, tmp_path: Path) -> None:
    """Started two seconds before anyone's first packet: the file opens on two seconds of
    silence, so a moment of the meeting lies at (moment - recording's start) in it."""
    files = await asyncio.to_thread(lambda: sorted(raw.glob("*.mjr")))
    tracks = [await read_track(m) for m in files]
    first_us = min(t.first_packet_us for t in tracks if t)
    done = await process(
        raw,
        tmp_path / "work",
        tmp_path / "recording",
        video=False,
        threads=1,
        started_us=first_us - 2_000_000,
    )
    assert 10.0 < done.duration_s < 11.5
    audio = decoded_audio(done.path)
    assert level_dbfs(audio[: int(1.8 * RATE)]) < -60
    assert tone_share(audio[int(2.2 * RATE) : int(3.5 * RATE)], 440) > 0.1


async def test_processing_skips_unreadable_tracks(raw: Path, tmp_path: Path) -> None:
    """A truncated or foreign file is left out; the other tracks still make the recording."""
    (raw / "videoroom-1-user-3-1-audio-0.mjr").write_bytes(b"MJR00002\x00\x05{zzz")
    (raw / "videoroom-1-user-4-1-audio-0.mjr").write_bytes(b"")
    assert await read_track(raw / "videoroom-1-user-3-1-audio-0.mjr") is None
    done = await process(raw, tmp_path / "work", tmp_path / "recording", video=False, threads=1)
    assert probe(done.path).codecs("audio") == ["opus"]


async def test_processing_without_any_voice_fails_and_leaves_no_file(tmp_path: Path) -> None:
    """Nobody published a microphone: a clear error, and no half-written file."""
    (tmp_path / "raw").mkdir()
    with pytest.raises(ProcessingError, match="no audio was recorded"):
        await process(
            tmp_path / "raw", tmp_path / "work", tmp_path / "recording", video=True, threads=1
        )
    assert not [p.name for p in await asyncio.to_thread(tmp_path.iterdir) if "recording" in p.name]


def test_grid_places_every_tile_inside_the_canvas() -> None:
    """One to twelve tiles: even sizes, no overlap, nothing outside 960x540."""
    for tiles in range(1, 13):
        places = grid(tiles)
        assert len(places) == tiles
        for x, y, width, height in places:
            assert width % 2 == 0 and height % 2 == 0
            assert x + width <= 960 and y + height <= 540
        assert len({(x, y) for x, y, _, _ in places}) == tiles
