"""Directory groups and memberships in the database (all the SQL about them)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from visio.directory.ldap import DirectoryGroup
from visio.storage.models import DirectoryGroupRecord, DirectoryMembershipRecord, utcnow


class DirectoryRepository:
    """Stores the groups read at the last sync, and answers who belongs to which."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def replace(self, groups: Sequence[DirectoryGroup]) -> tuple[int, int]:
        """Make the stored groups exactly these (in one transaction); returns the number of
        groups and of memberships stored."""
        now = utcnow()
        async with self._sessions() as session, session.begin():
            stored = {r.name: r for r in await session.scalars(select(DirectoryGroupRecord))}
            wanted = {g.name: g for g in groups}
            gone = [r.id for name, r in stored.items() if name not in wanted]
            if gone:
                await session.execute(
                    delete(DirectoryMembershipRecord).where(
                        DirectoryMembershipRecord.group_id.in_(gone)
                    )
                )
                await session.execute(
                    delete(DirectoryGroupRecord).where(DirectoryGroupRecord.id.in_(gone))
                )
            memberships = 0
            for group in wanted.values():
                record = stored.get(group.name)
                if record is None:
                    record = DirectoryGroupRecord(name=group.name, dn=group.dn)
                    session.add(record)
                    await session.flush()
                else:
                    await session.execute(
                        delete(DirectoryMembershipRecord).where(
                            DirectoryMembershipRecord.group_id == record.id
                        )
                    )
                record.dn, record.synced_at = group.dn, now
                session.add_all(
                    DirectoryMembershipRecord(group_id=record.id, member_key=key)
                    for key in group.members
                )
                memberships += len(group.members)
        return len(wanted), memberships

    async def groups_of(self, member_key: str | None) -> frozenset[str]:
        """The names of the groups this person (by e-mail or uid) belongs to."""
        if not member_key:
            return frozenset()
        async with self._sessions() as session:
            names = await session.scalars(
                select(DirectoryGroupRecord.name)
                .join(
                    DirectoryMembershipRecord,
                    DirectoryMembershipRecord.group_id == DirectoryGroupRecord.id,
                )
                .where(DirectoryMembershipRecord.member_key == member_key.lower())
            )
            return frozenset(names)

    async def exists(self, name: str) -> bool:
        async with self._sessions() as session:
            count = await session.scalar(
                select(func.count())
                .select_from(DirectoryGroupRecord)
                .where(DirectoryGroupRecord.name == name)
            )
            return bool(count)
