"""Scheduled meetings, the mail outbox and the directory's people in SQLite and in a real
PostgreSQL: migration 0012 up and down, storing, changing, cancelling, finding."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.postgres import throwaway_postgres
from visio.directory.people import DirectoryPerson, PeopleDirectory
from visio.rooms.repository import RoomRepository
from visio.scheduling.recurrence import Recurrence, When
from visio.scheduling.repository import Attendee, MeetingRepository
from visio.storage.database import create_engine, migrate, session_factory
from visio.storage.models import utcnow

NEW_TABLES = {"mail_outbox", "scheduled_meetings", "scheduled_meeting_attendees", "directory_people"}


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
    if request.param == "postgresql":  # the cluster is shared by the module's tests
        async with engine.begin() as connection:
            for table in ("scheduled_meetings", "directory_people", "rooms", "users"):
                await connection.execute(text(f"DELETE FROM {table}"))
    await engine.dispose()


async def _tables(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as connection:
        return set(await connection.run_sync(lambda c: inspect(c).get_table_names()))


async def test_meetings_migration_goes_down_and_up_again(engine: AsyncEngine) -> None:
    """0012 creates its four tables; going back to 0009 drops them; up again restores them."""
    assert NEW_TABLES <= await _tables(engine)
    await migrate_to(engine, "0009")
    assert not NEW_TABLES & await _tables(engine)
    await migrate(engine)
    assert NEW_TABLES <= await _tables(engine)


async def migrate_to(engine: AsyncEngine, revision: str) -> None:
    from alembic import command

    from visio.storage.database import alembic_config

    def downgrade(connection: object) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, revision)

    async with engine.begin() as connection:
        await connection.run_sync(downgrade)


async def test_meetings_are_stored_changed_and_cancelled(engine: AsyncEngine) -> None:
    """A meeting keeps its local start, zone, recurrence and Unicode title; an update raises
    the sequence and replaces the invitees; a cancelled meeting is no longer upcoming."""
    sessions = session_factory(engine)
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO users (id, provider, subject, given_name, usual_name, email, "
                "created_at, last_login_at) VALUES (1, 'p', 's', 'Zoë', 'Ørsted', 'z@x.fr', "
                ":now, :now)"
            ),
            {"now": utcnow()},
        )
    room = await RoomRepository(sessions).create(name="Salle", owner_id=1)
    meetings = MeetingRepository(sessions)
    when = When(
        datetime(2027, 3, 22, 10),
        "Europe/Paris",
        timedelta(minutes=45),
        Recurrence("weekly", 1, ("MO",), count=3),
    )
    title = "Réunion 日本語 👩‍💻"
    stored = await meetings.create(
        "a" * 32 + "@visio", room.id, 1, title, when, "fr",
        [Attendee("anne@example.fr", "Anne", "en")],
    )
    found = await meetings.get(stored.uid)
    assert found is not None
    assert (found.title, found.when, found.sequence, found.organiser_name) == (
        title, when, 0, "Zoë Ørsted",
    )
    assert found.attendees == (Attendee("anne@example.fr", "Anne", "en", "NEEDS-ACTION"),)
    later = When(datetime(2027, 3, 22, 11), "Europe/Paris", timedelta(minutes=30), None)
    changed = await meetings.update(
        stored.uid, title="Autre", when=later, language="en",
        attendees=[Attendee("bob@example.fr")], reset_answers=True,
    )
    assert (changed.sequence, changed.when, [a.email for a in changed.attendees]) == (
        1, later, ["bob@example.fr"],
    )
    now = datetime(2026, 12, 2, tzinfo=later.aware_start.tzinfo)
    assert [m.uid for m in await meetings.upcoming_for(1, None, now)] == [stored.uid]
    assert [m.uid for m in await meetings.upcoming_for(2, "bob@example.fr", now)] == [stored.uid]
    assert await meetings.upcoming_for(2, "carol@example.fr", now) == []
    cancelled = await meetings.cancel(stored.uid)
    assert (cancelled.status, cancelled.sequence) == ("cancelled", 2)
    assert await meetings.upcoming_for(1, None, now) == []


async def test_directory_people_search_by_prefix_without_wildcards(engine: AsyncEngine) -> None:
    """Suggestions match the start of an e-mail, a name or a word of it, case aside; % and _
    are letters, not wildcards."""
    people = PeopleDirectory(session_factory(engine))
    await people.replace(
        [
            DirectoryPerson("marie.curie@recherche.gouv.fr", "Marie Curie"),
            DirectoryPerson("jean.moulin@culture.gouv.fr", "Jean Moulin"),
            DirectoryPerson("a_b@example.fr", "Élodie Durand"),
        ]
    )
    assert [p.email for p in await people.search("mar")] == ["marie.curie@recherche.gouv.fr"]
    assert [p.email for p in await people.search("MOUL")] == ["jean.moulin@culture.gouv.fr"]
    assert [p.email for p in await people.search("a_")] == ["a_b@example.fr"]
    assert await people.search("%") == []
    assert await people.search("_") == []
    assert [p.name for p in await people.search("dur")] == ["Élodie Durand"]
    assert await people.replace([]) == 0
    assert await people.search("mar") == []
