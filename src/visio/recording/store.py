"""All the SQL about recordings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, cast

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from visio.storage.models import RecordingRecord, RoomRecord

RecordingKind = Literal["audio", "video"]
RecordingStatus = Literal["recording", "processing", "ready", "failed"]
UNFINISHED: tuple[RecordingStatus, ...] = ("recording", "processing")


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; every stored time is UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class StoredRecording:
    id: str
    room_id: int
    room_slug: str
    kind: RecordingKind
    status: RecordingStatus
    started_at: datetime
    started_by: int | None
    started_by_name: str
    ended_at: datetime | None = None
    file_path: str | None = None
    """The processed file, relative to the recordings folder."""
    media_type: str | None = None
    size_bytes: int | None = None
    duration_s: float | None = None
    error: str | None = None


def _stored(record: RecordingRecord, slug: str) -> StoredRecording:
    started_at = _aware(record.started_at)
    assert started_at is not None
    return StoredRecording(
        id=record.id,
        room_id=record.room_id,
        room_slug=slug,
        kind=cast(RecordingKind, record.kind),
        status=cast(RecordingStatus, record.status),
        started_at=started_at,
        started_by=record.started_by,
        started_by_name=record.started_by_name,
        ended_at=_aware(record.ended_at),
        file_path=record.file_path,
        media_type=record.media_type,
        size_bytes=record.size_bytes,
        duration_s=record.duration_s,
        error=record.error,
    )


class RecordingStore:
    """Stores recordings' rows; the files are :class:`~visio.recording.Recordings`' business."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    def _select(self) -> Any:
        return select(RecordingRecord, RoomRecord.slug).join(
            RoomRecord, RoomRecord.id == RecordingRecord.room_id
        )

    async def add(self, recording: StoredRecording) -> None:
        async with self._sessions() as session, session.begin():
            session.add(
                RecordingRecord(
                    id=recording.id,
                    room_id=recording.room_id,
                    kind=recording.kind,
                    status=recording.status,
                    started_at=recording.started_at,
                    started_by=recording.started_by,
                    started_by_name=recording.started_by_name,
                )
            )

    async def get(self, recording_id: str) -> StoredRecording | None:
        async with self._sessions() as session:
            row = (
                await session.execute(self._select().where(RecordingRecord.id == recording_id))
            ).first()
            return _stored(row[0], row[1]) if row else None

    async def of_room(self, room_id: int) -> list[StoredRecording]:
        """The room's recordings, newest first."""
        async with self._sessions() as session:
            rows = await session.execute(
                self._select()
                .where(RecordingRecord.room_id == room_id)
                .order_by(RecordingRecord.started_at.desc(), RecordingRecord.id)
            )
            return [_stored(record, slug) for record, slug in rows]

    async def unfinished(self) -> list[StoredRecording]:
        """Recordings still recording or processing (after a restart: interrupted ones)."""
        async with self._sessions() as session:
            rows = await session.execute(
                self._select()
                .where(RecordingRecord.status.in_(UNFINISHED))
                .order_by(RecordingRecord.started_at)
            )
            return [_stored(record, slug) for record, slug in rows]

    async def started_before(self, moment: datetime) -> list[StoredRecording]:
        """Finished recordings started before ``moment`` (past their retention)."""
        async with self._sessions() as session:
            rows = await session.execute(
                self._select().where(
                    RecordingRecord.started_at < moment,
                    RecordingRecord.status.not_in(UNFINISHED),
                )
            )
            return [_stored(record, slug) for record, slug in rows]

    async def change(self, recording_id: str, **fields: Any) -> None:
        """Set some columns (status, ended_at, file_path, ...) of one recording."""
        async with self._sessions() as session, session.begin():
            await session.execute(
                update(RecordingRecord).where(RecordingRecord.id == recording_id).values(**fields)
            )

    async def delete(self, recording_id: str) -> bool:
        async with self._sessions() as session, session.begin():
            result = await session.execute(
                delete(RecordingRecord).where(RecordingRecord.id == recording_id)
            )
        return bool(getattr(result, "rowcount", 0))
