"""Rooms in the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from visio.rooms.slugs import new_slug
from visio.storage.models import RoomRecord


@dataclass(frozen=True)
class StoredRoom:
    slug: str
    created_at: datetime


class RoomRepository:
    """Creates and finds rooms."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def create(self) -> StoredRoom:
        """Store a new room under a fresh slug (retrying the rare collision)."""
        for _ in range(5):
            async with self._sessions() as session:
                record = RoomRecord(slug=new_slug())
                session.add(record)
                try:
                    await session.commit()
                except IntegrityError:
                    await session.rollback()
                    continue
                return StoredRoom(record.slug, record.created_at)
        raise RuntimeError("could not find a free room slug after 5 tries")

    async def get(self, slug: str) -> StoredRoom | None:
        async with self._sessions() as session:
            record = await session.scalar(select(RoomRecord).where(RoomRecord.slug == slug))
            return StoredRoom(record.slug, record.created_at) if record else None
