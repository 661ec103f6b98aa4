"""The stored chat of rooms that keep it (``keep_chat``): all the SQL about chat messages."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from visio.rooms.protocol import ChatMessageInfo
from visio.storage.models import ChatMessageRecord


def _aware(moment: datetime) -> datetime:
    """SQLite returns naive datetimes; every stored time is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class ChatHistory:
    """Stores the chat messages of rooms that keep their chat, finds them again and purges
    them when they are older than the retention period."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def add(self, room_id: int, message: ChatMessageInfo) -> None:
        async with self._sessions() as session, session.begin():
            session.add(
                ChatMessageRecord(
                    id=message.id,
                    room_id=room_id,
                    participant_id=message.participant_id,
                    name=message.name,
                    text=message.text,
                    sent_at=message.sent_at,
                )
            )

    async def delete(self, room_id: int, message_id: str) -> bool:
        """Forget one message; return whether it was stored."""
        async with self._sessions() as session, session.begin():
            result = await session.execute(
                delete(ChatMessageRecord).where(
                    ChatMessageRecord.room_id == room_id, ChatMessageRecord.id == message_id
                )
            )
        return bool(getattr(result, "rowcount", 0))

    async def recent(self, room_id: int, since: datetime, limit: int) -> list[ChatMessageInfo]:
        """The room's last ``limit`` messages sent after ``since``, oldest first."""
        async with self._sessions() as session:
            records = await session.scalars(
                select(ChatMessageRecord)
                .where(ChatMessageRecord.room_id == room_id, ChatMessageRecord.sent_at > since)
                .order_by(ChatMessageRecord.sent_at.desc(), ChatMessageRecord.id.desc())
                .limit(limit)
            )
            found = [
                ChatMessageInfo(
                    id=r.id,
                    participant_id=r.participant_id,
                    name=r.name,
                    text=r.text,
                    sent_at=_aware(r.sent_at),
                )
                for r in records
            ]
        found.reverse()
        return found

    async def purge(self, older_than: datetime) -> int:
        """Delete every message sent before ``older_than``; return how many went."""
        async with self._sessions() as session, session.begin():
            result = await session.execute(
                delete(ChatMessageRecord).where(ChatMessageRecord.sent_at < older_than)
            )
        return int(getattr(result, "rowcount", 0) or 0)
