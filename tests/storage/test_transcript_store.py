"""Transcripts on SQLite (FTS5) and on a real PostgreSQL (tsvector + GIN): turns stored and read
back, search with French and English stemming and accents, access control in the query, hostile
queries, deletion and the retention purge taking the search entries with them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Connection, inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.postgres import throwaway_postgres
from visio.auth.users import User, UserRepository
from visio.directory import DirectoryGroup, DirectoryRepository
from visio.rooms.repository import RoomRepository, StoredRoom
from visio.storage.database import alembic_config, create_engine, migrate, session_factory
from visio.transcripts.store import TranscriptStore, Turn


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    with throwaway_postgres() as url:
        yield url


@dataclass
class Stores:
    engine: AsyncEngine
    rooms: RoomRepository
    users: UserRepository
    groups: DirectoryRepository
    transcripts: TranscriptStore


@pytest.fixture(params=["sqlite", "postgresql"])
async def stores(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Stores]:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'visio.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    engine = create_engine(url)
    try:
        await migrate(engine)
        sessions = session_factory(engine)
        yield Stores(
            engine,
            RoomRepository(sessions),
            UserRepository(sessions),
            DirectoryRepository(sessions),
            TranscriptStore(sessions),
        )
    finally:
        await engine.dispose()


async def person(stores: Stores, name: str) -> User:
    """A signed-in user (subjects unique across the module's shared PostgreSQL)."""
    unique = f"{name}-{datetime.now(UTC).timestamp()}"
    return await stores.users.sign_in(
        "test", unique, {"given_name": name, "email": f"{unique}@example.fr"}
    )


async def meeting(
    stores: Stores, room: StoredRoom, said: list[tuple[str, str, str]], days_ago: float = 0
) -> int:
    """A finished transcript of ``room`` with turns (speaker, language, text), a second apart."""
    start = datetime.now(UTC) - timedelta(days=days_ago)
    transcript = await stores.transcripts.create(room.id, start, "user:1", None, "auto")
    for n, (speaker, language, words) in enumerate(said):
        await stores.transcripts.add_turn(
            transcript,
            Turn(
                participant_id=f"p_{n}",
                speaker=speaker,
                user_id=None,
                started_at=start + timedelta(seconds=n),
                ended_at=start + timedelta(seconds=n + 1),
                text=words,
                language=language,
            ),
        )
    await stores.transcripts.finish(transcript, start + timedelta(seconds=len(said)), "complete")
    return transcript


async def owned_room(stores: Stores, owner: User) -> StoredRoom:
    return await stores.rooms.create(name="Comité", owner_id=owner.id)


async def test_transcript_turns_come_back_in_order_with_names_and_times(stores: Stores) -> None:
    """Turns are read back in the order spoken, names and text exactly as stored."""
    owner = await person(stores, "Ana")
    room = await owned_room(stores, owner)
    odd_name = 'Zoé --> "<b>" 👩‍💻'
    transcript = await meeting(
        stores, room, [(odd_name, "fr", "Bonjour à tous"), ("Bob", "en", "Hello there")]
    )
    turns = await stores.transcripts.turns(transcript)
    assert [(t.speaker, t.text, t.language) for t in turns] == [
        (odd_name, "Bonjour à tous", "fr"),
        ("Bob", "Hello there", "en"),
    ]
    assert turns[1].started_at - turns[0].started_at == timedelta(seconds=1)
    found = await stores.transcripts.get(transcript)
    assert found is not None and found.turn_count == 2 and found.status == "complete"
    assert found.room_slug == room.slug and found.room_name == "Comité"
    assert [t.id for t in await stores.transcripts.of_room(room.id)] == [transcript]


async def test_search_stems_french_and_english_and_ignores_accents(stores: Stores) -> None:
    """ "réunions" finds "réunion", "reunion" finds it too, "meetings" finds "meeting"; every
    word must match; the snippet marks the words that matched."""
    owner = await person(stores, "Ana")
    room = await owned_room(stores, owner)
    await meeting(
        stores,
        room,
        [
            ("Zoé", "fr", "La prochaine réunion aura lieu jeudi."),
            ("Bob", "en", "The meeting is moved to Thursday."),
            ("Chloé", "fr", "Le budget est validé."),
        ],
    )

    async def speakers(query: str) -> list[str]:
        return [hit.turn.speaker for hit in await stores.transcripts.search(owner.id, None, query)]

    assert await speakers("réunions") == ["Zoé"]
    assert await speakers("REUNION") == ["Zoé"]
    assert await speakers("meetings") == ["Bob"]
    assert await speakers("budgets validés") == ["Chloé"]
    assert await speakers("budget thursday") == []
    hit = (await stores.transcripts.search(owner.id, None, "réunions"))[0]
    assert [f.text for f in hit.snippet if f.match] == ["réunion"]
    assert "".join(f.text for f in hit.snippet) == "La prochaine réunion aura lieu jeudi."


async def test_search_reads_only_rooms_the_caller_owns_or_administers(stores: Stores) -> None:
    """Owners and administrators find their rooms' turns, in person or through a directory
    group; a member, a stranger and another room's owner find nothing."""
    owner, admin, member, stranger, grouped = [
        await person(stores, n) for n in ("owner", "admin", "member", "stranger", "grouped")
    ]
    room = await owned_room(stores, owner)
    await stores.rooms.set_role(room, admin.id, "administrator")
    await stores.rooms.set_role(room, member.id, "member")
    await stores.rooms.set_group_role(room, "direction", "administrator")
    await stores.groups.replace(
        [DirectoryGroup("direction", "cn=direction", frozenset({str(grouped.email).lower()}))]
    )
    elsewhere = await owned_room(stores, stranger)
    await meeting(stores, room, [("Zoé", "fr", "Le calendrier est arrêté.")])
    await meeting(stores, elsewhere, [("Eve", "fr", "Mon calendrier secret.")])

    async def rooms_found(user: User) -> set[str]:
        hits = await stores.transcripts.search(user.id, str(user.email), "calendrier")
        return {hit.transcript.room_slug for hit in hits}

    assert await rooms_found(owner) == {room.slug}
    assert await rooms_found(admin) == {room.slug}
    assert await rooms_found(grouped) == {room.slug}
    assert await rooms_found(member) == set()
    assert await rooms_found(stranger) == {elsewhere.slug}


@pytest.mark.parametrize(
    "query",
    [
        '"',
        "a OR",
        "NEAR(réunion",
        "réunion*",
        '" OR 1=1 --',
        "col:réunion",
        "^réunion",
        "'; DROP TABLE transcripts; --",
        "\\",
        "()",
        "AND AND",
        "...",
        "x" * 300,
    ],
)
async def test_search_takes_any_query_as_plain_words(stores: Stores, query: str) -> None:
    """FTS5 and tsquery syntax in a query is only words: no error, nothing broken."""
    owner = await person(stores, "Ana")
    room = await owned_room(stores, owner)
    await meeting(stores, room, [("Zoé", "fr", "La réunion")])
    await stores.transcripts.search(owner.id, None, query)
    assert len(await stores.transcripts.search(owner.id, None, "réunion")) >= 1


async def index_entries(stores: Stores, transcript: int) -> int:
    """Search entries left for a transcript's turns (FTS5 rows, or tsvectors)."""
    async with stores.engine.connect() as connection:
        if stores.engine.dialect.name == "postgresql":
            statement = "SELECT count(*) FROM transcript_turns WHERE transcript_id = :t"
        else:
            statement = (
                "SELECT count(*) FROM transcript_search WHERE rowid IN "
                "(SELECT id FROM transcript_turns WHERE transcript_id = :t)"
            )
        return int(await connection.scalar(text(statement), {"t": transcript}) or 0)


async def test_deleting_a_transcript_removes_its_turns_and_search_entries(
    stores: Stores,
) -> None:
    """Once deleted, a transcript, its turns and its search entries are gone."""
    owner = await person(stores, "Ana")
    room = await owned_room(stores, owner)
    transcript = await meeting(stores, room, [("Zoé", "fr", "Confidentiel défense")])
    assert await stores.transcripts.search(owner.id, None, "confidentiel")
    assert await index_entries(stores, transcript) >= 1
    assert await stores.transcripts.delete(transcript)
    assert not await stores.transcripts.delete(transcript)
    assert await stores.transcripts.get(transcript) is None
    assert await stores.transcripts.turns(transcript) == []
    assert await stores.transcripts.search(owner.id, None, "confidentiel") == []
    if stores.engine.dialect.name != "postgresql":
        async with stores.engine.connect() as connection:
            orphans = await connection.scalar(
                text(
                    "SELECT count(*) FROM transcript_search "
                    "WHERE rowid NOT IN (SELECT id FROM transcript_turns)"
                )
            )
        assert orphans == 0


async def test_retention_purge_drops_old_finished_transcripts_only(stores: Stores) -> None:
    """Finished transcripts older than the cutoff go with their search entries; newer ones and
    one still being made stay."""
    owner = await person(stores, "Ana")
    room = await owned_room(stores, owner)
    old = await meeting(stores, room, [("Zoé", "fr", "Ancien compte rendu")], days_ago=31)
    recent = await meeting(stores, room, [("Zoé", "fr", "Nouveau compte rendu")], days_ago=29)
    running = await stores.transcripts.create(
        room.id, datetime.now(UTC) - timedelta(days=40), "user:1", None, "fr"
    )
    assert await stores.transcripts.purge(datetime.now(UTC) - timedelta(days=30)) >= 1
    assert await stores.transcripts.get(old) is None
    assert await stores.transcripts.get(recent) is not None
    assert await stores.transcripts.get(running) is not None
    hits = await stores.transcripts.search(owner.id, None, "compte rendu")
    assert [h.transcript.id for h in hits] == [recent]


async def test_transcripts_left_active_are_marked_interrupted(stores: Stores) -> None:
    """A transcript still active when the server starts again ends as interrupted."""
    owner = await person(stores, "Ana")
    room = await owned_room(stores, owner)
    running = await stores.transcripts.create(room.id, datetime.now(UTC), "user:1", None, "fr")
    assert await stores.transcripts.interrupt_active(datetime.now(UTC)) >= 1
    found = await stores.transcripts.get(running)
    assert found is not None and found.status == "interrupted" and found.ended_at is not None


def _downgrade(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, revision)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_transcript_migration_goes_up_down_and_up_again(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """0011_transcripts applies over 0009 with rooms in it, comes off cleanly (search index
    included) and applies again."""
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'migrations.db'}"
    else:
        with throwaway_postgres() as fresh:
            await _up_down_up(fresh)
        return
    await _up_down_up(url)


async def _up_down_up(url: str) -> None:
    engine = create_engine(url)
    try:
        await migrate(engine, "0009")
        rooms = RoomRepository(session_factory(engine))
        room = await rooms.create(name="Avant")
        await migrate(engine, "0011_transcripts")
        store = TranscriptStore(session_factory(engine))
        transcript = await store.create(room.id, datetime.now(UTC), "x", None, "fr")
        now = datetime.now(UTC)
        await store.add_turn(transcript, Turn("p", "Zoé", None, now, now, "Réunion", "fr"))
        async with engine.begin() as connection:
            await connection.run_sync(_downgrade, "0009")
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda c: inspect(c).get_table_names())
        assert not {"transcripts", "transcript_turns", "transcript_search"} & set(tables)
        await migrate(engine)
        assert await rooms.get(room.slug) is not None
        assert await TranscriptStore(session_factory(engine)).of_room(room.id) == []
    finally:
        await engine.dispose()
