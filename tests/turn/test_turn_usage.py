"""TURN usage in /metrics (visio.turn.usage): coturn, configured by Visio with
VISIO_TURN_STATS_REDIS_URL, publishes its allocations and traffic on Redis; Visio's /metrics
counts them. Against the real coturn and Redis, with aioice's TURN client as the participant."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterator
from typing import cast

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.redis_server import RunningRedis
from tests.support import RunningServer, start_server, wait_until
from tests.turn.coturn import TURN_ADDRESS, TURN_URLS, RunningCoturn
from visio.settings import SettingsError, load_settings
from visio.turn.coturn import render_turnserver_conf
from visio.turn.credentials import mint
from visio.turn.probe import open_turn_client
from visio.turn.urls import parse_turn_url
from visio.turn.usage import LIFETIME_GRACE_SECONDS, TurnUsage, parse_stats_url

REALM = "visio.test"
TRAFFIC = "rcvp=10, rcvb=1000, sentp=20, sentb=3000"


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, coturn: RunningCoturn
) -> Iterator[RunningServer]:
    running = start_server(tmp_path_factory.mktemp("visio-turn-usage"), **coturn.settings)
    yield running
    running.stop()


def _figures(server: RunningServer) -> dict[str, float]:
    """The visio_turn_* samples of /metrics, by name and labels."""
    figures: dict[str, float] = {}
    for family in text_string_to_metric_families(server.metrics()):
        for sample in family.samples:
            if sample.name.startswith("visio_turn_") and not sample.name.endswith("_created"):
                labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
                figures[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return figures


def _bytes(figures: dict[str, float], side: str, direction: str) -> float:
    return figures[f"visio_turn_relayed_bytes_total{{direction={direction},side={side}}}"]


class _Echo(asyncio.DatagramProtocol):
    """The media server's place: sends back each datagram it gets (to the relay)."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.transport.sendto(data, addr)


def test_turn_usage_counts_an_allocation_and_its_relayed_bytes(
    coturn: RunningCoturn, server: RunningServer
) -> None:
    """A relay opened with a minted credential raises visio_turn_allocations and
    visio_turn_allocations_created; media relayed through it moves the byte counters on both
    sides while it is open (coturn reports every 4096 packets); once it is deleted the gauge is
    back where it was, and the last of its traffic is counted."""
    wait_until(
        lambda: _figures(server).get("visio_turn_statistics_up") == 1,
        timeout=20,
        message=lambda: f"never subscribed: {_figures(server)}",
    )
    before = _figures(server)
    seen: dict[str, dict[str, float]] = {}

    def poll(condition_name: str, condition: object, timeout: float = 20) -> None:
        def check() -> bool:
            seen[condition_name] = _figures(server)
            return bool(condition(seen[condition_name]))  # type: ignore[operator]

        wait_until(check, timeout, lambda: f"{condition_name}: {seen.get(condition_name)}")

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        peer, _ = await loop.create_datagram_endpoint(_Echo, local_addr=(TURN_ADDRESS, 0))
        peer_address = peer.get_extra_info("sockname")[:2]
        credential = mint(coturn.secret, "p_usage", 600, time.time())
        transport, client = await open_turn_client(
            parse_turn_url(TURN_URLS[0]), credential.username, credential.credential, None
        )
        try:
            await client.connect()
            await asyncio.to_thread(
                poll,
                "allocated",
                lambda f: (
                    f["visio_turn_allocations"] == before["visio_turn_allocations"] + 1
                    and f["visio_turn_allocations_created_total"]
                    == before["visio_turn_allocations_created_total"] + 1
                ),
            )
            # Relay media until coturn reports it (every 4096 packets, both legs counted).
            deadline = time.monotonic() + 30
            while _bytes(_figures(server), "peers", "out") == _bytes(before, "peers", "out"):
                assert time.monotonic() < deadline, f"no traffic reported: {_figures(server)}"
                for _ in range(500):
                    await client.send_data(b"m" * 160, peer_address)
                    await asyncio.sleep(0)
                await asyncio.sleep(0.05)
            open_figures = _figures(server)
            for side in ("participants", "peers"):
                for direction in ("in", "out"):
                    assert _bytes(open_figures, side, direction) > _bytes(before, side, direction)
            # The relayed payload is what the participant sent, without TURN's framing.
            assert _bytes(open_figures, "participants", "in") > _bytes(open_figures, "peers", "out")
            seen["open"] = open_figures
            await client.delete()
        finally:
            transport.close()
            await client.wait_closed()
            peer.close()

    asyncio.run(scenario())
    poll(
        "deleted",
        lambda f: (
            f["visio_turn_allocations"] == before["visio_turn_allocations"]
            and _bytes(f, "participants", "in") > _bytes(seen["open"], "participants", "in")
        ),
    )
    after = seen["deleted"]
    assert (
        after["visio_turn_allocations_created_total"]
        == before["visio_turn_allocations_created_total"] + 1
    )
    assert (
        after["visio_turn_statistics_ignored_total"]
        == before["visio_turn_statistics_ignored_total"]
    )
    print(f"\nTURN usage before, while open, after: {before}\n{seen['open']}\n{after}")


def test_turn_usage_reads_relays_opened_before_it_listened(
    coturn: RunningCoturn, stats_redis: RunningRedis
) -> None:
    """An app server that (re)starts while relays are open counts them at once, from coturn's
    status keys, then follows their deletion."""

    async def scenario() -> tuple[int, int]:
        credential = mint(coturn.secret, "p_early", 600, time.time())
        transport, client = await open_turn_client(
            parse_turn_url(TURN_URLS[1]), credential.username, credential.credential, None
        )
        usage = TurnUsage(parse_stats_url(stats_redis.url), REALM)
        try:
            await client.connect()
            await usage.start()
            await _until(lambda: usage.listening)
            opened = usage.figures().allocations
            await client.delete()
            await _until(lambda: usage.figures().allocations == opened - 1)
            return opened, usage.figures().allocations_created
        finally:
            transport.close()
            await client.wait_closed()
            await usage.stop()

    opened, created = asyncio.run(scenario())
    assert opened >= 1
    assert created == 0  # opened before it listened: counted as live, not as created since


def test_turn_usage_comes_back_after_a_redis_restart(
    coturn: RunningCoturn, stats_redis: RunningRedis
) -> None:
    """Redis restarts (empty): the app server subscribes again, coturn reconnects, and relays
    opened afterwards are counted."""

    async def scenario() -> tuple[bool, int]:
        usage = TurnUsage(parse_stats_url(stats_redis.url), REALM)
        await usage.start()
        try:
            await _until(lambda: usage.listening)
            await asyncio.to_thread(stats_redis.restart)
            went_down = not usage.listening
            await _until(lambda: usage.listening, timeout=30)
            # coturn notices the restart when it next publishes: the first message may be lost.
            deadline = time.monotonic() + 30
            while usage.figures().allocations_created == 0:
                assert time.monotonic() < deadline, "no relay counted after the restart"
                credential = mint(coturn.secret, "p_after", 600, time.time())
                transport, client = await open_turn_client(
                    parse_turn_url(TURN_URLS[0]), credential.username, credential.credential, None
                )
                try:
                    await client.connect()
                    with contextlib.suppress(TimeoutError):
                        await _until(lambda: usage.figures().allocations_created > 0, timeout=2)
                    await client.delete()
                finally:
                    transport.close()
                    await client.wait_closed()
            return went_down, usage.figures().allocations_created
        finally:
            await usage.stop()

    went_down, created = asyncio.run(scenario())
    print(f"\nRedis restart seen at once: {went_down}; relays counted after it: {created}")
    assert created >= 1


async def _until(condition: Callable[[], bool], timeout: float = 10) -> None:
    """Poll ``condition`` on the event loop until it holds (TimeoutError after ``timeout``)."""
    async with asyncio.timeout(timeout):
        while not condition():  # noqa: ASYNC110 - polling a figure, no event to wait on
            await asyncio.sleep(0.05)


def _usage(now: list[float]) -> TurnUsage:
    return TurnUsage(parse_stats_url("redis://127.0.0.1:1/0"), REALM, clock=lambda: now[0])


def test_turn_usage_follows_status_and_traffic_messages() -> None:
    """new and refreshed keep an allocation for its lifetime; deleted ends it; traffic reports
    add up per side; total_traffic repeats them and is not added twice."""
    now = [1000.0]
    usage = _usage(now)
    channel = f"turn/realm/{REALM}/user/1700000000:p_a/allocation/000000000000000001"
    usage.handle(f"{channel}/status", "new lifetime=600, type=UDP, local=127.0.0.2:3478, ...")
    usage.handle(f"{channel}/traffic", TRAFFIC)
    usage.handle(f"{channel}/traffic/peer", "rcvp=20, rcvb=2900, sentp=10, sentb=900")
    usage.handle(f"{channel}/total_traffic", TRAFFIC)
    figures = usage.figures()
    assert (figures.allocations, figures.allocations_created) == (1, 1)
    assert figures.bytes == {
        ("participants", "in"): 1000,
        ("participants", "out"): 3000,
        ("peers", "in"): 2900,
        ("peers", "out"): 900,
    }
    now[0] += 600 + LIFETIME_GRACE_SECONDS - 1
    usage.handle(f"{channel}/status", "refreshed lifetime=600, type=UDP")
    now[0] += 600
    assert usage.figures().allocations == 1
    usage.handle(f"{channel}/status", "deleted")
    assert usage.figures().allocations == 0
    assert usage.figures().allocations_created == 1
    # A Refresh with lifetime 0 ends an allocation too.
    other = f"turn/realm/{REALM}/user/1700000000:p_b/allocation/000000000000000002"
    usage.handle(f"{other}/status", "new lifetime=600, type=TCP")
    usage.handle(f"{other}/status", "refreshed lifetime=0, type=TCP")
    assert usage.figures().allocations == 0
    # A session that never authenticated (a 401 challenge) has no user name; its bytes count.
    usage.handle(f"turn/realm/{REALM}/user//allocation/000000000000000003/traffic", TRAFFIC)
    assert usage.figures().bytes[("participants", "in")] == 2000
    assert usage.figures().allocations_created == 2
    assert usage.figures().ignored_messages == 0


def test_turn_usage_forgets_an_allocation_never_refreshed_nor_deleted() -> None:
    """A coturn that died says nothing more: its allocations leave the gauge once their
    lifetime (and a minute's grace) has passed."""
    now = [0.0]
    usage = _usage(now)
    usage.handle(f"turn/realm/{REALM}/user/u/allocation/7/status", "new lifetime=600")
    now[0] = 600 + LIFETIME_GRACE_SECONDS + 1
    assert usage.figures().allocations == 0


@pytest.mark.parametrize(
    ("channel", "data"),
    [
        ("turn/realm/other/user/u/allocation/1/status", "new lifetime=600"),
        (f"turn/realm/{REALM}/user/u/allocation/1/status", "new lifetime=-5"),
        (f"turn/realm/{REALM}/user/u/allocation/1/status", "gone"),
        (f"turn/realm/{REALM}/user/u/allocation/x/status", "new lifetime=600"),
        (f"turn/realm/{REALM}/user/u/allocation/1/traffic", "rcvb=10"),
        (f"turn/realm/{REALM}/user/u/allocation/1/traffic", f"{TRAFFIC}; rcvb=99999999"),
        (f"turn/realm/{REALM}/user/u/allocation/1/traffic", TRAFFIC.replace("10", "1" * 30)),
        (f"turn/realm/{REALM}/user/u/allocation/1/secrets", TRAFFIC),
        ("visio:node:a", "{}"),
    ],
)
def test_turn_usage_ignores_what_coturn_does_not_send(channel: str, data: str) -> None:
    """Another realm's messages, malformed ones, or channels coturn does not use change no
    figure and are counted as ignored."""
    usage = _usage([0.0])
    usage.handle(channel, data)
    figures = usage.figures()
    assert (figures.allocations, figures.allocations_created) == (0, 0)
    assert set(figures.bytes.values()) == {0}
    assert figures.ignored_messages == 1


def test_turn_stats_redis_url_goes_into_turnserver_conf() -> None:
    """visio turn-config points coturn's redis-statsdb at VISIO_TURN_STATS_REDIS_URL, in
    coturn's own connection-string form."""
    settings = load_settings(
        turn_urls="turn:turn.example.gouv.fr:3478",
        turn_secret="s" * 40,
        turn_stats_redis_url="redis://:p4ss=word@redis.example.gouv.fr:6380/3",
    )
    assert (
        'redis-statsdb="ip=redis.example.gouv.fr port=6380 dbname=3 password=p4ss=word '
        'connect_timeout=30"'
    ) in render_turnserver_conf(settings).splitlines()
    without = load_settings(turn_urls="turn:turn.example.gouv.fr:3478", turn_secret="s" * 40)
    assert "redis-statsdb" not in render_turnserver_conf(without)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("rediss://:secret@redis.example:6380/0", "neither TLS nor unix sockets"),
        ("unix:///run/redis.sock", "neither TLS nor unix sockets"),
        ("redis://visio:secret@redis.example/0", "a password only"),
        ("redis://:sec ret@redis.example/0", "may not contain spaces"),
        ('redis://:sec"ret@redis.example/0', "may not contain spaces"),
        ("redis://redis.example/secret", "must be a number"),
        ("redis://redis.example:70000/0", "from 1 to 65535"),
        ("redis://redis.example/0?password=secret", "without ?options"),
        ("redis://red_is.example/0", "host name or an IP address"),
    ],
)
def test_turn_stats_redis_url_coturn_cannot_use_is_refused(url: str, reason: str) -> None:
    """A URL coturn's Redis client cannot follow is refused at start, saying why, without
    repeating the URL (it may hold a password)."""
    with pytest.raises(SettingsError) as refused:
        load_settings(turn_stats_redis_url=url)
    assert reason in str(refused.value)
    assert "secret" not in str(refused.value)
