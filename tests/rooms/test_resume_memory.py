"""Resume tokens and the role memory, on their own and in Redis (a real redis-server)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from redis.asyncio import Redis

from tests.redis_server import RunningRedis, start_redis
from tests.rooms.test_resume import Guest
from tests.support import VISIO, start_server, wait_until
from visio.rooms.resume import (
    LocalRoleMemory,
    Record,
    RedisRoleMemory,
    ResumeTokens,
    load_key,
    roles_key,
)
from visio.settings import SettingsError, load_settings

KEY = b"k" * 32
SLUG = "abc-defg-hij"


def tokens(at: float = 1_000_000.0) -> ResumeTokens:
    return ResumeTokens(KEY, 600, clock=lambda: at)


# ---- tokens ------------------------------------------------------------------------------


def test_token_holds_for_its_room_person_and_lifetime() -> None:
    token = tokens().mint(SLUG, "p_alice", "guest:abc")
    claim = tokens(1_000_000 + 599).check(token, SLUG, "guest:abc")
    assert not isinstance(claim, str)
    assert (claim.participant_id, claim.expires_at) == ("p_alice", 1_000_600)
    assert tokens(1_000_000 + 600).check(token, SLUG, "guest:abc") == "expired"
    assert tokens().check(token, "zzz-zzzz-zzz", "guest:abc") == "other_room"
    assert tokens().check(token, SLUG, "guest:other") == "other_person"
    assert tokens().check(token, SLUG, None) == "other_person"


def test_token_under_another_key_or_altered_is_invalid() -> None:
    token = tokens().mint(SLUG, "p_alice", None)
    other = ResumeTokens(b"o" * 32, 600, clock=lambda: 1_000_000.0)
    assert other.check(token, SLUG, None) == "invalid"
    body, signature = token.rsplit(".", 1)
    assert tokens().check(body + "." + signature[::-1], SLUG, None) == "invalid"
    assert tokens().check(token.replace("r1.", "r2.", 1), SLUG, None) == "invalid"
    assert tokens().check("r1." + "A" * 600, SLUG, None) == "invalid"
    assert tokens().check("r1.%%%.***", SLUG, None) == "invalid"


def test_token_names_nobody_in_clear() -> None:
    """Its holder can read it: it carries a digest of who they are, not their cookie."""
    token = tokens().mint(SLUG, "p_alice", "guest:secret-cookie-digest")
    assert "secret" not in token
    assert len(token) < 300


def test_key_file_is_made_once_and_kept(tmp_path: Path) -> None:
    first = load_key(None, tmp_path)
    assert len(first) == 32
    assert load_key(None, tmp_path) == first
    assert (tmp_path / "resume.key").stat().st_mode & 0o777 == 0o600
    assert load_key("a" * 43, tmp_path) != first


# ---- the role memory -----------------------------------------------------------------------

RECORD = Record(
    joined_at=datetime(2026, 12, 2, 12, 0, tzinfo=UTC),
    promoted=True,
    hand_raised_at=datetime(2026, 12, 2, 12, 5, tzinfo=UTC),
)


def test_local_memory_keeps_records_for_a_while() -> None:
    now = [0.0]
    memory = LocalRoleMemory(600, clock=lambda: now[0])
    memory.remember(SLUG, "p_a", RECORD)
    memory.remember(SLUG, "p_b", RECORD)
    assert asyncio.run(memory.recall(SLUG, "p_a")) == RECORD
    memory.forget(SLUG, "p_b")
    assert asyncio.run(memory.recall(SLUG, "p_b")) is None
    now[0] = 601
    assert asyncio.run(memory.recall(SLUG, "p_a")) is None


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningRedis]:
    server = start_redis(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


def test_redis_memory_writes_the_room_hash_with_a_lifetime(redis_server: RunningRedis) -> None:
    async def scenario() -> None:
        client = Redis.from_url(redis_server.url)
        memory = RedisRoleMemory(client, 120)
        memory.remember(SLUG, "p_a", RECORD)
        memory.remember(SLUG, "p_b", Record(RECORD.joined_at))
        memory.remember(SLUG, "p_b", Record(RECORD.joined_at, removed=True))  # latest wins
        await memory.flush()
        stored = await client.hgetall(roles_key(SLUG))  # type: ignore[misc]
        assert set(stored) == {b"p_a", b"p_b"}
        assert json.loads(stored[b"p_b"])["removed"] is True
        assert 100 < await client.ttl(roles_key(SLUG)) <= 120
        # Another app server reads what this one wrote.
        reader = RedisRoleMemory(client, 120)
        assert await reader.recall(SLUG, "p_a") == RECORD
        assert (await reader.recall(SLUG, "p_b")) == Record(RECORD.joined_at, removed=True)
        memory.forget(SLUG, "p_a")
        await memory.flush()
        assert await reader.recall(SLUG, "p_a") is None
        memory.forget_room(SLUG)
        await memory.flush()
        assert not await client.exists(roles_key(SLUG))
        await memory.close()
        await client.aclose()

    asyncio.run(scenario())


def test_redis_memory_down_loses_records_not_meetings(redis_server: RunningRedis) -> None:
    """Redis unreachable: writes are dropped with a warning, reads find nothing; nothing
    raises into the room."""

    async def scenario() -> None:
        client = Redis.from_url(
            f"redis://127.0.0.1:{redis_server.port + 1 if redis_server.port < 65535 else 1}/0",
            socket_connect_timeout=0.5,
            socket_timeout=0.5,
        )
        memory = RedisRoleMemory(client, 120)
        memory.remember(SLUG, "p_a", RECORD)
        await memory.flush()
        assert await memory.recall(SLUG, "p_b") is None
        await memory.close()
        await client.aclose()

    asyncio.run(scenario())


def test_room_rebuilt_after_a_restart_restores_the_stand_in_from_redis(
    tmp_path: Path, redis_server: RunningRedis
) -> None:
    """The app server dies and comes back (as another would take the room over): Bob
    reconnects first and stands in; Alice, the first to have joined, resumes and moderates
    again, from the record in Redis."""
    server = start_server(tmp_path / "visio", redis_url=redis_server.url)
    try:
        slug = server.create_room()
        alice, bob = Guest(server, slug), Guest(server, slug)
        alice_ws, alice_joined = alice.enter("Alice")
        bob_ws, bob_joined = bob.enter("Bob")
        client = redis_server.client()
        try:
            wait_until(lambda: client.hlen(roles_key(slug)) == 2, 10, "no records in Redis")
        finally:
            client.close()
        server.process.kill()  # no goodbye: what a node loss looks like
        server.process.wait(10)
        alice_ws.close()  # already dropped by the server's death
        bob_ws.close()
        server.restart()

        bob_again, bob_back = bob.enter("Bob", resume=bob_joined["resume_token"])
        assert bob_back["participant"]["id"] == bob_joined["participant"]["id"]
        assert bob_back["participant"]["moderator_by"] == "interim"  # the only one present
        alice_again, alice_back = alice.enter("Alice", resume=alice_joined["resume_token"])
        me = alice_back["participant"]
        assert (me["id"], me["moderator_by"]) == (alice_joined["participant"]["id"], "interim")
        assert me["joined_at"] == alice_joined["participant"]["joined_at"]
        stepped_down = bob_again.expect("participant.updated", timeout=5)["participant"]
        assert (stepped_down["name"], stepped_down["moderator"]) == ("Bob", False)
        alice_again.close()
        bob_again.close()
    finally:
        server.stop()


def test_connected_people_get_fresh_tokens(tmp_path: Path) -> None:
    """Every third of a token's life, a new one (VISIO_RESUME_TTL_SECONDS=60: every 20 s)."""
    server = start_server(tmp_path / "visio", resume_ttl_seconds="60")
    try:
        slug = server.create_room()
        guest = Guest(server, slug)
        ws, joined = guest.enter("Alice")
        fresh = ws.expect("resume.token", timeout=40)["token"]
        assert fresh != joined["resume_token"]
        ws.close()  # closed without `leave`: a drop, the record stays
        again, back = guest.enter("Alice", resume=fresh)
        assert back["participant"]["id"] == joined["participant"]["id"]
        again.close()
    finally:
        server.stop()


def test_tokens_from_a_killed_server_expire(tmp_path: Path) -> None:
    """Sanity of the clock the tests above rely on: a minted token's expiry is in the future."""
    minted = ResumeTokens(KEY, 60).mint(SLUG, "p_a", None)
    claim = ResumeTokens(KEY, 60).check(minted, SLUG, None)
    assert not isinstance(claim, str) and claim.expires_at > time.time()


@pytest.mark.parametrize("secret", ["short", "a" * 42 + "é", "!" * 60])
def test_resume_secret_must_be_32_bytes_of_base64(
    monkeypatch: pytest.MonkeyPatch, secret: str
) -> None:
    """A bad VISIO_RESUME_SECRET stops the start, and the message never echoes it."""
    monkeypatch.setenv("VISIO_RESUME_SECRET", secret)
    with pytest.raises(SettingsError) as refused:
        load_settings(_env_file=None)
    assert "VISIO_RESUME_SECRET" in str(refused.value)
    assert secret not in str(refused.value)


def test_check_asks_app_servers_sharing_redis_for_one_resume_secret(tmp_path: Path) -> None:
    """`visio check`: one machine makes its own key file; with Redis, the secret is needed."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("VISIO_")},
        "VISIO_DATA_DIR": str(tmp_path),
    }
    alone = subprocess.run(
        [str(VISIO), "check"], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert "ok   resume tokens signed with" in alone.stdout
    clustered = subprocess.run(
        [str(VISIO), "check"],
        env=env | {"VISIO_REDIS_URL": "redis://127.0.0.1:1/0"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "ERR  resume tokens signed with" in clustered.stdout
    assert "VISIO_RESUME_SECRET, the same on every app server" in clustered.stdout
    shared = subprocess.run(
        [str(VISIO), "check"],
        env=env | {"VISIO_REDIS_URL": "redis://127.0.0.1:1/0", "VISIO_RESUME_SECRET": "b" * 43},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "ok   resume tokens signed with VISIO_RESUME_SECRET" in shared.stdout
