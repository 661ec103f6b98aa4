"""The calendars service the scheduling code calls: the organiser's own calendar or the
deployment's, writes that never fail the caller, and retries once the server is back."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet
from prometheus_client import CollectorRegistry
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.calendars.events import weekly_meeting
from tests.calendars.radicale import USERS, RadicaleServer, start_radicale
from visio.auth.users import User, UserRepository
from visio.calendars import (
    CalDavClient,
    CalendarAccounts,
    CalendarPolicy,
    Calendars,
    PasswordSeal,
    guarded_client,
)
from visio.storage.database import create_engine, migrate, session_factory

Sessions = async_sessionmaker[AsyncSession]
UID = "service-weekly@visio.example.gouv.fr"
OCTOBER = datetime(2026, 10, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def shared_radicale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RadicaleServer]:
    """Radicale where the service account may write everyone's calendars (a deployment)."""
    server = start_radicale(tmp_path_factory.mktemp("radicale-shared"), rights="authenticated")
    yield server
    server.stop()


@pytest.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[Sessions]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'visio.db'}")
    await migrate(engine)
    yield session_factory(engine)
    await engine.dispose()


def _calendars(
    http: httpx.AsyncClient,
    sessions: Sessions | None = None,
    deployment_url: str | None = None,
    registry: CollectorRegistry | None = None,
) -> Calendars:
    return Calendars(
        CalendarPolicy(
            deployment_url=deployment_url,
            deployment_username="visio",
            deployment_password=SecretStr(USERS["visio"]),
            allow_http=True,
            allow_private=True,
        ),
        CalDavClient(http),
        CalendarAccounts(sessions, PasswordSeal(Fernet.generate_key().decode()))
        if sessions is not None
        else None,
        registry,
        first_retry_after=0.2,
    )


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with guarded_client(allow_private=True, timeout=5) as client:
        yield client


async def _person(sessions: Sessions, name: str = "alice") -> User:
    return await UserRepository(sessions).sign_in(
        "test", name, {"email": f"{name}@example.gouv.fr"}
    )


async def test_calendars_write_event_goes_into_the_organisers_own_calendar(
    tmp_path: Path, sessions: Sessions, http: httpx.AsyncClient
) -> None:
    """With her own calendar connected, Alice's meeting is written there and read back."""
    radicale = start_radicale(tmp_path / "radicale")
    try:
        url = radicale.make_calendar("alice")
        calendars = _calendars(http, sessions)
        alice = await _person(sessions)
        assert calendars.accounts is not None
        await calendars.accounts.save(alice.id, url, "alice", USERS["alice"])
        outcome = await calendars.write_event(alice, UID, weekly_meeting(UID))
        assert outcome.status == "done" and outcome.event is not None and outcome.event.etag
        assert radicale.raw_event("alice", UID).status_code == 200
        read = await calendars.read_event(alice, UID)
        assert read is not None and read.etag == outcome.event.etag and "METHOD" not in read.ics
        found = await calendars.upcoming(alice, OCTOBER, OCTOBER + timedelta(days=60))
        assert len(found) == 5
        removed = await calendars.remove_event(alice, UID)
        assert removed.status == "done"
        assert radicale.raw_event("alice", UID).status_code == 404
        assert await calendars.read_event(alice, UID) is None
    finally:
        radicale.stop()


async def test_calendars_wrong_password_fails_without_raising_and_is_kept_for_the_person(
    tmp_path: Path, sessions: Sessions, http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    """A refused password: the caller gets 'failed', the person's settings show why, the
    operator's log says it without the password, the metric counts it."""
    radicale = start_radicale(tmp_path / "radicale")
    try:
        url = radicale.make_calendar("alice")
        registry = CollectorRegistry()
        calendars = _calendars(http, sessions, registry=registry)
        alice = await _person(sessions)
        assert calendars.accounts is not None
        await calendars.accounts.save(alice.id, url, "alice", "wrong-app-password")
        with caplog.at_level(logging.WARNING, logger="visio.calendars"):
            outcome = await calendars.write_event(alice, UID, weekly_meeting(UID))
        assert outcome.status == "failed" and outcome.failure is not None
        assert outcome.failure.reason == "unauthorised"
        assert calendars.pending() == 0  # not worth retrying: the person must act
        shown = await calendars.accounts.get(alice.id)
        assert shown is not None and shown.failure == "unauthorised"
        assert "unauthorised" in caplog.text and f"user {alice.id}" in caplog.text
        assert "wrong-app-password" not in caplog.text
        assert (
            registry.get_sample_value(
                "visio_calendar_operations_total", {"operation": "write", "outcome": "unauthorised"}
            )
            == 1.0
        )
    finally:
        radicale.stop()


async def test_calendars_retry_a_write_once_the_server_is_back(
    tmp_path: Path, sessions: Sessions, http: httpx.AsyncClient
) -> None:
    """Server down: the caller hears 'retrying' at once; when it is back, the event arrives."""
    radicale = start_radicale(tmp_path / "radicale")
    try:
        url = radicale.make_calendar("alice")
        radicale.stop()
        calendars = _calendars(http, sessions)
        alice = await _person(sessions)
        assert calendars.accounts is not None
        await calendars.accounts.save(alice.id, url, "alice", USERS["alice"])
        outcome = await calendars.write_event(alice, UID, weekly_meeting(UID))
        assert outcome.status == "retrying" and outcome.failure is not None
        assert outcome.failure.reason == "unreachable"
        assert calendars.pending() == 1
        radicale.start()
        for _ in range(600):  # the retries back off from 0.2 s; wait for the queue to empty
            if calendars.pending() == 0:
                break
            await asyncio.sleep(0.1)
        assert calendars.pending() == 0
        assert radicale.raw_event("alice", UID).status_code == 200
        shown = await calendars.accounts.get(alice.id)
        assert shown is not None and shown.failure is None
        await calendars.close()
    finally:
        radicale.stop()


async def test_calendars_a_newer_write_replaces_a_pending_retry(
    tmp_path: Path, sessions: Sessions, http: httpx.AsyncClient
) -> None:
    """Two updates while the server is down: only the latest is retried and lands."""
    radicale = start_radicale(tmp_path / "radicale")
    try:
        url = radicale.make_calendar("alice")
        radicale.stop()
        calendars = _calendars(http, sessions)
        alice = await _person(sessions)
        assert calendars.accounts is not None
        await calendars.accounts.save(alice.id, url, "alice", USERS["alice"])
        await calendars.write_event(alice, UID, weekly_meeting(UID, summary="First"))
        await calendars.write_event(alice, UID, weekly_meeting(UID, summary="Second", sequence=1))
        assert calendars.pending() == 1
        radicale.start()
        for _ in range(600):
            if calendars.pending() == 0:
                break
            await asyncio.sleep(0.1)
        stored = radicale.raw_event("alice", UID)
        assert stored.status_code == 200 and "SUMMARY:Second" in stored.text
        await calendars.close()
    finally:
        radicale.stop()


async def test_calendars_deployment_template_creates_the_calendar_on_first_use(
    shared_radicale: RadicaleServer, http: httpx.AsyncClient
) -> None:
    """VISIO_CALDAV_URL with {user}: the service account makes Bob's Visio calendar, writes
    the meeting into it, lists it and deletes it."""
    calendars = _calendars(http, deployment_url=f"{shared_radicale.url}/{{user}}/visio-meetings/")
    # Bob's home exists once he has used the calendar server (Radicale makes it at sign-in).
    shared_radicale.open_home("bob")
    bob = User(
        id=7,
        provider="test",
        subject="bob",
        given_name="Bob",
        usual_name="",
        email="bob@example.gouv.fr",
        uid=None,
        siret=None,
        idp_id=None,
    )
    outcome = await calendars.write_event(bob, UID, weekly_meeting(UID))
    assert outcome.status == "done"
    stored = shared_radicale.raw_event("bob", UID, "visio-meetings")
    assert stored.status_code == 200 and "METHOD" not in stored.text
    assert len(await calendars.upcoming(bob, OCTOBER, OCTOBER + timedelta(days=60))) == 5
    info = await calendars.test(bob)
    assert info is not None and info.supports_events
    assert (await calendars.remove_event(bob, UID)).status == "done"
    assert shared_radicale.raw_event("bob", UID, "visio-meetings").status_code == 404


async def test_calendars_without_any_calendar_skip_quietly(http: httpx.AsyncClient) -> None:
    """No deployment calendar and no own calendar: nothing to write, nothing to list."""
    calendars = _calendars(http)
    carol = User(
        id=9,
        provider="test",
        subject="carol",
        given_name="",
        usual_name="",
        email=None,
        uid=None,
        siret=None,
        idp_id=None,
    )
    assert (await calendars.write_event(carol, UID, weekly_meeting(UID))).status == "skipped"
    assert await calendars.upcoming(carol, OCTOBER, OCTOBER + timedelta(days=1)) == []
    assert await calendars.test(carol) is None


async def test_calendars_deployment_signs_in_as_each_person_with_a_service_token(
    shared_radicale: RadicaleServer, http: httpx.AsyncClient
) -> None:
    """VISIO_CALDAV_USERNAME={email} with one token as password (La Suite's calendar's global
    channel): Carol's meeting goes into her own calendar, made on first use."""
    calendars = Calendars(
        CalendarPolicy(
            deployment_url=f"{shared_radicale.url}/{{email}}/visio/",
            deployment_username="{email}",
            deployment_password=SecretStr(USERS["carol@example.gouv.fr"]),
            allow_http=True,
            allow_private=True,
        ),
        CalDavClient(http),
        None,
    )
    carol = User(
        id=11,
        provider="test",
        subject="carol",
        given_name="Carol",
        usual_name="",
        email="carol@example.gouv.fr",
        uid=None,
        siret=None,
        idp_id=None,
    )
    info = await calendars.test(carol)  # the calendar is made by the first test or write
    assert info is not None and info.supports_events
    outcome = await calendars.write_event(carol, UID, weekly_meeting(UID))
    assert outcome.status == "done", outcome.failure
    stored = shared_radicale.raw_event("carol@example.gouv.fr", UID, "visio")
    assert stored.status_code == 200 and f"UID:{UID}" in stored.text
