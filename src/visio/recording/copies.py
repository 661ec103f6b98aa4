"""Copies of a meeting's records in object storage (``VISIO_OBJECT_STORE_*``).

When a recording is processed its file is copied to the bucket; when a transcript is
complete its exports (WebVTT, SRT, Markdown, DOCX, JSON) are. A copy that fails is tried
again with a growing wait; the local file is never touched. Deleting a recording or a
transcript (its owner, or retention) deletes its objects too, and the audit event says so.

What must outlive a restart is read from the database and the bucket, not remembered: once
an hour (and at start-up) :meth:`ObjectCopies.sweep` copies what has no copy yet and deletes
objects whose recording or transcript no longer exists (a deletion that could not reach the
store, or retention's purge of transcripts), each such deletion audited.

Keys: ``<prefix>recordings/<recording id>/recording.<ext>`` and
``<prefix>transcripts/<transcript id>/transcript.<ext>``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Final, get_args

from visio.audit import AuditTrail
from visio.backoff import Backoff
from visio.recording.service import RecordingReady, Recordings
from visio.recording.store import StoredRecording
from visio.rooms.transcription import TranscriptReady
from visio.settings import Settings
from visio.storage.objects import ObjectRead, ObjectStore, ObjectStoreError
from visio.tasks import BackgroundTasks
from visio.transcripts import exports
from visio.transcripts.store import TranscriptStore

logger = logging.getLogger(__name__)

RECORDINGS: Final = "recordings"
TRANSCRIPTS: Final = "transcripts"


class ObjectCopies:
    """Copies recordings and transcript exports to the object store, reads them back, and
    deletes them with their originals."""

    def __init__(
        self,
        settings: Settings,
        store: ObjectStore,
        recordings: Recordings,
        transcripts: TranscriptStore,
        audit: AuditTrail,
    ) -> None:
        self._settings = settings
        self.store = store
        self._recordings = recordings
        self._transcripts = transcripts
        self._audit = audit
        self._background = BackgroundTasks("object copies")
        self._pending = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self.failed_attempts = 0
        """Copies that failed since start (each retry counts)."""
        self._transcript_copying = asyncio.Lock()
        """One transcript copy at a time: a copy made again after a rename reads the turns only
        once an earlier copy has finished writing, so the last copy written is the newest."""

    # ---- keys --------------------------------------------------------------------------------

    def recording_key(self, recording: StoredRecording) -> str:
        assert recording.file_path is not None
        return self.store.key(RECORDINGS, recording.file_path)

    def recording_prefix(self, recording_id: str) -> str:
        return self.store.key(RECORDINGS, recording_id) + "/"

    def transcript_key(self, transcript_id: int, extension: str) -> str:
        return self.store.key(TRANSCRIPTS, str(transcript_id), f"transcript.{extension}")

    def transcript_prefix(self, transcript_id: int) -> str:
        return self.store.key(TRANSCRIPTS, str(transcript_id)) + "/"

    # ---- copying -----------------------------------------------------------------------------

    async def recording_ready(self, ready: RecordingReady) -> None:
        """A recording listener: copy it in the background."""
        self._copy_later(f"recording {ready.recording_id}", self.copy_recording, ready.recording_id)

    async def transcript_ready(self, ready: TranscriptReady) -> None:
        """A transcript listener: copy its exports in the background."""
        await self.transcript_changed(ready.transcript_id)

    async def transcript_changed(self, transcript_id: int) -> None:
        """A transcript is complete, its speakers were renamed, or a shared device's voices
        told apart: copy its exports (again) in the background, so the bucket says what the
        page says."""
        self._copy_later(f"transcript {transcript_id}", self.copy_transcript, transcript_id)

    async def copy_recording(self, recording_id: str) -> bool:
        """Copy a ready recording's file; False when there is nothing (here) to copy."""
        recording = await self._recordings.store.get(recording_id)
        if recording is None or recording.media_type is None:
            return False
        path = self._recordings.media_path(recording)
        if path is None:
            return False
        stored = await self.store.upload(path, self.recording_key(recording), recording.media_type)
        if await self._recordings.store.get(recording_id) is None:
            # Deleted while it went up: the copy goes too.
            await self.store.delete_under(self.recording_prefix(recording_id))
            return False
        logger.info(
            "recording %s of room %s copied to %s (%d bytes, sha256 %s)",
            recording_id,
            recording.room_slug,
            self.store.where(stored.key),
            stored.size_bytes,
            stored.sha256,
        )
        return True

    async def copy_transcript(self, transcript_id: int) -> bool:
        """Copy a finished transcript's exports; False when there is nothing to copy."""
        async with self._transcript_copying:
            return await self._copy_transcript(transcript_id)

    async def _copy_transcript(self, transcript_id: int) -> bool:
        transcript = await self._transcripts.get(transcript_id)
        if transcript is None or transcript.status == "active":
            return False
        turns = await self._transcripts.turns(transcript_id)
        for format in get_args(exports.ExportFormat):
            exported = exports.export(transcript, turns, format)
            await self.store.put(
                exported.body,
                self.transcript_key(transcript_id, exported.extension),
                exported.media_type,
            )
        if await self._transcripts.get(transcript_id) is None:
            await self.store.delete_under(self.transcript_prefix(transcript_id))
            return False
        logger.info(
            "transcript %d of room %s copied to %s",
            transcript_id,
            transcript.room_slug,
            self.store.where(self.transcript_prefix(transcript_id)),
        )
        return True

    def _copy_later(self, what: str, copy: Callable[[Any], Awaitable[bool]], item: Any) -> None:
        self._pending += 1
        self._idle.clear()
        self._background.spawn(self._with_retries(what, copy, item))

    async def _with_retries(
        self, what: str, copy: Callable[[Any], Awaitable[bool]], item: Any
    ) -> None:
        backoff = Backoff(
            self._settings.object_store_retry_initial_s,
            max(
                self._settings.object_store_retry_maximum_s,
                self._settings.object_store_retry_initial_s,
            ),
            jitter=0.1,
        )
        attempts = self._settings.object_store_retry_attempts
        try:
            for attempt in range(1, attempts + 1):
                try:
                    await copy(item)
                    return
                except (ObjectStoreError, OSError) as exc:
                    self.failed_attempts += 1
                    if attempt == attempts:
                        logger.error(
                            "%s: copying to object storage failed %d times (%s); the local "
                            "file stays, and the hourly sweep tries again",
                            what,
                            attempts,
                            exc,
                        )
                        return
                    delay = backoff.next_delay()
                    logger.warning(
                        "%s: copying to object storage failed (%s); trying again in %.1f s",
                        what,
                        exc,
                        delay,
                    )
                    await asyncio.sleep(delay)
        finally:
            self._pending -= 1
            if self._pending == 0:
                self._idle.set()

    async def wait_idle(self) -> None:
        """Until no copy is under way or waiting to be retried (tests, a graceful stop)."""
        await self._idle.wait()

    # ---- reading -----------------------------------------------------------------------------

    async def read_recording(
        self, recording: StoredRecording, byte_range: str | None = None
    ) -> ObjectRead:
        """Read a recording's copy (the file is not on this server)."""
        return await self.store.read(self.recording_key(recording), byte_range)

    # ---- deleting ----------------------------------------------------------------------------

    async def _remove(self, what: str, prefix: str) -> dict[str, Any]:
        try:
            keys = await self.store.delete_under(prefix)
        except ObjectStoreError as exc:
            logger.error(
                "%s: its copies in object storage are not deleted yet (%s); the hourly "
                "sweep deletes them",
                what,
                exc,
            )
            return {"object_copies": "pending", "object_store_error": str(exc)[:300]}
        return {"object_copies": "deleted", "objects_deleted": len(keys)}

    async def remove_recording(self, recording_id: str) -> dict[str, Any]:
        """Delete a recording's copies; return what happened, for its audit event."""
        return await self._remove(f"recording {recording_id}", self.recording_prefix(recording_id))

    async def remove_transcript(self, transcript_id: int) -> dict[str, Any]:
        """Delete a transcript's copies; return what happened, for its audit event."""
        return await self._remove(
            f"transcript {transcript_id}", self.transcript_prefix(transcript_id)
        )

    # ---- the sweep ---------------------------------------------------------------------------

    async def _exists(self, kind: str, ident: str) -> bool:
        if kind == RECORDINGS:
            return await self._recordings.store.get(ident) is not None
        return ident.isdigit() and await self._transcripts.get(int(ident)) is not None

    async def sweep(self) -> tuple[int, int]:
        """Delete the copies of what no longer exists (audited) and copy what has no copy
        yet; return (objects deleted, records copied)."""
        root = self.store.key()
        owners: dict[tuple[str, str], list[str]] = {}
        for key in await self.store.keys(root):
            kind, _, rest = key[len(root) :].partition("/")
            ident = rest.partition("/")[0]
            if kind in (RECORDINGS, TRANSCRIPTS) and ident:
                owners.setdefault((kind, ident), []).append(key)
        deleted = 0
        for (kind, ident), keys in owners.items():
            if await self._exists(kind, ident):
                continue
            await self.store.delete_keys(keys)
            deleted += len(keys)
            await self._audit.record(
                "object_copy.deleted",
                "success",
                actor="object storage sweep",
                details={
                    kind[:-1]: ident,
                    "objects_deleted": len(keys),
                    "reason": f"its {kind[:-1]} no longer exists",
                },
            )
            logger.info(
                "deleted %d objects of %s %s, which no longer exists", len(keys), kind, ident
            )
        copied = 0
        tomorrow = datetime.now(UTC) + timedelta(days=1)
        for recording in await self._recordings.store.started_before(tomorrow):
            if (RECORDINGS, recording.id) in owners or recording.status != "ready":
                continue
            copied += await self._sweep_copy(
                f"recording {recording.id}", self.copy_recording(recording.id)
            )
        for transcript_id in await self._transcripts.finished_ids():
            if (TRANSCRIPTS, str(transcript_id)) in owners:
                continue
            copied += await self._sweep_copy(
                f"transcript {transcript_id}", self.copy_transcript(transcript_id)
            )
        return deleted, copied

    async def _sweep_copy(self, what: str, copying: Awaitable[bool]) -> int:
        try:
            return int(await copying)
        except (ObjectStoreError, OSError) as exc:
            self.failed_attempts += 1
            logger.warning("%s: copying to object storage failed (%s)", what, exc)
            return 0

    def close(self) -> None:
        """Stop copying; what was not copied is copied by the next start's sweep."""
        self._background.cancel_all()
