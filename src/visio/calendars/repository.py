"""The calendars people connected themselves: all the SQL about ``calendar_accounts``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import SecretStr
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from visio.calendars.account import CalendarAccount
from visio.calendars.errors import CalendarError
from visio.calendars.passwords import PasswordSeal
from visio.storage.models import CalendarAccountRecord, utcnow


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; every stored time is UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class PersonalCalendar:
    """A person's own calendar as their settings show it: never the password."""

    url: str
    username: str
    updated_at: datetime
    checked_at: datetime | None
    failure: str | None
    failure_message: str | None


class CalendarAccounts:
    """Stores each person's own calendar account, the password sealed with ``seal``."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], seal: PasswordSeal) -> None:
        self._sessions = sessions
        self._seal = seal

    async def get(self, user_id: int) -> PersonalCalendar | None:
        async with self._sessions() as session:
            record = await session.get(CalendarAccountRecord, user_id)
            if record is None:
                return None
            return PersonalCalendar(
                url=record.url,
                username=record.username,
                updated_at=_aware(record.updated_at) or utcnow(),
                checked_at=_aware(record.checked_at),
                failure=record.failure,
                failure_message=record.failure_message,
            )

    async def account(self, user_id: int) -> CalendarAccount | None:
        """The account Visio signs in with, the password opened (raises
        :class:`visio.calendars.passwords.SealedPasswordError` when the key changed)."""
        async with self._sessions() as session:
            record = await session.get(CalendarAccountRecord, user_id)
            if record is None:
                return None
            sealed, url, username = record.password_sealed, record.url, record.username
        return CalendarAccount(url, username, SecretStr(self._seal.open(sealed)), "personal")

    async def save(self, user_id: int, url: str, username: str, password: str | None) -> bool:
        """Store the person's calendar; ``password`` None keeps the stored one. Return False
        when there is no stored password to keep."""
        async with self._sessions() as session, session.begin():
            record = await session.get(CalendarAccountRecord, user_id)
            if record is None:
                if password is None:
                    return False
                record = CalendarAccountRecord(user_id=user_id)
                session.add(record)
            record.url = url
            record.username = username
            if password is not None:
                record.password_sealed = self._seal.seal(password)
            record.updated_at = utcnow()
            record.checked_at = None
            record.failure = None
            record.failure_message = None
        return True

    async def forget(self, user_id: int) -> bool:
        """Delete the person's calendar account; return whether there was one."""
        async with self._sessions() as session, session.begin():
            result = await session.execute(
                delete(CalendarAccountRecord).where(CalendarAccountRecord.user_id == user_id)
            )
        return bool(getattr(result, "rowcount", 0))

    async def record_outcome(self, user_id: int, failure: CalendarError | None) -> None:
        """Remember how the last exchange with the person's calendar went, for their settings."""
        async with self._sessions() as session, session.begin():
            record = await session.get(CalendarAccountRecord, user_id)
            if record is None:
                return
            record.checked_at = utcnow()
            record.failure = failure.reason if failure else None
            record.failure_message = failure.message[:500] if failure else None
