"""A recording's life after the meeting part: its row and folder, processing (durable: the
status is stored at each step, and what a restart interrupted is processed again), retention,
deletion, and the "recording ready" event other features subscribe to.

Each recording has one folder under ``VISIO_RECORDINGS_DIR``, named after its random id:
``raw/`` (Janus's ``.mjr`` files), ``work/`` (the converted tracks, while processing) and the
finished ``recording.ogg`` or ``recording.webm``. Deleting a recording removes the folder.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import shutil
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final, Protocol

from visio.audit import AuditTrail, Origin
from visio.recording import processing
from visio.recording.claims import OneServer, RecordingClaims
from visio.recording.store import RecordingKind, RecordingStore, StoredRecording
from visio.settings import Settings
from visio.tasks import BackgroundTasks

logger = logging.getLogger(__name__)

ID_PREFIX: Final = "rec_"
ID_PATTERN: Final = r"^rec_[A-Za-z0-9_\-]{22}$"
"""What a recording id looks like (128 random bits): anything else names no recording."""
MAX_ERROR_CHARS: Final = 500


async def _remove(folder: Path) -> None:
    """Delete a folder and everything in it, off the event loop (it may hold gigabytes)."""
    await asyncio.to_thread(shutil.rmtree, folder, ignore_errors=True)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, processing.ProcessingError):
        return str(exc)
    if isinstance(exc, TimeoutError):
        return "processing took too long and was stopped"
    return f"processing failed: {exc}"


def new_recording_id() -> str:
    return ID_PREFIX + secrets.token_urlsafe(16)


@dataclass(frozen=True)
class RecordingReady:
    """A recording was processed and can be played: its id, and its room (id and slug)."""

    recording_id: str
    room_id: int
    room_slug: str


ReadyListener = Callable[[RecordingReady], Awaitable[None]]


class RecordingCopies(Protocol):
    """Copies of recordings kept elsewhere (:class:`visio.recording.copies.ObjectCopies`)."""

    async def remove_recording(self, recording_id: str) -> dict[str, Any]:
        """Delete a recording's copies; return what happened, for the audit event."""


class Recordings:
    """Creates, finishes, processes, expires and deletes recordings."""

    def __init__(self, settings: Settings, store: RecordingStore, audit: AuditTrail) -> None:
        self._settings = settings
        self.store = store
        self._audit = audit
        self._root = settings.effective_recordings_dir
        self._background = BackgroundTasks("recordings")
        self._one_at_a_time = asyncio.Semaphore(1)
        self._ready_listeners: list[ReadyListener] = []
        self._idle = asyncio.Event()
        self._idle.set()
        self._pending = 0
        self.claims: RecordingClaims = OneServer()
        """Which unfinished recordings are this server's to finish (several app servers)."""
        self.copies: RecordingCopies | None = None
        """Copies in object storage, deleted with the recording (when configured)."""

    # ---- files -------------------------------------------------------------------------------

    def folder(self, recording_id: str) -> Path:
        return self._root / recording_id

    def raw_folder(self, recording_id: str) -> Path:
        """Where Janus writes the recording's ``.mjr`` files."""
        return self.folder(recording_id) / "raw"

    def media_path(self, recording: StoredRecording) -> Path | None:
        """The processed file, if there is one on disk."""
        if recording.status != "ready" or recording.file_path is None:
            return None
        path = self._root / recording.file_path
        return path if path.is_file() else None

    # ---- the event for other features ------------------------------------------------------------

    def on_ready(self, listener: ReadyListener) -> None:
        """Call ``listener`` each time a recording becomes ready (e-mail, webhooks...). A
        listener that fails is logged; the others still run."""
        self._ready_listeners.append(listener)

    async def _announce(self, ready: RecordingReady) -> None:
        for listener in list(self._ready_listeners):
            try:
                await listener(ready)
            except Exception:
                logger.exception("recording %s: a ready listener failed", ready.recording_id)

    # ---- life --------------------------------------------------------------------------------

    async def begin(
        self,
        room_id: int,
        room_slug: str,
        kind: RecordingKind,
        started_by: int | None,
        started_by_name: str,
    ) -> StoredRecording:
        """A new recording, stored as ``recording``, with its empty folder for Janus."""
        recording = StoredRecording(
            id=new_recording_id(),
            room_id=room_id,
            room_slug=room_slug,
            kind=kind,
            status="recording",
            started_at=datetime.now(UTC),
            started_by=started_by,
            started_by_name=started_by_name,
        )
        self.raw_folder(recording.id).mkdir(parents=True, exist_ok=True)
        await self.store.add(recording)
        return recording

    async def abandon(self, recording_id: str) -> None:
        """Janus never started recording: forget the row and the folder."""
        await self.store.delete(recording_id)
        await _remove(self.folder(recording_id))

    async def finish(self, recording_id: str) -> None:
        """The meeting stopped recording: store when, and process it in the background."""
        await self.claims.processing_here(recording_id)
        await self.store.change(recording_id, status="processing", ended_at=datetime.now(UTC))
        self._process_later(recording_id)

    async def resume(self) -> int:
        """At start-up: process again every recording a stop of the server interrupted (while
        it was recorded or processed); return how many."""
        unfinished = [
            recording
            for recording in await self.store.unfinished()
            if await self.claims.may_finish(recording)
        ]
        for recording in unfinished:
            if recording.status == "recording":
                logger.warning(
                    "recording %s of room %s was interrupted by a restart; processing what "
                    "was recorded",
                    recording.id,
                    recording.room_slug,
                )
            if recording.status == "recording" or recording.ended_at is None:
                await self.store.change(
                    recording.id, status="processing", ended_at=self._last_write(recording.id)
                )
            self._process_later(recording.id)
        return len(unfinished)

    def _last_write(self, recording_id: str) -> datetime:
        times = [p.stat().st_mtime for p in self.raw_folder(recording_id).glob("*.mjr")]
        return datetime.fromtimestamp(max(times), UTC) if times else datetime.now(UTC)

    def _process_later(self, recording_id: str) -> None:
        self._pending += 1
        self._idle.clear()
        self._background.spawn(self._process(recording_id))

    async def wait_idle(self) -> None:
        """Until nothing is being processed (tests, and a graceful stop)."""
        await self._idle.wait()

    async def _process(self, recording_id: str) -> None:
        try:
            async with self._one_at_a_time:
                await self._process_now(recording_id)
        finally:
            self._pending -= 1
            if self._pending == 0:
                self._idle.set()

    async def _process_now(self, recording_id: str) -> None:
        recording = await self.store.get(recording_id)
        if recording is None or recording.status != "processing":
            return  # deleted meanwhile
        folder = self.folder(recording_id)
        started = asyncio.get_running_loop().time()
        try:
            result = await processing.process(
                folder / "raw",
                folder / "work",
                folder / "recording",
                video=recording.kind == "video",
                threads=self._settings.recording_ffmpeg_threads,
                started_us=round(recording.started_at.timestamp() * 1_000_000),
            )
        except (processing.ProcessingError, OSError, TimeoutError) as exc:
            if await self._still_there(recording_id):
                await self._failed(recording, _reason(exc))
            return
        if not await self._still_there(recording_id):
            return
        await self.store.change(
            recording_id,
            status="ready",
            file_path=str(result.path.relative_to(self._root)),
            media_type=result.media_type,
            size_bytes=result.size_bytes,
            duration_s=result.duration_s,
            error=None,
        )
        # The processed file is what is kept: the raw tracks would double the disk used.
        await _remove(folder / "raw")
        await _remove(folder / "work")
        elapsed = asyncio.get_running_loop().time() - started
        logger.info(
            "recording %s of room %s ready: %.1f s of %s in %.1f s (%d bytes)",
            recording_id,
            recording.room_slug,
            result.duration_s,
            recording.kind,
            elapsed,
            result.size_bytes,
        )
        await self._announce(RecordingReady(recording_id, recording.room_id, recording.room_slug))

    async def _still_there(self, recording_id: str) -> bool:
        """Whether the recording was not deleted while it was processed (if it was, whatever
        processing wrote since goes too)."""
        if await self.store.get(recording_id) is not None:
            return True
        await _remove(self.folder(recording_id))
        return False

    async def _failed(self, recording: StoredRecording, error: str) -> None:
        logger.error("recording %s of room %s failed: %s", recording.id, recording.room_slug, error)
        await _remove(self.folder(recording.id) / "work")
        await self.store.change(recording.id, status="failed", error=error[:MAX_ERROR_CHARS])

    # ---- deleting ----------------------------------------------------------------------------

    async def delete(
        self,
        recording: StoredRecording,
        *,
        origin: Origin | None = None,
        actor_user_id: int | None = None,
        actor: str | None = None,
        reason: str = "deleted",
    ) -> None:
        """Delete the recording's files (raw and processed), its copies in object storage and
        its row; the audit trail keeps who did (or that retention did)."""
        # The row first: processing that runs meanwhile then sees it gone and cleans up after.
        await self.store.delete(recording.id)
        await _remove(self.folder(recording.id))
        details: dict[str, Any] = {
            "recording": recording.id,
            "kind": recording.kind,
            "started_at": recording.started_at.isoformat(),
            "reason": reason,
        }
        if self.copies is not None:
            details.update(await self.copies.remove_recording(recording.id))
        await self._audit.record(
            "recording.deleted",
            "success",
            origin,
            actor_user_id=actor_user_id,
            actor=actor,
            target=recording.room_slug,
            details=details,
        )
        logger.info(
            "recording %s of room %s deleted (%s)", recording.id, recording.room_slug, reason
        )

    async def purge(self) -> int:
        """Delete the recordings started more than ``VISIO_RECORDING_RETENTION_DAYS`` ago;
        return how many went."""
        cutoff = datetime.now(UTC) - timedelta(days=self._settings.recording_retention_days)
        expired = await self.store.started_before(cutoff)
        for recording in expired:
            await self.delete(recording, actor="retention", reason="retention")
        return len(expired)

    def close(self) -> None:
        """Stop processing; what was interrupted is processed again at the next start."""
        self._background.cancel_all()
