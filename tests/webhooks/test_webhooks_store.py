"""The webhook queue and log on SQLite and on a real PostgreSQL: order per endpoint, retries,
retention, and secrets encrypted at rest."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.postgres import throwaway_postgres
from visio.rooms.repository import RoomRepository
from visio.storage.database import create_engine, migrate, session_factory
from visio.webhooks.signing import SecretBox, new_secret
from visio.webhooks.store import Attempt, WebhookStore


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    with throwaway_postgres() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    url = (
        f"sqlite+aiosqlite:///{tmp_path / 'visio.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    engine = create_engine(url)
    await migrate(engine)
    await engine.dispose()
    yield url
    if request.param == "postgresql":  # the cluster is shared by the module: leave it empty
        engine = create_engine(url)
        async with engine.begin() as connection:
            await connection.execute(text("DELETE FROM webhook_endpoints"))
        await engine.dispose()


async def test_webhooks_store_serves_each_endpoint_in_order_and_logs_attempts(
    database: str,
) -> None:
    """Only the oldest pending delivery of an endpoint is offered; a retry keeps its place; a
    delivered one lets the next through; finished ones are purged after the retention."""
    engine = create_engine(database)
    try:
        sessions = session_factory(engine)
        room = await RoomRepository(sessions).create(name="Salle")
        store = WebhookStore(sessions)
        box = SecretBox(b"k" * 32)
        endpoint = await store.add(
            room.id,
            "https://example.org/h",
            None,
            ["meeting.started"],
            box.seal(new_secret()),
            None,
        )
        other = await store.add(
            None, "https://example.org/all", None, ["meeting.ended"], box.seal(new_secret()), None
        )
        assert await store.enqueue(room.id, "meeting.started", "msg_1", "{}") == 1
        assert await store.enqueue(room.id, "meeting.started", "msg_2", "{}") == 1
        assert await store.enqueue(room.id, "meeting.ended", "msg_3", "{}") == 1  # deployment
        assert await store.enqueue(None, "participant.left", "msg_4", "{}") == 0
        heads = {h.endpoint_id: h.message_id for h in await store.heads()}
        assert heads == {endpoint.id: "msg_1", other.id: "msg_3"}

        now = datetime.now(UTC)
        [first] = [h for h in await store.heads() if h.endpoint_id == endpoint.id]
        await store.record_attempt(
            first, Attempt(now, 500, 12, "HTTP 500"), "pending", now + timedelta(seconds=5)
        )
        [again] = [h for h in await store.heads() if h.endpoint_id == endpoint.id]
        assert again.message_id == "msg_1" and again.attempts == 1
        assert again.next_attempt_at >= now + timedelta(seconds=4)
        await store.record_attempt(again, Attempt(now, 204, 8, None), "delivered", None)
        [following] = [h for h in await store.heads() if h.endpoint_id == endpoint.id]
        assert following.message_id == "msg_2"

        log = await store.deliveries(endpoint.id)
        assert [(d.message_id, d.status) for d in log] == [
            ("msg_2", "pending"),
            ("msg_1", "delivered"),
        ]
        assert [(a.status_code, a.error) for a in log[1].attempts] == [
            (500, "HTTP 500"),
            (204, None),
        ]
        [stored] = await store.endpoints(room.id)
        assert stored.consecutive_failures == 0 and stored.last_success_at is not None

        assert await store.purge(now - timedelta(days=1)) == 0
        assert await store.purge(now + timedelta(seconds=1)) == 1
        assert [d.message_id for d in await store.deliveries(endpoint.id)] == ["msg_2"]
    finally:
        await engine.dispose()


async def test_webhooks_store_keeps_secrets_encrypted(database: str) -> None:
    """The secret column holds ciphertext; another key cannot open it."""
    engine = create_engine(database)
    try:
        sessions = session_factory(engine)
        store = WebhookStore(sessions)
        secret = new_secret()
        box = SecretBox(b"k" * 32)
        endpoint = await store.add(
            None, "https://example.org/h", None, ["meeting.started"], box.seal(secret), None
        )
        async with engine.connect() as connection:
            stored = (
                await connection.execute(text("SELECT secret FROM webhook_endpoints"))
            ).scalar_one()
        assert secret not in stored and secret.removeprefix("whsec_") not in stored
        assert box.open(stored) == secret
        with pytest.raises(ValueError, match="another webhook key"):
            SecretBox(b"x" * 32).open(stored)
        await store.remove(endpoint.id)
    finally:
        await engine.dispose()


def test_webhooks_key_file_is_made_once_and_private(tmp_path: Path) -> None:
    """Without VISIO_WEBHOOKS_ENCRYPTION_KEY a key file is made, readable by Visio only, and
    the same key is read back on the next start."""
    first = SecretBox.from_setting_or_file(None, tmp_path / "data")
    key_file = tmp_path / "data" / "webhooks.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    sealed = first.seal("whsec_abc")
    assert SecretBox.from_setting_or_file(None, tmp_path / "data").open(sealed) == "whsec_abc"


async def test_webhooks_a_delivery_is_claimed_by_one_dispatcher_only(database: str) -> None:
    """Two app servers read the same head: the first claim wins, the second (or a read made
    before the first attempt was written) gets nothing; an attempt written moves it on, and a
    claim left by a server that stopped runs out."""
    engine = create_engine(database)
    try:
        sessions = session_factory(engine)
        room = await RoomRepository(sessions).create(name="Salle")
        store, other_server = WebhookStore(sessions), WebhookStore(sessions)
        await store.add(room.id, "https://example.org/h", None, ["meeting.started"], "sealed", None)
        await store.enqueue(room.id, "meeting.started", "msg_1", "{}")
        [head] = await store.heads()
        [same] = await other_server.heads()
        now = datetime.now(UTC)
        lease = now + timedelta(seconds=40)
        assert await store.claim(head, lease) is True
        assert await other_server.claim(same, lease) is False
        assert await store.claim(head, lease) is False  # a stale read of our own
        [claimed] = await other_server.heads()
        assert claimed.next_attempt_at >= lease - timedelta(seconds=1)  # not due elsewhere

        await store.record_attempt(head, Attempt(now, 204, 5, None), "delivered", None)
        assert await other_server.claim(claimed, lease) is False
        assert await other_server.heads() == []

        # A server that claimed and stopped: once the lease is over, another may claim.
        await store.enqueue(room.id, "meeting.started", "msg_2", "{}")
        [second] = await store.heads()
        assert await store.claim(second, now - timedelta(seconds=1)) is True
        [expired] = await other_server.heads()
        assert expired.next_attempt_at < now
        assert await other_server.claim(expired, lease) is True
    finally:
        await engine.dispose()
