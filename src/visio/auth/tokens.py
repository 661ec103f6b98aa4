"""Scoped API tokens: an integrator's program acts as the token's owner, within its scopes.

The secret (``vt_`` and 32 random bytes, URL-safe) is shown once; only its SHA-256 is stored.
A token never grants more than its owner has: routes still apply every policy decision to the
owner, and the scopes only narrow what the token may ask for.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, get_args

from pydantic import BaseModel
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from visio.auth.users import User
from visio.hashing import secret_digest
from visio.storage.models import ApiTokenRecord, UserRecord, utcnow

TOKEN_PREFIX = "vt_"  # noqa: S105 - the prefix that marks a secret, not a secret
Scope = Literal[
    "rooms:read",
    "rooms:write",
    "roles:write",
    "audit:read",
    "recordings:read",
    "recordings:write",
    "webhooks:write",
]
SCOPES: tuple[Scope, ...] = get_args(Scope)


class ApiToken(BaseModel):
    """A token as its owner sees it in the list: everything but the secret."""

    id: int
    name: str
    scopes: list[Scope]
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True)
class TokenUse:
    """What a presented secret resolved to: a usable token, or why it was refused."""

    token: ApiToken | None
    owner: User | None
    refusal: Literal["unknown", "revoked", "expired"] | None


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive UTC datetimes."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=utcnow().tzinfo)
    return moment


def _token(record: ApiTokenRecord) -> ApiToken:
    return ApiToken(
        id=record.id,
        name=record.name,
        scopes=[s for s in record.scopes if s in SCOPES],
        created_at=_aware(record.created_at) or utcnow(),
        expires_at=_aware(record.expires_at),
        last_used_at=_aware(record.last_used_at),
        revoked_at=_aware(record.revoked_at),
    )


class TokenStore:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._clock = clock

    async def create(
        self, owner: User, name: str, scopes: list[Scope], lifetime: timedelta | None
    ) -> tuple[str, ApiToken]:
        """A new token for ``owner``; returns the secret (never stored) and the token."""
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        now = self._clock()
        record = ApiTokenRecord(
            owner_user_id=owner.id,
            name=name,
            scopes=sorted(set(scopes)),
            secret_hash=secret_digest(secret),
            created_at=now,
            expires_at=now + lifetime if lifetime else None,
        )
        async with self._sessions() as session, session.begin():
            session.add(record)
            await session.flush()
            return secret, _token(record)

    async def owned_by(self, owner: User) -> list[ApiToken]:
        """The owner's tokens, revoked and expired ones included, newest first."""
        async with self._sessions() as session:
            records = await session.scalars(
                select(ApiTokenRecord)
                .where(ApiTokenRecord.owner_user_id == owner.id)
                .order_by(ApiTokenRecord.id.desc())
            )
            return [_token(r) for r in records.all()]

    async def revoke(self, owner: User, token_id: int) -> ApiToken | None:
        """Revoke one of the owner's tokens (again is harmless); None if they have no such."""
        async with self._sessions() as session, session.begin():
            record = await session.get(ApiTokenRecord, token_id)
            if record is None or record.owner_user_id != owner.id:
                return None
            if record.revoked_at is None:
                record.revoked_at = self._clock()
            return _token(record)

    async def use(self, secret: str) -> TokenUse:
        """Resolve a presented secret to its token and owner, noting when it was last used."""
        now = self._clock()
        async with self._sessions() as session, session.begin():
            row = (
                await session.execute(
                    select(ApiTokenRecord, UserRecord)
                    .join(UserRecord, UserRecord.id == ApiTokenRecord.owner_user_id)
                    .where(ApiTokenRecord.secret_hash == secret_digest(secret))
                )
            ).first()
            if row is None:
                return TokenUse(None, None, "unknown")
            record, owner_record = row
            token, owner = _token(record), User.model_validate(owner_record)
            if token.revoked_at is not None:
                return TokenUse(token, owner, "revoked")
            if token.expires_at is not None and token.expires_at <= now:
                return TokenUse(token, owner, "expired")
            await session.execute(
                update(ApiTokenRecord)
                .where(ApiTokenRecord.id == record.id)
                .values(last_used_at=now)
            )
            return TokenUse(token, owner, None)
