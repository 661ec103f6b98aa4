"""People who signed in, matched on (provider, sub), with ProConnect's claims."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from visio.storage.models import UserRecord, utcnow


class User(BaseModel):
    """A signed-in person as the rest of Visio sees them."""

    model_config = ConfigDict(from_attributes=True, frozen=True)

    id: int
    provider: str
    subject: str
    given_name: str
    usual_name: str
    email: str | None
    uid: str | None
    siret: str | None
    idp_id: str | None

    @property
    def audit_label(self) -> str:
        """How the audit trail names this person: their e-mail, else ``provider:sub``."""
        return self.email or f"{self.provider}:{self.subject}"

    @property
    def full_name(self) -> str:
        """ProConnect's way: given name, then usual name."""
        return " ".join(part for part in (self.given_name, self.usual_name) if part) or (
            self.email or self.subject
        )


def _text(claims: dict[str, Any], name: str, limit: int = 255) -> str | None:
    value = claims.get(name)
    if value is None:
        return None
    return str(value)[:limit]


class UserRepository:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def sign_in(self, provider: str, subject: str, claims: dict[str, Any]) -> User:
        """Create the user on first sign-in, refresh their claims on later ones."""
        async with self._sessions() as session, session.begin():
            record = await session.scalar(
                select(UserRecord).where(
                    UserRecord.provider == provider, UserRecord.subject == subject
                )
            )
            if record is None:
                record = UserRecord(provider=provider, subject=subject)
                session.add(record)
            record.given_name = _text(claims, "given_name") or ""
            record.usual_name = _text(claims, "usual_name") or _text(claims, "family_name") or ""
            record.email = _text(claims, "email", 320)
            record.uid = _text(claims, "uid")
            record.siret = _text(claims, "siret", 14)
            record.idp_id = _text(claims, "idp_id")
            record.last_login_at = utcnow()
            await session.flush()
            return User.model_validate(record)

    async def get(self, user_id: int) -> User | None:
        async with self._sessions() as session:
            record = await session.get(UserRecord, user_id)
            return None if record is None else User.model_validate(record)
