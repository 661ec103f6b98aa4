"""People's own calendar accounts in the database (SQLite and PostgreSQL): the app password
is stored encrypted, never in clear, and opened only with the key."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.postgres import throwaway_postgres
from visio.auth.users import User, UserRepository
from visio.calendars import CalendarAccounts, CalendarError, PasswordSeal, SealedPasswordError
from visio.storage.database import create_engine, migrate, session_factory

PASSWORD = "app-password-Ünïcode-42"
KEY = Fernet.generate_key().decode()


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    with throwaway_postgres() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'visio.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    engine = create_engine(url)
    await migrate(engine)
    yield engine
    async with engine.begin() as connection:
        await connection.execute(text("DELETE FROM calendar_accounts"))
        await connection.execute(text("DELETE FROM users"))
    await engine.dispose()


async def _user(engine: AsyncEngine, subject: str = "alice") -> User:
    return await UserRepository(session_factory(engine)).sign_in(
        "test", subject, {"email": f"{subject}@example.gouv.fr"}
    )


async def _raw_rows(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as connection:
        rows = (await connection.execute(text("SELECT * FROM calendar_accounts"))).all()
    return [" ".join(str(value) for value in row) for row in rows]


async def test_calendar_account_password_is_encrypted_at_rest(engine: AsyncEngine) -> None:
    """The row holds a Fernet token, not the password; the account opens it again."""
    user = await _user(engine)
    accounts = CalendarAccounts(session_factory(engine), PasswordSeal(KEY))
    assert await accounts.save(user.id, "https://cal.example.org/alice/visio/", "alice", PASSWORD)
    rows = await _raw_rows(engine)
    assert len(rows) == 1
    assert PASSWORD not in rows[0] and "app-password" not in rows[0]
    assert "gAAAAA" in rows[0]  # a Fernet token
    account = await accounts.account(user.id)
    assert account is not None and account.password.get_secret_value() == PASSWORD
    assert PASSWORD not in repr(account)
    shown = await accounts.get(user.id)
    assert shown is not None and not hasattr(shown, "password")


async def test_calendar_account_keeps_the_password_when_none_is_given(engine: AsyncEngine) -> None:
    """Changing the URL without a password keeps the stored one; a first save needs one."""
    user = await _user(engine)
    accounts = CalendarAccounts(session_factory(engine), PasswordSeal(KEY))
    assert await accounts.save(user.id, "https://a.example.org/", "alice", None) is False
    assert await accounts.get(user.id) is None
    await accounts.save(user.id, "https://a.example.org/", "alice", PASSWORD)
    await accounts.save(user.id, "https://b.example.org/", "alice2", None)
    account = await accounts.account(user.id)
    assert account is not None
    assert (account.url, account.username) == ("https://b.example.org/", "alice2")
    assert account.password.get_secret_value() == PASSWORD


async def test_calendar_account_opens_only_with_its_key(engine: AsyncEngine) -> None:
    """Another key cannot open it; a rotated key list (new first, old after) still can."""
    user = await _user(engine)
    sessions = session_factory(engine)
    await CalendarAccounts(sessions, PasswordSeal(KEY)).save(
        user.id, "https://a.example.org/", "alice", PASSWORD
    )
    other = Fernet.generate_key().decode()
    with pytest.raises(SealedPasswordError):
        await CalendarAccounts(sessions, PasswordSeal(other)).account(user.id)
    rotated = await CalendarAccounts(sessions, PasswordSeal(f"{other},{KEY}")).account(user.id)
    assert rotated is not None and rotated.password.get_secret_value() == PASSWORD


async def test_calendar_account_outcome_and_forgetting(engine: AsyncEngine) -> None:
    """The last failure is kept for the person's settings; forgetting deletes the row."""
    user = await _user(engine)
    accounts = CalendarAccounts(session_factory(engine), PasswordSeal(KEY))
    await accounts.save(user.id, "https://a.example.org/", "alice", PASSWORD)
    await accounts.record_outcome(user.id, CalendarError("unauthorised", "refused"))
    shown = await accounts.get(user.id)
    assert shown is not None and shown.failure == "unauthorised" and shown.checked_at
    await accounts.record_outcome(user.id, None)
    shown = await accounts.get(user.id)
    assert shown is not None and shown.failure is None
    assert await accounts.forget(user.id) is True
    assert await accounts.forget(user.id) is False
    assert await _raw_rows(engine) == []


def test_calendar_encryption_key_setting_is_validated() -> None:
    """A VISIO_CALDAV_ENCRYPTION_KEY that is not a Fernet key stops the server with a message."""
    from visio.settings import SettingsError, load_settings

    with pytest.raises(SettingsError, match=r"VISIO_CALDAV_ENCRYPTION_KEY.*Fernet key"):
        load_settings(caldav_encryption_key="not-a-key")
    with pytest.raises(SettingsError, match=r"VISIO_CALDAV_URL.*https"):
        load_settings(caldav_url="http://cal.example.org/{email}/")
    with pytest.raises(SettingsError, match="placeholder"):
        load_settings(caldav_url="https://cal.example.org/{name}/")
    assert load_settings(caldav_url="http://cal.example.org/{email}/", caldav_allow_http=True)
