"""Kept chat on SQLite and on a real PostgreSQL: stored, read back, deleted, purged."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.postgres import throwaway_postgres
from visio.rooms.chat_history import ChatHistory
from visio.rooms.protocol import ChatMessageInfo
from visio.rooms.repository import RoomRepository, StoredRoom
from visio.storage.database import create_engine, migrate, session_factory


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    with throwaway_postgres() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
async def stores(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[RoomRepository, ChatHistory]]:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'visio.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    engine = create_engine(url)
    try:
        await migrate(engine)
        sessions = session_factory(engine)
        yield RoomRepository(sessions), ChatHistory(sessions)
    finally:
        await engine.dispose()


def mid(room: StoredRoom, number: int) -> str:
    return f"m_{room.slug}-{number}"


def message(
    room: StoredRoom, number: int, sent_at: datetime, text: str | None = None
) -> ChatMessageInfo:
    """Message ``number`` of a room (ids are unique across the module's shared database)."""
    return ChatMessageInfo(
        id=mid(room, number),
        participant_id="p_someone",
        name="Zoé 👩‍💻",
        text=text or f"message {number}",
        sent_at=sent_at,
    )


async def test_chat_history_keeps_messages_in_order_with_their_text(
    stores: tuple[RoomRepository, ChatHistory],
) -> None:
    """Stored messages come back oldest first, exactly as written (any Unicode, newlines,
    markup as text), the newest ``limit`` of them, only the room's own."""
    rooms, history = stores
    room, other = await rooms.create(), await rooms.create()
    start = datetime.now(UTC) - timedelta(hours=1)
    odd = "مرحبا\n<b>x</b> 😀 \u05e9\u05dc\u05d5\u05dd"
    for n in range(5):
        await history.add(
            room.id, message(room, n, start + timedelta(minutes=n), odd if n == 2 else None)
        )
    await history.add(other.id, message(other, 99, start))
    found = await history.recent(room.id, since=start - timedelta(days=1), limit=3)
    assert [m.id for m in found] == [mid(room, 2), mid(room, 3), mid(room, 4)]
    assert found[0].text == odd and found[0].name == "Zoé 👩‍💻"
    assert found[0].sent_at == start + timedelta(minutes=2)
    assert await history.recent(room.id, since=start + timedelta(minutes=3), limit=10) == [
        message(room, 4, start + timedelta(minutes=4))
    ]


async def test_chat_history_deletes_one_message(
    stores: tuple[RoomRepository, ChatHistory],
) -> None:
    """A deleted message is gone; deleting it again, or from another room, changes nothing."""
    rooms, history = stores
    room, other = await rooms.create(), await rooms.create()
    now = datetime.now(UTC)
    await history.add(room.id, message(room, 1, now))
    await history.add(room.id, message(room, 2, now))
    assert not await history.delete(other.id, mid(room, 1))
    assert await history.delete(room.id, mid(room, 1))
    assert not await history.delete(room.id, mid(room, 1))
    assert [m.id for m in await history.recent(room.id, now - timedelta(1), 10)] == [mid(room, 2)]


async def test_chat_history_purge_drops_what_is_past_retention(
    stores: tuple[RoomRepository, ChatHistory],
) -> None:
    """Messages older than the cutoff go, newer ones stay, in every room."""
    rooms, history = stores
    room = await rooms.create()
    now = datetime.now(UTC)
    await history.add(room.id, message(room, 1, now - timedelta(days=31)))
    await history.add(room.id, message(room, 2, now - timedelta(days=29)))
    assert await history.purge(now - timedelta(days=30)) == 1
    assert [m.id for m in await history.recent(room.id, now - timedelta(365), 10)] == [mid(room, 2)]


async def test_chat_history_keep_chat_setting_and_forgetting(
    stores: tuple[RoomRepository, ChatHistory],
) -> None:
    """keep_chat is off for a new room; turning it off again forgets the kept messages; a
    deleted room takes its messages with it."""
    rooms, history = stores
    room = await rooms.create()
    assert room.keep_chat is False
    assert (await rooms.update(room.slug, keep_chat=True)).keep_chat is True
    stored = await rooms.get(room.slug)
    assert stored is not None and stored.keep_chat
    now = datetime.now(UTC)
    await history.add(room.id, message(room, 1, now))
    assert (await rooms.update(room.slug, name="Renamed")).keep_chat is True
    assert len(await history.recent(room.id, now - timedelta(1), 10)) == 1
    assert (await rooms.update(room.slug, keep_chat=False)).keep_chat is False
    assert await history.recent(room.id, now - timedelta(1), 10) == []
