"""Per-client rate limits held across app servers through Redis (issue 12), and what happens
while Redis is down; plus the bounds on what a client's key may cost in memory and in Redis."""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import signal
from collections.abc import Iterator
from contextlib import ExitStack

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from tests.redis_server import RunningRedis, start_redis
from tests.support import RunningServer, start_server, wait_until
from visio.cluster.redis import connect as connect_redis
from visio.ratelimit import LimitCounters, MemoryWindows, RateLimit, client_key
from visio.settings import load_settings

ROOMS_PER_MINUTE = 3
JOINS_PER_MINUTE = 2
SOCKETS_PER_ADDRESS = 2

# Each test speaks from its own loopback address (all of 127.0.0.0/8 reaches the servers), so
# that its budget is its own; 127.0.0.2 is the media namespace's veth and is left alone.
_addresses = (f"127.0.1.{n}" for n in itertools.count(1))


def _client(address: str) -> httpx.Client:
    return httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=10)


def _create_rooms(server: RunningServer, address: str, count: int) -> list[int]:
    with _client(address) as client:
        return [client.post(f"{server.url}/api/v1/rooms").status_code for _ in range(count)]


def _join(server: RunningServer, slug: str, address: str) -> dict[str, object]:
    url = f"{server.ws_base}/api/v1/rooms/{slug}/ws"
    with connect(url, source_address=(address, 0)) as ws:
        ws.send(
            json.dumps({"type": "join", "version": 1, "name": "A", "audio": True, "video": True})
        )
        reply: dict[str, object] = json.loads(ws.recv(timeout=10))
        return reply


def _metric(server: RunningServer, name: str, labels: str = "") -> float:
    pattern = re.escape(name + (f"{{{labels}}}" if labels else "")) + r" ([0-9.e+]+)"
    found = re.search(pattern, server.metrics())
    return float(found.group(1)) if found else 0.0


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningRedis]:
    running = start_redis(tmp_path_factory.mktemp("redis"))
    yield running
    running.stop()


@pytest.fixture(scope="module")
def two_servers(
    tmp_path_factory: pytest.TempPathFactory, redis_server: RunningRedis
) -> Iterator[tuple[RunningServer, RunningServer]]:
    """Two real `visio serve` processes sharing one Redis, with low limits."""
    limits = {
        "redis_url": redis_server.url,
        "rate_limit_room_creation_per_minute": str(ROOMS_PER_MINUTE),
        "rate_limit_joins_per_minute": str(JOINS_PER_MINUTE),
        "protocol_max_sockets_per_address": str(SOCKETS_PER_ADDRESS),
    }
    first = start_server(tmp_path_factory.mktemp("visio-a"), node_id="a", **limits)
    try:
        second = start_server(tmp_path_factory.mktemp("visio-b"), node_id="b", **limits)
    except BaseException:
        first.stop()
        raise
    yield first, second
    second.stop()
    first.stop()


def test_room_creation_budget_spent_on_one_server_is_refused_on_the_other(
    two_servers: tuple[RunningServer, RunningServer],
) -> None:
    """Rooms created on server A count on server B: B refuses the next one with 429."""
    a, b = two_servers
    address = next(_addresses)
    assert _create_rooms(a, address, ROOMS_PER_MINUTE) == [201] * ROOMS_PER_MINUTE
    with _client(address) as client:
        refused = client.post(f"{b.url}/api/v1/rooms")
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited"
    assert _metric(b, "visio_rate_limit_rejections_total", 'limit="room_creation"') >= 1
    # Another address still has its whole budget.
    assert _create_rooms(b, next(_addresses), 1) == [201]


def test_join_budget_spent_on_one_server_is_refused_on_the_other(
    two_servers: tuple[RunningServer, RunningServer],
) -> None:
    """Joins on server A count on server B: B answers rate_limited and closes the socket."""
    a, b = two_servers
    address = next(_addresses)
    room_a, room_b = _create_rooms_slugs(a), _create_rooms_slugs(b)
    replies = [_join(a, room_a, address) for _ in range(JOINS_PER_MINUTE)]
    assert [r["type"] for r in replies] == ["joined"] * JOINS_PER_MINUTE, replies
    refused = _join(b, room_b, address)
    assert (refused["type"], refused["code"], refused["fatal"]) == ("error", "rate_limited", True)


def test_open_sockets_per_address_count_on_every_server(
    two_servers: tuple[RunningServer, RunningServer], redis_server: RunningRedis
) -> None:
    """An address that holds its sockets on server A cannot open another on server B; closing
    one on A frees the place for B."""
    a, b = two_servers
    address = next(_addresses)
    url_a = f"{a.ws_base}/api/v1/rooms/{_create_rooms_slugs(a)}/ws"
    url_b = f"{b.ws_base}/api/v1/rooms/{_create_rooms_slugs(b)}/ws"
    join = json.dumps({"type": "join", "version": 1, "name": "A", "audio": True, "video": True})
    with ExitStack() as sockets:
        held = [
            sockets.enter_context(connect(url_a, source_address=(address, 0)))
            for _ in range(SOCKETS_PER_ADDRESS)
        ]
        for ws in held:  # joined, so the join timeout does not close them meanwhile
            ws.send(join)
            assert json.loads(ws.recv(timeout=10))["type"] == "joined"
        with pytest.raises(InvalidStatus), connect(url_b, source_address=(address, 0)):
            pass
        held[0].close()

        def place_on_b() -> bool:
            try:
                with connect(url_b, source_address=(address, 0)):
                    pass
            except (InvalidStatus, ConnectionClosed):
                return False
            return True

        wait_until(place_on_b, 15, "the socket closed on A never freed its place on B")
        inspector = redis_server.client()
        try:
            places = list(inspector.scan_iter("visio:sockets:*"))
            assert places, "no socket places in Redis"
            assert all(inspector.ttl(key) > 0 for key in places), "a socket place never expires"
        finally:
            inspector.close()


def _create_rooms_slugs(server: RunningServer) -> str:
    with _client(next(_addresses)) as client:
        response = client.post(f"{server.url}/api/v1/rooms")
    response.raise_for_status()
    return str(response.json()["slug"])


def test_redis_down_limits_hold_per_server_and_shared_again_once_back(
    two_servers: tuple[RunningServer, RunningServer], redis_server: RunningRedis
) -> None:
    """Redis killed: every request is answered (no 500), each server still limits on its own
    and counts the storage error; Redis back (empty): the shared limit holds again."""
    a, b = two_servers
    errors_before = _metric(a, "visio_rate_limit_storage_errors_total")
    redis_server.kill()
    try:
        address = next(_addresses)
        codes = _create_rooms(a, address, ROOMS_PER_MINUTE + 1)
        assert codes == [201] * ROOMS_PER_MINUTE + [429]
        assert _metric(a, "visio_rate_limit_storage_errors_total") > errors_before
        assert "rate limits: Redis did not answer" in a.log()
        # B counted nothing of A's: each server limits on its own while Redis is away.
        assert _create_rooms(b, address, 1) == [201]
    finally:
        redis_server.start()

    def shared_again() -> bool:
        address = next(_addresses)
        if _create_rooms(a, address, ROOMS_PER_MINUTE) != [201] * ROOMS_PER_MINUTE:
            return False
        return _create_rooms(b, address, 1) == [429]

    wait_until(shared_again, 30, "the servers did not share their limits again after Redis")
    wait_until(lambda: "rate limits: Redis answers again" in a.log(), 10, "no log line on recovery")


def test_redis_hung_requests_are_answered_and_limited_per_server(
    two_servers: tuple[RunningServer, RunningServer], redis_server: RunningRedis
) -> None:
    """Redis stopped mid-flight (SIGSTOP: connections open, no answers): checks give up after
    their short timeout and count in memory, so requests are answered, not left hanging."""
    a, _ = two_servers
    assert redis_server.process is not None
    errors_before = _metric(a, "visio_rate_limit_storage_errors_total")
    redis_server.process.send_signal(signal.SIGSTOP)
    try:
        codes = _create_rooms(a, next(_addresses), ROOMS_PER_MINUTE + 1)
        assert codes == [201] * ROOMS_PER_MINUTE + [429]
        assert _metric(a, "visio_rate_limit_storage_errors_total") > errors_before
    finally:
        redis_server.process.send_signal(signal.SIGCONT)


# ---- keys: any client string costs a bounded key, and every Redis key expires -------------


@pytest.fixture
def event_loop_runner() -> Iterator[asyncio.Runner]:
    with asyncio.Runner() as runner:
        yield runner


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    clients=st.lists(
        st.text(st.characters(exclude_categories=()), max_size=5000), min_size=1, max_size=5
    )
)
def test_any_client_key_is_bounded_and_expires_in_redis(
    clients: list[str], redis_server: RunningRedis, event_loop_runner: asyncio.Runner
) -> None:
    """Any Unicode (lone surrogates included), of any length, makes a short key with a TTL."""

    async def hit_all() -> None:
        redis = connect_redis(load_settings(_env_file=None, redis_url=redis_server.url))
        counters = LimitCounters(redis, retry_s=0.0)
        limit = RateLimit("fuzz", 100_000, counters)
        try:
            for client in clients:
                assert await limit.allow(client)
                assert await limit.retry_after(client) >= 1
        finally:
            await redis.aclose()

    wait_until(lambda: _redis_answers(redis_server), 30, "Redis is not back")
    event_loop_runner.run(hit_all())
    inspector = redis_server.client()
    try:
        for key in inspector.scan_iter("visio:limits:*"):
            assert len(key) < 120, key
            assert inspector.ttl(key) > 0, f"{key!r} never expires"
    finally:
        inspector.close()


def _redis_answers(redis_server: RunningRedis) -> bool:
    client = redis_server.client()
    try:
        return bool(client.ping())
    except Exception:
        return False
    finally:
        client.close()


def test_client_keys_are_fixed_size_and_ipv6_counts_per_64() -> None:
    """Addresses of one IPv6 /64 share a budget; IPv4 in IPv6 counts as the IPv4 address."""
    assert len(client_key("x" * 1_000_000)) == 32
    assert client_key("2001:db8:1:2::1") == client_key("2001:db8:1:2:ffff::9")
    assert client_key("2001:db8:1:2::1") != client_key("2001:db8:1:3::1")
    assert client_key("::ffff:192.0.2.7") == client_key("192.0.2.7")
    assert client_key("192.0.2.7") != client_key("192.0.2.8")


def test_memory_windows_allow_the_limit_in_any_minute() -> None:
    """One machine: at most the limit in any 60 s, then one more as each event leaves."""
    now = [1000.0]
    windows = MemoryWindows(clock=lambda: now[0])
    for _ in range(3):
        assert windows.hit("joins", "k", 3)
        now[0] += 10
    assert not windows.hit("joins", "k", 3)
    assert windows.reset_in("joins", "k", 3) == pytest.approx(30.0)
    now[0] += 29.9
    assert not windows.hit("joins", "k", 3)
    now[0] += 0.2
    assert windows.hit("joins", "k", 3)
    assert not windows.hit("joins", "k", 3)
    assert windows.reset_in("joins", "k", 3) == pytest.approx(9.9)


def test_memory_windows_forget_the_least_recent_keys_past_their_bound() -> None:
    """A flood of distinct clients costs at most max_keys entries."""
    windows = MemoryWindows(max_keys=100)
    for n in range(1000):
        assert windows.hit("joins", str(n), 1)
    assert len(windows._events) == 100
    assert not windows.hit("joins", "999", 1)
