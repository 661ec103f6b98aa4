"""Server-side sessions: the cookie carries a random token, the database its SHA-256."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from visio.audit import Origin
from visio.auth.users import User
from visio.hashing import secret_digest
from visio.storage.models import SessionRecord, UserRecord, utcnow

SESSION_COOKIE = "visio_session"


@dataclass(frozen=True)
class Session:
    """Who is asking: a signed-in browser (who, through which provider, until when, its CSRF
    token), or an integrator's API token acting as its owner (``token_id`` and ``scopes``)."""

    user: User
    provider: str
    csrf_token: str
    id_token: str
    expires_at: datetime | None
    token_id: int | None = None
    scopes: frozenset[str] | None = None
    """The API token's scopes; None for a browser session (which is not limited by scope)."""


class SessionStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def create(
        self, user: User, provider: str, id_token: str, lifetime: timedelta, origin: Origin
    ) -> tuple[str, Session]:
        """A new session (a fresh token at every sign-in); returns the cookie value."""
        token = secrets.token_urlsafe(32)
        now = utcnow()
        record = SessionRecord(
            token_hash=secret_digest(token),
            user_id=user.id,
            provider=provider,
            csrf_token=secrets.token_urlsafe(32),
            id_token=id_token,
            created_at=now,
            expires_at=now + lifetime,
            ip=origin.ip,
            user_agent=(origin.user_agent or "")[:512] or None,
        )
        async with self._sessions() as session, session.begin():
            session.add(record)
        return token, Session(user, provider, record.csrf_token, id_token, record.expires_at)

    async def get(self, token: str) -> Session | None:
        """The live session for this cookie value, or None (unknown or expired)."""
        async with self._sessions() as session:
            row = (
                await session.execute(
                    select(SessionRecord, UserRecord)
                    .join(UserRecord, UserRecord.id == SessionRecord.user_id)
                    .where(SessionRecord.token_hash == secret_digest(token))
                )
            ).first()
        if row is None:
            return None
        record, user = row
        expires_at = record.expires_at
        if expires_at.tzinfo is None:  # SQLite hands back naive UTC datetimes
            expires_at = expires_at.replace(tzinfo=utcnow().tzinfo)
        if expires_at <= utcnow():
            return None
        return Session(
            User.model_validate(user),
            record.provider,
            record.csrf_token,
            record.id_token,
            expires_at,
        )

    async def delete(self, token: str) -> None:
        async with self._sessions() as session, session.begin():
            await session.execute(
                delete(SessionRecord).where(SessionRecord.token_hash == secret_digest(token))
            )

    async def purge_expired(self) -> int:
        async with self._sessions() as session, session.begin():
            result = await session.execute(
                delete(SessionRecord).where(SessionRecord.expires_at <= utcnow())
            )
        return int(getattr(result, "rowcount", 0) or 0)
