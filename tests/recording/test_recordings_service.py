"""A recording's life on SQLite and on a real PostgreSQL, with real files, janus-pp-rec and
ffmpeg: processed once finished, processed again after a restart, expired by retention and
deleted with its files, each deletion in the audit trail."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.postgres import throwaway_postgres
from tests.recording.test_recording_processing import ALICE, BOB
from visio.audit import AuditTrail
from visio.recording import RecordingReady, Recordings, RecordingStore, StoredRecording
from visio.rooms.repository import RoomRepository, StoredRoom
from visio.settings import Settings
from visio.storage.database import create_engine, migrate, session_factory


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    with throwaway_postgres() as url:
        yield url


@dataclass
class World:
    settings: Settings
    recordings: Recordings
    audit: AuditTrail
    room: StoredRoom

    def restarted(self) -> Recordings:
        """The same storage as a new server process would see it."""
        return Recordings(self.settings, self.recordings.store, self.audit)


@pytest.fixture(params=["sqlite", "postgresql"])
async def world(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[World]:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'visio.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    engine = create_engine(url)
    try:
        await migrate(engine)
        sessions = session_factory(engine)
        settings = Settings(data_dir=tmp_path, recording_retention_days=30)
        audit = AuditTrail(sessions)
        room = await RoomRepository(sessions).create()
        yield World(settings, Recordings(settings, RecordingStore(sessions), audit), audit, room)
    finally:
        await engine.dispose()


async def recorded(world: World, kind: str = "audio") -> StoredRecording:
    """A recording whose raw folder holds what Janus wrote of Alice and Bob."""
    recording = await world.recordings.begin(world.room.id, world.room.slug, "audio", 7, "Alice")
    assert kind == "audio"
    for track in (ALICE, BOB):
        shutil.copy(track, world.recordings.raw_folder(recording.id) / track.name)
    return recording


async def test_a_finished_recording_is_processed_and_announced(world: World) -> None:
    """recording -> processing -> ready, with the file's size, duration and type stored, the raw
    tracks removed, and the ready event given the recording and its room."""
    heard: list[RecordingReady] = []

    async def listener(ready: RecordingReady) -> None:
        heard.append(ready)

    world.recordings.on_ready(listener)
    recording = await recorded(world)
    assert (await world.recordings.store.get(recording.id)) == recording
    await world.recordings.finish(recording.id)
    assert (await world.recordings.store.get(recording.id)).status == "processing"  # type: ignore[union-attr]
    await world.recordings.wait_idle()
    ready = await world.recordings.store.get(recording.id)
    assert ready is not None and ready.status == "ready", ready
    assert ready.media_type == "audio/ogg" and ready.ended_at is not None
    assert ready.duration_s is not None and 8 < ready.duration_s < 9.5
    path = world.recordings.media_path(ready)
    assert path is not None and path.stat().st_size == ready.size_bytes
    assert not world.recordings.raw_folder(recording.id).exists()
    assert heard == [RecordingReady(recording.id, world.room.id, world.room.slug)]


async def test_a_recording_with_nothing_to_mix_fails_with_its_reason(world: World) -> None:
    """No microphone was published: the recording is ``failed`` with a reason, no file."""
    recording = await world.recordings.begin(world.room.id, world.room.slug, "video", None, "G")
    await world.recordings.finish(recording.id)
    await world.recordings.wait_idle()
    failed = await world.recordings.store.get(recording.id)
    assert failed is not None and failed.status == "failed"
    assert failed.error == "no audio was recorded (nobody published a microphone)"
    assert world.recordings.media_path(failed) is None


async def test_recordings_a_restart_interrupted_are_processed_at_start(world: World) -> None:
    """The server stopped while one recording was recorded and another processed: the next
    start processes both; nothing is left unfinished."""
    cut_while_recording = await recorded(world)
    cut_while_processing = await recorded(world)
    await world.recordings.store.change(cut_while_processing.id, status="processing")
    again = world.restarted()
    assert await again.resume() == 2
    await again.wait_idle()
    for recording in (cut_while_recording, cut_while_processing):
        done = await again.store.get(recording.id)
        assert done is not None and done.status == "ready", done
        assert done.ended_at is not None
    assert await again.store.unfinished() == []


async def test_retention_deletes_old_recordings_with_their_files(world: World) -> None:
    """Past VISIO_RECORDING_RETENTION_DAYS a recording and its folder go, audited; a recent one
    stays, and one still recording is never purged."""
    old, recent, live = await recorded(world), await recorded(world), await recorded(world)
    for recording in (old, recent):  # as processing leaves them (tested above), both files kept
        processed = world.recordings.folder(recording.id) / "recording.ogg"
        processed.write_bytes(b"OggS")
        await world.recordings.store.change(
            recording.id, status="ready", file_path=f"{recording.id}/recording.ogg"
        )
    long_ago = datetime.now(UTC) - timedelta(days=31)
    for recording in (old, live):
        await world.recordings.store.change(recording.id, started_at=long_ago)
    assert world.recordings.folder(old.id).exists()

    assert await world.recordings.purge() == 1
    assert await world.recordings.store.get(old.id) is None
    assert not world.recordings.folder(old.id).exists()
    assert (await world.recordings.store.get(recent.id)) is not None
    assert world.recordings.folder(recent.id).exists()
    assert (await world.recordings.store.get(live.id)) is not None
    events = await world.audit.query(event="recording.deleted")
    assert [(e.target, e.actor, e.details["recording"], e.details["reason"]) for e in events] == [
        (world.room.slug, "retention", old.id, "retention")
    ]


async def test_deleting_while_processing_leaves_no_file_behind(world: World) -> None:
    """Deleted while ffmpeg works: the row and folder are gone when processing ends."""
    recording = await recorded(world)
    await world.recordings.finish(recording.id)
    stored = await world.recordings.store.get(recording.id)
    assert stored is not None
    await world.recordings.delete(stored, actor="test")
    await world.recordings.wait_idle()
    assert await world.recordings.store.get(recording.id) is None
    assert not await asyncio.to_thread(world.recordings.folder(recording.id).exists)
