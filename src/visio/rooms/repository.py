"""Rooms and the roles people hold in them, in the database (all the SQL about rooms)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal, cast

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from visio.hashing import secret_digest
from visio.rooms.protocol import Role
from visio.rooms.slugs import new_slug
from visio.storage.models import (
    MAX_ROW_ID,
    ChatMessageRecord,
    DirectoryGroupRecord,
    DirectoryMembershipRecord,
    RoomGroupRoleRecord,
    RoomInvitationRecord,
    RoomRecord,
    RoomRemovalRecord,
    RoomRoleRecord,
    UserRecord,
    utcnow,
)

Access = Literal["public", "trusted", "restricted"]


@dataclass(frozen=True)
class Removal:
    """Someone a moderator removed from a room's meetings."""

    visitor_key: str
    name: str | None
    removed_by: str | None
    removed_at: datetime


@dataclass(frozen=True)
class StoredRoom:
    slug: str
    created_at: datetime
    id: int = 0
    name: str | None = None
    access: Access = "public"
    created_by: int | None = None
    keep_chat: bool = False


@dataclass(frozen=True)
class RoleHolder:
    """Someone holding a role in a room."""

    user_id: int
    role: Role
    full_name: str
    email: str | None
    granted_at: datetime


@dataclass(frozen=True)
class Invitation:
    """A room-level invitation (its secret is never stored, only its SHA-256)."""

    id: int
    label: str | None
    created_by: int | None
    created_at: datetime
    expires_at: datetime
    revoked: bool


def _invitation(record: RoomInvitationRecord) -> Invitation:
    return Invitation(
        id=record.id,
        label=record.label,
        created_by=record.created_by,
        created_at=record.created_at,
        expires_at=record.expires_at,
        revoked=record.revoked_at is not None,
    )


@dataclass(frozen=True)
class GroupRoleHolder:
    """A directory group holding a role in a room: every member of it holds that role."""

    group: str
    role: Role
    granted_at: datetime


def _stored(record: RoomRecord) -> StoredRoom:
    return StoredRoom(
        slug=record.slug,
        created_at=record.created_at,
        id=record.id,
        name=record.name,
        access=cast(Access, record.access),
        created_by=record.created_by,
        keep_chat=record.keep_chat,
    )


class RoomRepository:
    """Creates and finds rooms, and stores who holds which role in them."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def create(
        self, name: str | None = None, access: Access = "public", owner_id: int | None = None
    ) -> StoredRoom:
        """Store a new room under a fresh slug (retrying the rare collision); the creator, if
        signed in, becomes its owner."""
        for _ in range(5):
            async with self._sessions() as session:
                record = RoomRecord(slug=new_slug(), name=name, access=access, created_by=owner_id)
                session.add(record)
                try:
                    await session.flush()
                    if owner_id is not None:
                        session.add(
                            RoomRoleRecord(room_id=record.id, user_id=owner_id, role="owner")
                        )
                    await session.commit()
                except IntegrityError:
                    await session.rollback()
                    continue
                return _stored(record)
        raise RuntimeError("could not find a free room slug after 5 tries")

    async def get(self, slug: str) -> StoredRoom | None:
        async with self._sessions() as session:
            record = await session.scalar(select(RoomRecord).where(RoomRecord.slug == slug))
            return _stored(record) if record else None

    async def update(
        self,
        slug: str,
        *,
        name: str | None = None,
        access: Access | None = None,
        keep_chat: bool | None = None,
    ) -> StoredRoom:
        """Change a room's name, access level or whether it keeps its chat (None leaves a field
        as it is). A room that stops keeping its chat forgets what it had kept."""
        async with self._sessions() as session, session.begin():
            record = await session.scalar(select(RoomRecord).where(RoomRecord.slug == slug))
            if record is None:
                raise LookupError(slug)
            if name is not None:
                record.name = name
            if access is not None:
                record.access = access
            if keep_chat is not None:
                record.keep_chat = keep_chat
                if not keep_chat:
                    await session.execute(
                        delete(ChatMessageRecord).where(ChatMessageRecord.room_id == record.id)
                    )
            await session.flush()
            return _stored(record)

    async def role_of(self, room: StoredRoom, user_id: int | None) -> Role | None:
        if user_id is None:
            return None
        async with self._sessions() as session:
            role = await session.scalar(
                select(RoomRoleRecord.role).where(
                    RoomRoleRecord.room_id == room.id, RoomRoleRecord.user_id == user_id
                )
            )
            return cast(Role | None, role)

    async def roles(self, room: StoredRoom) -> list[RoleHolder]:
        async with self._sessions() as session:
            rows = await session.execute(
                select(RoomRoleRecord, UserRecord)
                .join(UserRecord, UserRecord.id == RoomRoleRecord.user_id)
                .where(RoomRoleRecord.room_id == room.id)
                .order_by(RoomRoleRecord.granted_at, RoomRoleRecord.user_id)
            )
            return [
                RoleHolder(
                    user_id=user.id,
                    role=cast(Role, role.role),
                    full_name=" ".join(p for p in (user.given_name, user.usual_name) if p)
                    or (user.email or user.subject),
                    email=user.email,
                    granted_at=role.granted_at,
                )
                for role, user in rows.all()
            ]

    async def owner_count(self, room: StoredRoom) -> int:
        async with self._sessions() as session:
            count = await session.scalar(
                select(func.count())
                .select_from(RoomRoleRecord)
                .where(RoomRoleRecord.room_id == room.id, RoomRoleRecord.role == "owner")
            )
            return int(count or 0)

    async def set_role(self, room: StoredRoom, user_id: int, role: Role) -> None:
        async with self._sessions() as session, session.begin():
            record = await session.get(RoomRoleRecord, (room.id, user_id))
            if record is None:
                session.add(RoomRoleRecord(room_id=room.id, user_id=user_id, role=role))
            else:
                record.role = role

    async def remove_role(self, room: StoredRoom, user_id: int) -> bool:
        async with self._sessions() as session, session.begin():
            result = await session.execute(
                delete(RoomRoleRecord).where(
                    RoomRoleRecord.room_id == room.id, RoomRoleRecord.user_id == user_id
                )
            )
        return bool(getattr(result, "rowcount", 0))

    async def rooms_of(self, user_id: int) -> list[tuple[StoredRoom, Role]]:
        """The rooms where this person holds a role, newest first."""
        async with self._sessions() as session:
            rows = await session.execute(
                select(RoomRecord, RoomRoleRecord.role)
                .join(RoomRoleRecord, RoomRoleRecord.room_id == RoomRecord.id)
                .where(RoomRoleRecord.user_id == user_id)
                .order_by(RoomRecord.created_at.desc(), RoomRecord.id.desc())
            )
            return [(_stored(room), cast(Role, role)) for room, role in rows.all()]

    async def find_user(self, reference: str) -> int | None:
        """A user id from a reference: the id itself (digits) or an e-mail address."""
        async with self._sessions() as session:
            if reference.isascii() and reference.isdigit():  # ASCII: "²" is a digit too
                if int(reference) > MAX_ROW_ID:
                    return None
                found = await session.scalar(
                    select(UserRecord.id).where(UserRecord.id == int(reference))
                )
            else:
                found = await session.scalar(
                    select(UserRecord.id)
                    .where(func.lower(UserRecord.email) == reference.strip().lower())
                    .order_by(UserRecord.id)
                    .limit(1)
                )
            return None if found is None else int(found)

    # ---- invitations -------------------------------------------------------------------------

    async def create_invitation(
        self, room: StoredRoom, created_by: int | None, label: str | None, valid_for: timedelta
    ) -> tuple[Invitation, str]:
        """A new invitation and its secret (returned once, stored only as a hash)."""
        token = "vi_" + secrets.token_urlsafe(32)
        record = RoomInvitationRecord(
            room_id=room.id,
            token_sha256=secret_digest(token),
            label=label,
            created_by=created_by,
            created_at=utcnow(),
            expires_at=utcnow() + valid_for,
        )
        async with self._sessions() as session, session.begin():
            session.add(record)
        return _invitation(record), token

    async def invitations(self, room: StoredRoom) -> list[Invitation]:
        async with self._sessions() as session:
            records = await session.scalars(
                select(RoomInvitationRecord)
                .where(RoomInvitationRecord.room_id == room.id)
                .order_by(RoomInvitationRecord.id)
            )
            return [_invitation(r) for r in records]

    async def revoke_invitation(self, room: StoredRoom, invitation_id: int) -> bool:
        async with self._sessions() as session, session.begin():
            record = await session.get(RoomInvitationRecord, invitation_id)
            if record is None or record.room_id != room.id or record.revoked_at is not None:
                return False
            record.revoked_at = utcnow()
            return True

    async def invitation_valid(self, room: StoredRoom, token: str) -> bool:
        """Whether ``token`` is a live (unrevoked, unexpired) invitation to this room."""
        async with self._sessions() as session:
            record = await session.scalar(
                select(RoomInvitationRecord).where(
                    RoomInvitationRecord.token_sha256 == secret_digest(token)
                )
            )
        if record is None or record.room_id != room.id or record.revoked_at is not None:
            return False
        return _aware(record.expires_at) > datetime.now(UTC)

    async def group_roles_of(self, room: StoredRoom, member_key: str | None) -> list[Role]:
        """The roles this person holds in the room through their directory groups."""
        if not member_key:
            return []
        async with self._sessions() as session:
            roles = await session.scalars(
                select(RoomGroupRoleRecord.role)
                .join(
                    DirectoryGroupRecord,
                    DirectoryGroupRecord.name == RoomGroupRoleRecord.group_name,
                )
                .join(
                    DirectoryMembershipRecord,
                    DirectoryMembershipRecord.group_id == DirectoryGroupRecord.id,
                )
                .where(
                    RoomGroupRoleRecord.room_id == room.id,
                    DirectoryMembershipRecord.member_key == member_key.lower(),
                )
            )
            return [cast(Role, role) for role in roles]

    async def group_role(self, room: StoredRoom, group: str) -> Role | None:
        async with self._sessions() as session:
            record = await session.get(RoomGroupRoleRecord, (room.id, group))
            return None if record is None else cast(Role, record.role)

    async def group_roles(self, room: StoredRoom) -> list[GroupRoleHolder]:
        async with self._sessions() as session:
            records = await session.scalars(
                select(RoomGroupRoleRecord)
                .where(RoomGroupRoleRecord.room_id == room.id)
                .order_by(RoomGroupRoleRecord.granted_at, RoomGroupRoleRecord.group_name)
            )
            return [
                GroupRoleHolder(
                    group=r.group_name, role=cast(Role, r.role), granted_at=r.granted_at
                )
                for r in records
            ]

    async def set_group_role(self, room: StoredRoom, group: str, role: Role) -> GroupRoleHolder:
        async with self._sessions() as session, session.begin():
            record = await session.get(RoomGroupRoleRecord, (room.id, group))
            if record is None:
                record = RoomGroupRoleRecord(room_id=room.id, group_name=group, role=role)
                session.add(record)
            else:
                record.role = role
            await session.flush()
            return GroupRoleHolder(group=group, role=role, granted_at=record.granted_at)

    async def remove_group_role(self, room: StoredRoom, group: str) -> None:
        async with self._sessions() as session, session.begin():
            await session.execute(
                delete(RoomGroupRoleRecord).where(
                    RoomGroupRoleRecord.room_id == room.id, RoomGroupRoleRecord.group_name == group
                )
            )

    # ---- removals ----------------------------------------------------------------------------

    async def set_removed(
        self,
        slug: str,
        visitor_key: str,
        removed: bool,
        *,
        name: str | None = None,
        removed_by: str | None = None,
    ) -> bool:
        """Remember (or forget) that a moderator removed this visitor from the room; return
        whether anything changed."""
        async with self._sessions() as session, session.begin():
            room_id = await session.scalar(select(RoomRecord.id).where(RoomRecord.slug == slug))
            if room_id is None:
                return False
            existing = await session.get(RoomRemovalRecord, (room_id, visitor_key))
            if removed and existing is None:
                session.add(
                    RoomRemovalRecord(
                        room_id=room_id,
                        visitor_key=visitor_key,
                        removed_at=utcnow(),
                        name=name,
                        removed_by=removed_by,
                    )
                )
                return True
            if not removed and existing is not None:
                await session.delete(existing)
                return True
            return False

    async def removals(self, room: StoredRoom) -> list[Removal]:
        """The people kept out of the room's meetings, most recent first."""
        async with self._sessions() as session:
            rows = await session.scalars(
                select(RoomRemovalRecord)
                .where(RoomRemovalRecord.room_id == room.id)
                .order_by(RoomRemovalRecord.removed_at.desc())
            )
            return [
                Removal(
                    visitor_key=r.visitor_key,
                    name=r.name,
                    removed_by=r.removed_by,
                    removed_at=_aware(r.removed_at),
                )
                for r in rows
            ]

    async def is_removed(self, room: StoredRoom, visitor_key: str) -> bool:
        async with self._sessions() as session:
            return await session.get(RoomRemovalRecord, (room.id, visitor_key)) is not None


def _aware(moment: datetime) -> datetime:
    """SQLite returns naive datetimes; every stored time is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
