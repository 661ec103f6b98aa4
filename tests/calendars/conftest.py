from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from pydantic import SecretStr

from tests.calendars.radicale import USERS, RadicaleServer, start_radicale
from visio.calendars import CalDavClient, CalendarAccount, guarded_client


@pytest.fixture(scope="module")
def radicale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RadicaleServer]:
    """A real Radicale CalDAV server for the module, each person their own calendars."""
    server = start_radicale(tmp_path_factory.mktemp("radicale"))
    yield server
    server.stop()


@pytest.fixture
async def client() -> AsyncIterator[CalDavClient]:
    """Visio's CalDAV client, allowed to reach the loopback Radicale."""
    async with guarded_client(allow_private=True, timeout=10) as http:
        yield CalDavClient(http)


_calendars = 0


@pytest.fixture
def alice(radicale: RadicaleServer) -> CalendarAccount:
    """A fresh calendar of Alice's, as her own account (her app password)."""
    global _calendars
    _calendars += 1
    url = radicale.make_calendar("alice", f"visio{_calendars}")
    return CalendarAccount(url, "alice", SecretStr(USERS["alice"]), "personal")


def account_at(url: str, user: str = "alice", password: str | None = None) -> CalendarAccount:
    return CalendarAccount(url, user, SecretStr(password or USERS[user]), "personal")
