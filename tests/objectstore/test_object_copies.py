"""Copies of recordings and transcripts in a real S3 server (SeaweedFS), through Visio's own
services on a real SQLite database: made once a recording is processed or a transcript
complete, exact to the byte, in parts when large, deleted with their originals (by an owner
or by retention, audited), and retried while the store cannot be reached, the local file
kept meanwhile."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.objectstore.seaweed import S3Server, seaweedfs
from tests.recording.test_recording_processing import ALICE, BOB
from tests.support import free_port
from visio.audit import AuditTrail
from visio.recording import RecordingReady, Recordings, RecordingStore, StoredRecording
from visio.recording.copies import ObjectCopies
from visio.rooms.repository import RoomRepository, StoredRoom
from visio.rooms.transcription import TranscriptReady
from visio.settings import Settings
from visio.storage.database import create_engine, migrate, session_factory
from visio.storage.objects import ObjectStore
from visio.transcripts import exports
from visio.transcripts.store import TranscriptStore, Turn


@dataclass
class World:
    settings: Settings
    recordings: Recordings
    transcripts: TranscriptStore
    copies: ObjectCopies
    audit: AuditTrail
    room: StoredRoom


@asynccontextmanager
async def world_of(tmp_path: Path, **settings: Any) -> AsyncIterator[World]:
    """Visio's recordings, transcripts and object copies on a fresh SQLite database."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'visio.db'}")
    try:
        await migrate(engine)
        sessions = session_factory(engine)
        config = Settings(data_dir=tmp_path, **settings)
        audit = AuditTrail(sessions)
        room = await RoomRepository(sessions).create()
        recordings = Recordings(config, RecordingStore(sessions), audit)
        transcripts = TranscriptStore(sessions)
        copies = ObjectCopies(config, ObjectStore(config), recordings, transcripts, audit)
        recordings.copies = copies
        recordings.on_ready(copies.recording_ready)
        try:
            yield World(config, recordings, transcripts, copies, audit, room)
        finally:
            copies.close()
            recordings.close()
    finally:
        await engine.dispose()


async def ready_recording(world: World, content: bytes = b"OggS fake opus") -> StoredRecording:
    """A recording already processed: its file written, its row ``ready``."""
    recording = await world.recordings.begin(world.room.id, world.room.slug, "audio", 7, "Alice")
    file = world.recordings.folder(recording.id) / "recording.ogg"
    file.write_bytes(content)
    await world.recordings.store.change(
        recording.id,
        status="ready",
        file_path=f"{recording.id}/recording.ogg",
        media_type="audio/ogg",
        size_bytes=len(content),
        duration_s=1.0,
    )
    stored = await world.recordings.store.get(recording.id)
    assert stored is not None
    return stored


async def finished_transcript(world: World, started_at: datetime | None = None) -> int:
    started = started_at or datetime.now(UTC) - timedelta(minutes=5)
    transcript_id = await world.transcripts.create(world.room.id, started, "Alice", None, "fr")
    for n, (speaker, words) in enumerate([("Alice", "Bonjour à tous"), ("Bob", "Merci")]):
        at = started + timedelta(seconds=2 * n)
        await world.transcripts.add_turn(
            transcript_id, Turn(f"p_{n}", speaker, None, at, at + timedelta(seconds=1), words, "fr")
        )
    await world.transcripts.finish(transcript_id, started + timedelta(minutes=1), "complete")
    return transcript_id


async def test_a_processed_recording_is_copied_with_its_exact_bytes(
    tmp_path: Path, s3: S3Server, bucket: str
) -> None:
    """Real tracks processed by ffmpeg: once ready, the bucket holds the same bytes under
    ``visio/recordings/<id>/``, with the file's SHA-256 in the object's metadata."""
    async with world_of(tmp_path, **s3.settings(bucket)) as world:
        recording = await world.recordings.begin(
            world.room.id, world.room.slug, "audio", 7, "Alice"
        )
        for track in (ALICE, BOB):
            shutil.copy(track, world.recordings.raw_folder(recording.id) / track.name)
        await world.recordings.finish(recording.id)
        await world.recordings.wait_idle()
        await world.copies.wait_idle()
        ready = await world.recordings.store.get(recording.id)
        assert ready is not None and ready.status == "ready"
        local = world.recordings.media_path(ready)
        assert local is not None
        key = f"visio/recordings/{recording.id}/recording.ogg"
        assert s3.keys(bucket) == [key]
        assert s3.read(bucket, key) == local.read_bytes()
        head = s3.client().head_object(Bucket=bucket, Key=key)
        assert head["Metadata"]["sha256"] == hashlib.sha256(local.read_bytes()).hexdigest()
        assert head["ContentType"] == "audio/ogg"
        assert world.copies.failed_attempts == 0


async def test_a_large_file_goes_up_in_checksummed_parts(
    tmp_path: Path, s3: S3Server, bucket: str
) -> None:
    """A file over the part size (5 MiB here) goes up as a multipart upload, each part with
    its SHA-256; the store's composite checksum matches the one computed from the file."""
    content = os.urandom(11 * 1024 * 1024 + 17)
    async with world_of(tmp_path, **s3.settings(bucket), object_store_part_size_mb=5) as world:
        recording = await ready_recording(world, content)
        assert await world.copies.copy_recording(recording.id)
    key = f"visio/recordings/{recording.id}/recording.ogg"
    head = s3.client().head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    assert head["ETag"].strip('"').endswith("-3")
    assert head["ChecksumSHA256"].endswith("-3")
    assert s3.read(bucket, key) == content


async def test_deleting_a_recording_deletes_its_copy_and_audits_it(
    tmp_path: Path, s3: S3Server, bucket: str
) -> None:
    """An owner deletes a recording: file, row and object go; the audit event says the
    copies were deleted."""
    async with world_of(tmp_path, **s3.settings(bucket)) as world:
        recording = await ready_recording(world)
        assert await world.copies.copy_recording(recording.id)
        assert len(s3.keys(bucket)) == 1
        await world.recordings.delete(recording, actor_user_id=None, actor="pierre")
        assert s3.keys(bucket) == []
        assert not world.recordings.folder(recording.id).exists()
        [event] = await world.audit.query(event="recording.deleted")
        assert event.actor == "pierre"
        assert event.details["object_copies"] == "deleted"
        assert event.details["objects_deleted"] == 1


async def test_retention_deletes_the_copies_of_recordings_and_transcripts(
    tmp_path: Path, s3: S3Server, bucket: str
) -> None:
    """Past retention, the recording's purge deletes its object at once, and the sweep after
    the transcripts' purge deletes theirs (audited); recent ones keep their copies."""
    async with world_of(tmp_path, **s3.settings(bucket)) as world:
        old_recording, recent_recording = await ready_recording(world), await ready_recording(world)
        long_ago = datetime.now(UTC) - timedelta(days=40)
        await world.recordings.store.change(old_recording.id, started_at=long_ago)
        old_transcript = await finished_transcript(world, long_ago)
        recent_transcript = await finished_transcript(world)
        assert await world.copies.sweep() == (0, 4)  # the copies the sweep finds missing
        assert len(s3.keys(bucket)) == 2 + 2 * 5

        assert await world.recordings.purge() == 1
        assert await world.transcripts.purge(datetime.now(UTC) - timedelta(days=30)) == 1
        assert await world.copies.sweep() == (5, 0)
        left = s3.keys(bucket)
        assert f"visio/recordings/{recent_recording.id}/recording.ogg" in left
        assert not any(old_recording.id in key for key in left)
        assert not any(key.startswith(f"visio/transcripts/{old_transcript}/") for key in left)
        assert sum(key.startswith(f"visio/transcripts/{recent_transcript}/") for key in left) == 5
        [swept] = await world.audit.query(event="object_copy.deleted")
        assert swept.details == {
            "transcript": str(old_transcript),
            "objects_deleted": 5,
            "reason": "its transcript no longer exists",
        }
        [purged] = await world.audit.query(event="recording.deleted")
        assert purged.details["reason"] == "retention"
        assert purged.details["object_copies"] == "deleted"


async def test_a_complete_transcript_is_copied_in_every_export_format(
    tmp_path: Path, s3: S3Server, bucket: str
) -> None:
    """The transcript-ready event copies WebVTT, SRT, Markdown, DOCX and JSON, each the same
    bytes the download gives."""
    async with world_of(tmp_path, **s3.settings(bucket)) as world:
        transcript_id = await finished_transcript(world)
        await world.copies.transcript_ready(TranscriptReady(transcript_id, world.room.slug, 2))
        await world.copies.wait_idle()
        transcript = await world.transcripts.get(transcript_id)
        turns = await world.transcripts.turns(transcript_id)
        assert transcript is not None
        for format in ("vtt", "srt", "md", "docx", "json"):
            exported = exports.export(transcript, turns, format)  # type: ignore[arg-type]
            key = f"visio/transcripts/{transcript_id}/transcript.{exported.extension}"
            stored = s3.read(bucket, key)
            if format == "docx":  # a zip: its entries carry the time they were written
                assert stored.startswith(b"PK") and len(stored) > 1000
            else:
                assert stored == exported.body, format
        as_json = json.loads(s3.read(bucket, f"visio/transcripts/{transcript_id}/transcript.json"))
        assert "Bonjour" in json.dumps(as_json, ensure_ascii=False)


async def test_a_transcript_changed_after_its_copy_is_copied_again(
    tmp_path: Path, s3: S3Server, bucket: str
) -> None:
    """A speaker renamed after the transcript was copied: the copies are made again and say
    the new name; a copy asked twice at once ends with the newest turns."""
    async with world_of(tmp_path, **s3.settings(bucket)) as world:
        transcript_id = await finished_transcript(world)
        await world.copies.transcript_ready(TranscriptReady(transcript_id, world.room.slug, 2))
        await world.copies.wait_idle()
        key = f"visio/transcripts/{transcript_id}/transcript.md"
        assert "Bob" in s3.read(bucket, key).decode()
        assert await world.transcripts.rename_speaker(transcript_id, "Bob", "Robert Martin") == 1
        await world.copies.transcript_changed(transcript_id)
        await world.copies.transcript_changed(transcript_id)
        await world.copies.wait_idle()
        for extension in ("md", "vtt", "srt", "json"):
            copied = s3.read(bucket, f"visio/transcripts/{transcript_id}/transcript.{extension}")
            text = copied.decode()
            assert "Robert Martin" in text and "Bob" not in text, extension


async def test_an_unreachable_store_keeps_the_local_file_and_retries(tmp_path: Path) -> None:
    """Nothing listens where the store should be: each copy fails and is tried again later,
    the local file stays; once the store is up, the next retry copies it."""
    port = free_port()
    access, secret = "visioretry", "retry-secret-0123456789"
    settings = {
        "object_store_endpoint": f"http://127.0.0.1:{port}",
        "object_store_bucket": "late-bucket",
        "object_store_access_key": access,
        "object_store_secret_key": secret,
        "object_store_retry_initial_s": 0.3,
        "object_store_retry_maximum_s": 1,
        "object_store_retry_attempts": 50,
        "object_store_timeout_s": 2,
    }
    async with world_of(tmp_path, **settings) as world:
        recording = await ready_recording(world, b"kept locally")
        await world.copies.recording_ready(
            RecordingReady(recording.id, world.room.id, world.room.slug)
        )
        local = world.recordings.media_path(recording)
        assert local is not None
        await _until(lambda: world.copies.failed_attempts >= 2, 60, "no retry happened")
        assert local.read_bytes() == b"kept locally"
        with seaweedfs(tmp_path / "late", s3_port=port, access=access, secret=secret) as late:
            late.client().create_bucket(Bucket="late-bucket")
            await world.copies.wait_idle()
            assert late.read("late-bucket", f"visio/recordings/{recording.id}/recording.ogg") == (
                b"kept locally"
            )
        assert local.read_bytes() == b"kept locally"


async def _until(condition: Any, timeout: float, message: str) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, message
        await asyncio.sleep(0.05)
