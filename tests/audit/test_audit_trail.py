"""The audit trail's storage: append-only, and purged after the retention period."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.postgres import throwaway_postgres
from visio.audit import AuditTrail, Origin
from visio.storage.database import create_engine, migrate, session_factory


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
    await engine.dispose()


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


async def test_audit_trail_purges_events_past_retention(engine: AsyncEngine) -> None:
    """Events older than the retention period go; newer ones stay; the purge is recorded."""
    clock = Clock()
    trail = AuditTrail(session_factory(engine), clock)
    await trail.record("auth.login", "success", Origin("10.0.0.1", "Firefox"), actor="old")
    clock.now += timedelta(days=40)
    await trail.record("auth.login", "success", Origin("10.0.0.2", "Firefox"), actor="new")
    assert await trail.purge(timedelta(days=30)) == 1
    events = await trail.query()
    assert [e.actor for e in events if e.event == "auth.login"] == ["new"]
    assert events[-1].event == "audit.purged" and events[-1].details["removed"] == 1


async def test_audit_trail_rows_cannot_be_updated(engine: AsyncEngine) -> None:
    """Even straight SQL cannot change a recorded event."""
    trail = AuditTrail(session_factory(engine))
    event = await trail.record("auth.login", "failure", details={"reason": "wrong_audience"})
    with pytest.raises(DBAPIError, match="append-only"):
        async with engine.begin() as connection:
            await connection.execute(
                text("UPDATE audit_events SET outcome = 'success' WHERE id = :id"),
                {"id": event.id},
            )
    stored = [e for e in await trail.query(limit=1000) if e.id == event.id]
    assert stored[0].outcome == "failure"
