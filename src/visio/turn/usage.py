"""TURN usage in ``/metrics``, read from coturn's Redis statistics database (``redis-statsdb``).

Debian 12's coturn is built without its Prometheus exporter. What it has is a Redis statistics
database (``/usr/share/coturn/schema.stats.redis``): once ``redis-statsdb`` names a Redis, coturn

- keeps one key per live allocation, ``turn/realm/<realm>/user/<username>/allocation/<id>/status``
  (``"new lifetime=600, type=TCP, ..."``, then ``"refreshed lifetime=..."``), deletes it when the
  allocation ends, and deletes them all when it starts;
- publishes on channels of the same names: each status change (``new``, ``refreshed``,
  ``deleted``), and the allocation's traffic (``rcvp=.., rcvb=.., sentp=.., sentb=..``) since its
  last report, every 4096 packets and once more when the session ends: ``traffic`` between the
  participant and coturn, ``traffic/peer`` between coturn's relay and the media server.

:class:`TurnUsage` subscribes to those channels for Visio's realm and adds them up. Current
allocations are the ones reported new or refreshed and not deleted since, each forgotten once its
lifetime has passed without a refresh (a coturn that died sends no ``deleted``); on every
(re)subscription they are read again from the status keys. Byte counters count what was reported
while this server listened, as any Prometheus counter does from its process's start.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from redis.asyncio import Redis
from redis.exceptions import RedisError

from visio.backoff import Backoff

logger = logging.getLogger(__name__)

MAX_TRACKED_ALLOCATIONS = 1_000_000
"""coturn's total quota cannot exceed this (``VISIO_TURN_TOTAL_QUOTA``): more ids than this
are not remembered (and counted as ignored), so memory stays bounded whatever is published."""
IGNORED_LOGGED = 10
"""Ignored messages logged (then only counted), so that a flood cannot fill the logs."""
LIFETIME_GRACE_SECONDS = 60.0
"""How long past its lifetime an allocation that was not refreshed still counts (browsers
refresh a minute before the end; a coturn that died never says ``deleted``)."""

_CHANNEL = re.compile(
    # An empty user: a session that never authenticated (its 401 challenge still made traffic).
    r"turn/realm/(?P<realm>[^/]+)/user/(?P<user>.*)/allocation/(?P<id>\d{1,20})/"
    r"(?P<kind>status|traffic|traffic/peer|total_traffic|total_traffic/peer)"
)
_STATUS = re.compile(r"(?P<status>new|refreshed) lifetime=(?P<lifetime>\d{1,10})(?:,.*)?")
_TRAFFIC = re.compile(
    r"rcvp=(?P<rcvp>\d{1,20}), rcvb=(?P<rcvb>\d{1,20}), "
    r"sentp=(?P<sentp>\d{1,20}), sentb=(?P<sentb>\d{1,20})"
)
_HOST_NAME = re.compile(r"[A-Za-z0-9.\-]{1,253}")

SIDES = ("participants", "peers")
"""``participants``: between the browsers and coturn (with TURN's framing); ``peers``: between
coturn's relay and the media server (the media itself)."""


@dataclass(frozen=True)
class StatsDb:
    """Where coturn publishes its statistics: a Redis that both coturn and Visio reach."""

    host: str
    port: int
    db: int
    password: str | None = field(default=None, repr=False)

    def coturn_connection_string(self) -> str:
        """coturn's form: space-separated ``key=value`` pairs (``redis-statsdb``)."""
        parts = [f"ip={self.host}", f"port={self.port}", f"dbname={self.db}"]
        if self.password:
            parts.append(f"password={self.password}")
        return " ".join([*parts, "connect_timeout=30"])


def _is_ip_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def parse_stats_url(url: str) -> StatsDb:
    """``redis://[:password@]host[:port][/db]`` as coturn can use it, or ValueError (which never
    repeats the URL: it may hold a password)."""
    parts = urlsplit(url.strip())
    if parts.scheme != "redis":
        raise ValueError(
            "must be a redis:// URL (coturn's Redis client speaks neither TLS nor unix sockets)"
        )
    if parts.query or parts.fragment:
        raise ValueError("must be redis://[:password@]host[:port][/db], without ?options")
    try:
        host, port = parts.hostname, parts.port or 6379
    except ValueError:
        raise ValueError("its port must be a number from 1 to 65535") from None
    if not host or not (_HOST_NAME.fullmatch(host) or _is_ip_address(host)):
        raise ValueError("its host must be a host name or an IP address")
    if parts.username:
        raise ValueError("coturn authenticates with a password only: redis://:password@host")
    password = unquote(parts.password) if parts.password else None
    if password is not None and not re.fullmatch(r"[^\s\"'\\]{1,512}", password):
        raise ValueError("its password may not contain spaces, quotes or backslashes for coturn")
    path = parts.path.strip("/") or "0"
    if not path.isdigit() or int(path) > 1_000_000:
        raise ValueError("its database must be a number (redis://host:6379/1)")
    return StatsDb(host, port, int(path), password)


@dataclass(frozen=True)
class TurnUsageFigures:
    up: bool
    allocations: int
    allocations_created: int
    bytes: dict[tuple[str, str], int]
    """(side, direction) → bytes: ``in`` received by coturn, ``out`` sent by coturn."""
    ignored_messages: int


class TurnUsage:
    """Adds up coturn's published statistics for one realm (see the module's documentation)."""

    def __init__(
        self,
        stats: StatsDb,
        realm: str,
        clock: Callable[[], float] = time.monotonic,
        client: Redis | None = None,
    ) -> None:
        self._realm = realm
        self._clock = clock
        self._redis = client or Redis(
            host=stats.host,
            port=stats.port,
            db=stats.db,
            password=stats.password,
            socket_connect_timeout=2.0,
            health_check_interval=10,
        )
        self._live: dict[str, float] = {}
        self._created = 0
        self._bytes = {(side, way): 0 for side in SIDES for way in ("in", "out")}
        self._ignored = 0
        self.listening = False
        self._task: asyncio.Task[None] | None = None
        self._renewed = asyncio.Event()

    @property
    def pattern(self) -> str:
        return f"turn/realm/{self._realm}/user/*/allocation/*"

    # What coturn says.

    def handle(self, channel: str, data: str) -> None:
        """One published message: a status change or a traffic report. Anything else is
        counted as ignored and changes nothing."""
        match = _CHANNEL.fullmatch(channel)
        if match is None or match["realm"] != self._realm:
            self._ignore(channel, data)
            return
        allocation = f"{match['user']}/{match['id']}"
        kind = match["kind"]
        if kind == "status":
            if data == "deleted":
                self._live.pop(allocation, None)
                return
            status = _STATUS.fullmatch(data)
            if status is None:
                self._ignore(channel, data)
                return
            if status["status"] == "new":
                self._created += 1
            if int(status["lifetime"]) == 0:  # a Refresh with lifetime 0 deletes it
                self._live.pop(allocation, None)
            else:
                self._remember(allocation, int(status["lifetime"]))
        elif kind in ("traffic", "traffic/peer"):
            traffic = _TRAFFIC.fullmatch(data)
            if traffic is None:
                self._ignore(channel, data)
                return
            side = "peers" if kind == "traffic/peer" else "participants"
            self._bytes[(side, "in")] += int(traffic["rcvb"])
            self._bytes[(side, "out")] += int(traffic["sentb"])
        # total_traffic repeats the sum of the traffic reports: nothing to add.

    def _ignore(self, channel: str, data: str) -> None:
        self._ignored += 1
        if self._ignored <= IGNORED_LOGGED:
            logger.warning(
                "TURN usage: ignored a message coturn does not send: %r %r",
                channel[:200],
                data[:200],
            )

    def _remember(self, allocation: str, lifetime: int) -> None:
        if allocation not in self._live and len(self._live) >= MAX_TRACKED_ALLOCATIONS:
            self._ignored += 1
            return
        self._live[allocation] = self._clock() + lifetime + LIFETIME_GRACE_SECONDS

    def figures(self) -> TurnUsageFigures:
        now = self._clock()
        for allocation in [a for a, until in self._live.items() if until < now]:
            del self._live[allocation]
        return TurnUsageFigures(
            self.listening, len(self._live), self._created, dict(self._bytes), self._ignored
        )

    # Listening.

    async def start(self) -> None:
        self._task = asyncio.create_task(self._listen(), name="turn-usage")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._redis.aclose()

    async def _read_live_allocations(self) -> None:
        """The allocations coturn holds now, from its status keys."""
        live: dict[str, float] = {}
        keys = [
            key.decode(errors="replace") if isinstance(key, bytes) else str(key)
            async for key in self._redis.scan_iter(match=f"{self.pattern}/status", count=1000)
        ]
        now = self._clock()
        for start in range(0, len(keys), 500):
            batch = keys[start : start + 500]
            values: list[Any] = await self._redis.mget(batch)
            for key, value in zip(batch, values, strict=True):
                match = _CHANNEL.fullmatch(key)
                text = value.decode(errors="replace") if isinstance(value, bytes) else value
                status = _STATUS.fullmatch(text) if isinstance(text, str) else None
                if match is None or status is None or len(live) >= MAX_TRACKED_ALLOCATIONS:
                    continue
                expires = now + int(status["lifetime"]) + LIFETIME_GRACE_SECONDS
                live[f"{match['user']}/{match['id']}"] = expires
        self._live = live

    def _connection_renewed(self, _connection: object) -> None:
        self._renewed.set()

    async def _listen(self) -> None:
        backoff = Backoff(0.5, 30.0, jitter=0.2)
        while True:
            pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.psubscribe(self.pattern)
                self._renewed = asyncio.Event()
                if pubsub.connection is not None:
                    # redis-py reconnects and subscribes again by itself; what coturn published
                    # meanwhile is lost, so the live allocations are read again.
                    pubsub.connection.register_connect_callback(self._connection_renewed)
                # Subscribed first, then read: nothing published in between is missed.
                await self._read_live_allocations()
                self.listening = True
                backoff.reset()
                logger.info("TURN usage: listening to coturn's statistics (%s)", self.pattern)
                while not self._renewed.is_set():
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=5.0)
                    if message is None or message.get("type") != "pmessage":
                        continue
                    channel, data = message["channel"], message["data"]
                    if isinstance(channel, bytes):
                        channel = channel.decode(errors="replace")
                    if isinstance(data, bytes):
                        data = data.decode(errors="replace")
                    self.handle(str(channel), str(data))
                logger.info("TURN usage: the subscription was renewed; reading allocations again")
                continue
            except (RedisError, OSError) as exc:
                if self.listening:
                    logger.warning("TURN usage: lost coturn's statistics Redis (%s)", exc)
                else:
                    logger.debug("TURN usage: Redis unreachable (%s)", exc)
            finally:
                self.listening = False
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
            await asyncio.sleep(backoff.next_delay())


class TurnUsageCollector(Collector):
    """The ``visio_turn_*`` usage metrics, read at each scrape."""

    def __init__(self, usage: TurnUsage) -> None:
        self._usage = usage

    def collect(self) -> Iterator[Metric]:
        f = self._usage.figures()
        yield GaugeMetricFamily(
            "visio_turn_statistics_up",
            "1 while this server is subscribed to coturn's statistics (redis-statsdb)",
            value=int(f.up),
        )
        yield GaugeMetricFamily(
            "visio_turn_allocations",
            "Relays (TURN allocations) coturn holds now for Visio's realm",
            value=f.allocations,
        )
        yield CounterMetricFamily(
            "visio_turn_allocations_created",
            "Relays (TURN allocations) coturn opened while this server listened",
            value=f.allocations_created,
        )
        traffic = CounterMetricFamily(
            "visio_turn_relayed_bytes",
            "Bytes coturn relayed while this server listened (reported every 4096 packets and "
            "when a relay closes): side participants (browsers <-> coturn, with TURN framing) "
            "or peers (coturn's relay <-> the media server); direction in (received by coturn) "
            "or out (sent by coturn)",
            labels=["side", "direction"],
        )
        for (side, direction), value in sorted(f.bytes.items()):
            traffic.add_metric([side, direction], value)
        yield traffic
        yield CounterMetricFamily(
            "visio_turn_statistics_ignored",
            "Messages on coturn's statistics channels that were malformed, of another realm, "
            "or beyond the allocations remembered",
            value=f.ignored_messages,
        )
