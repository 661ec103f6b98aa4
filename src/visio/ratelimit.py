"""Rate limits.

Two kinds, because a client reaches Visio in two ways:

- **Per-client limits** (sign-in, room creation, joins, directory searches, calendar requests):
  a client that meets a limit on one app server could try the next one behind the load
  balancer, so with ``VISIO_REDIS_URL`` their counts live in Redis, shared by every app server
  (the ``limits`` library's moving-window script; every key expires after its window). On one
  machine they live in this process. Both count the same way: at most ``per_minute`` events in
  any 60 seconds. When Redis does not answer, each server counts in its own memory for a short
  while, so limits still hold per server and nobody is refused because Redis is down.
- **Per-socket limits** (frames per second, chat, reactions, recording starts): a WebSocket lives
  on one app server from start to end, so its :class:`TokenBucket` stays in that process.

Open sockets per address are a count given back when a socket closes: :class:`SocketPlaces`
keeps them in this process and, with Redis, as leases that expire if their server dies.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import hashlib
import ipaddress
import logging
import math
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from limits import RateLimitItemPerMinute
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from redis.asyncio import Redis
from redis.exceptions import RedisError

from visio.cluster.redis import key as redis_key

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 60
"""Every per-client limit counts the events of the last minute."""

REDIS_TIMEOUT_S = 0.5
"""Longest a limit check waits for Redis before counting in this server's memory instead."""

REDIS_RETRY_S = 2.0
"""After Redis failed to answer, how long checks count in memory before asking Redis again."""

SOCKET_LEASE_S = 60
"""A socket's place in its address's shared count lasts this long unless its server renews it
(every third of it): the places of a server that died are free again within a minute."""

STORAGE_ERRORS = (RedisError, OSError, TimeoutError)
"""What a check that asks Redis can raise while Redis is down, slow or restarting."""


class TokenBucket:
    """Allows ``burst`` events at once, refilled at ``rate`` events per second."""

    def __init__(
        self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._rate = rate
        self._burst = float(burst)
        self._tokens = float(burst)
        self._clock = clock
        self._last = clock()

    def allow(self) -> bool:
        self._refill()
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False

    def seconds_until_allowed(self) -> int:
        self._refill()
        return 0 if self._tokens >= 1.0 else math.ceil((1.0 - self._tokens) / self._rate)

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self._burst, self._tokens + (now - self._last) * self._rate)
        self._last = now


class KeyedRateLimiter:
    """One token bucket per key, in this process only: ``per_minute`` events, all of them
    allowed in a burst. Remembers at most ``max_keys`` keys, forgetting the least recently seen.

    For limits that guard this server's own work (audit records of refusals); limits that a
    client could spread over app servers are :class:`RateLimit`."""

    def __init__(self, per_minute: int, max_keys: int = 100_000) -> None:
        self._per_minute = per_minute
        self._max_keys = max_keys
        self._buckets: OrderedDict[str, TokenBucket] = OrderedDict()

    def _bucket(self, key: str) -> TokenBucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = TokenBucket(self._per_minute / 60, self._per_minute)
            self._buckets[key] = bucket
            if len(self._buckets) > self._max_keys:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
        return bucket

    def allow(self, key: str) -> bool:
        return self._bucket(key).allow()

    def retry_after(self, key: str) -> int:
        return max(1, self._bucket(key).seconds_until_allowed())


class ConcurrencyLimit:
    """At most ``limit`` things held at once per key, in this process."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._held: dict[str, int] = {}

    def acquire(self, key: str) -> bool:
        held = self._held.get(key, 0)
        if held >= self._limit:
            return False
        self._held[key] = held + 1
        return True

    def release(self, key: str) -> None:
        held = self._held.get(key, 0) - 1
        if held > 0:
            self._held[key] = held
        else:
            self._held.pop(key, None)


def client_key(client: str) -> str:
    """A short, fixed-size key for ``client`` (an address, ``user:<id>``, anything a client sent).

    An IPv6 address counts as its /64 network: one home or host gets a whole /64 and could
    otherwise change address for every request. The result is a SHA-256 digest, so a key of any
    length or alphabet costs the same few bytes in memory and in Redis."""
    try:
        address = ipaddress.ip_address(client)
    except ValueError:
        normalised = client
    else:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            normalised = str(address.ipv4_mapped)
        elif isinstance(address, ipaddress.IPv6Address):
            normalised = str(ipaddress.IPv6Network((address, 64), strict=False))
        else:
            normalised = str(address)
    return hashlib.sha256(normalised.encode("utf-8", "surrogatepass")).hexdigest()[:32]


class MemoryWindows:
    """Moving windows counted in this process: the times of each key's last events.

    Holds at most ``max_keys`` keys (the least recently seen are forgotten) and at most ``limit``
    times per key, and does no work in the background. (``limits``' own asyncio memory storage
    rescans every key after each hit: measured here, 1,000 keys kept half a core busy.)"""

    def __init__(self, max_keys: int = 100_000, clock: Callable[[], float] = time.time) -> None:
        self._max_keys = max_keys
        self._clock = clock
        self._events: OrderedDict[tuple[str, str], list[float]] = OrderedDict()

    def _recent(self, name: str, key: str, window: float) -> list[float]:
        events = self._events.get((name, key))
        if events is None:
            events = self._events[name, key] = []
            if len(self._events) > self._max_keys:
                self._events.popitem(last=False)
        else:
            self._events.move_to_end((name, key))
        del events[: bisect.bisect_right(events, self._clock() - window)]
        return events

    def hit(self, name: str, key: str, limit: int, window: float = WINDOW_SECONDS) -> bool:
        events = self._recent(name, key, window)
        if len(events) >= limit:
            return False
        events.append(self._clock())
        return True

    def reset_in(self, name: str, key: str, limit: int, window: float = WINDOW_SECONDS) -> float:
        """Seconds until one more event of ``key`` would be allowed (0: now)."""
        events = self._recent(name, key, window)
        if len(events) < limit:
            return 0.0
        return events[-limit] + window - self._clock()


class RedisWindows:
    """Moving windows counted in Redis with ``limits`` (one Lua script a check): every app
    server sees the same counts. Keys are ``visio:limits:LIMITER/<name>/<key digest>/...``, a
    list of at most ``limit`` times that expires a window after its last event."""

    def __init__(self, redis: Redis) -> None:
        self._storage = RedisStorage(
            "async+redis://",
            implementation="redispy",
            key_prefix=redis_key("limits"),
            # ``limits`` takes a connection pool, not a client: given the server's own, it makes
            # a client over it, so its checks use the server's connections (and its short
            # timeouts and retries) rather than a pool of their own. It types its options as
            # plain values only.
            connection_pool=redis.connection_pool,  # type: ignore[arg-type]
        )
        self._strategy = MovingWindowRateLimiter(self._storage)

    async def hit(self, name: str, key: str, limit: int) -> bool:
        return await self._strategy.hit(RateLimitItemPerMinute(limit), name, key)

    async def reset_in(self, name: str, key: str, limit: int) -> float:
        item = RateLimitItemPerMinute(limit)
        stats = await self._strategy.get_window_stats(item, name, key)
        return 0.0 if stats.remaining > 0 else stats.reset_time - time.time()


class LimitCounters:
    """Where the per-client limits count: Redis shared by every app server, or (one machine,
    or while Redis does not answer) this server's memory.

    While Redis is unreachable each check counts in memory for ``REDIS_RETRY_S`` seconds before
    Redis is asked again, so an outage costs at most one slow check per pause, each failure is
    counted by ``on_storage_error``, and one line is logged when the outage begins and ends.
    A Redis restart empties the shared counts: clients get a fresh minute, which is harmless.
    ``redis`` stays its builder's to close (the server's one client)."""

    def __init__(
        self,
        redis: Redis | None,
        on_storage_error: Callable[[], None] = lambda: None,
        *,
        timeout_s: float = REDIS_TIMEOUT_S,
        retry_s: float = REDIS_RETRY_S,
    ) -> None:
        self._redis = redis
        self._shared = RedisWindows(redis) if redis is not None else None
        self._local = MemoryWindows()
        self._on_storage_error = on_storage_error
        self._timeout_s = timeout_s
        self._retry_s = retry_s
        self._local_until = 0.0
        self._outage = False

    @property
    def shared(self) -> bool:
        """True when counts are kept in Redis (``VISIO_REDIS_URL`` is set)."""
        return self._shared is not None

    @property
    def redis(self) -> Redis | None:
        """The shared Redis client (None on one machine)."""
        return self._redis

    @property
    def timeout_s(self) -> float:
        return self._timeout_s

    def redis_now(self) -> Redis | None:
        """The shared Redis, or None on one machine and for a while after it failed to answer."""
        return None if self._use_shared() is None else self._redis

    def _use_shared(self) -> RedisWindows | None:
        if self._shared is None or time.monotonic() < self._local_until:
            return None
        return self._shared

    def failed(self, exc: BaseException) -> None:
        """Redis did not answer: count it, say so once, count in memory for a while."""
        self._on_storage_error()
        self._local_until = time.monotonic() + self._retry_s
        if not self._outage:
            self._outage = True
            logger.error(
                "rate limits: Redis did not answer (%s); counting in this server's memory, "
                "asking Redis again every %g s",
                type(exc).__name__,
                self._retry_s,
            )

    def answered(self) -> None:
        if self._outage:
            self._outage = False
            logger.warning("rate limits: Redis answers again; limits are shared again")

    async def hit(self, name: str, key: str, limit: int) -> bool:
        """Count one event of ``key`` against ``name``'s limit; False when it is over."""
        shared = self._use_shared()
        if shared is not None:
            try:
                async with asyncio.timeout(self._timeout_s):
                    allowed = await shared.hit(name, key, limit)
            except STORAGE_ERRORS as exc:
                self.failed(exc)
            else:
                self.answered()
                return allowed
        return self._local.hit(name, key, limit)

    async def reset_in(self, name: str, key: str, limit: int) -> float:
        shared = self._use_shared()
        if shared is not None:
            try:
                async with asyncio.timeout(self._timeout_s):
                    return await shared.reset_in(name, key, limit)
            except STORAGE_ERRORS as exc:
                self.failed(exc)
        return self._local.reset_in(name, key, limit)


class RateLimit:
    """At most ``per_minute`` events per client in any 60 seconds, on every app server together.

    ``name`` keeps the limits apart in storage and names them in ``/metrics``."""

    def __init__(
        self,
        name: str,
        per_minute: int,
        counters: LimitCounters,
        on_rejected: Callable[[str], None] = lambda name: None,
    ) -> None:
        self.name = name
        self.per_minute = per_minute
        self._counters = counters
        self._on_rejected = on_rejected

    async def allow(self, client: str) -> bool:
        """Count one event of ``client`` (an address, ``user:<id>``); False past the limit."""
        allowed = await self._counters.hit(self.name, client_key(client), self.per_minute)
        if not allowed:
            self._on_rejected(self.name)
        return allowed

    async def retry_after(self, client: str) -> int:
        """Whole seconds until ``client`` may try again (at least 1)."""
        seconds = await self._counters.reset_in(self.name, client_key(client), self.per_minute)
        return max(1, math.ceil(seconds))


_TAKE_SOCKET_PLACE = """
redis.call('zremrangebyscore', KEYS[1], '-inf', ARGV[1])
if redis.call('zcard', KEYS[1]) >= tonumber(ARGV[2]) then
    return 0
end
redis.call('zadd', KEYS[1], ARGV[3], ARGV[4])
redis.call('expire', KEYS[1], ARGV[5])
return 1
"""
"""Drop the address's expired places, then take one if fewer than the limit are held."""


@dataclass(frozen=True)
class SocketPlace:
    """One open socket's place in its address's count (give it back with ``release``)."""

    address: str
    """The client's key (``client_key``)."""
    member: str
    """This socket's lease in the address's sorted set: ``<node>:<random>``."""

    @property
    def redis_key(self) -> str:
        return redis_key("sockets", self.address)


class SocketPlaces:
    """Open sockets per client address (``VISIO_PROTOCOL_MAX_SOCKETS_PER_ADDRESS``).

    Always counted in this process; with Redis, also in a sorted set per address shared by every
    app server, whose members are leases this server renews while its sockets are open. A server
    that dies stops renewing, so its places expire within ``SOCKET_LEASE_S``; while Redis does
    not answer, only this server's count applies."""

    def __init__(
        self,
        limit: int,
        counters: LimitCounters,
        node: str,
        *,
        lease_s: float = SOCKET_LEASE_S,
    ) -> None:
        self._limit = limit
        self._counters = counters
        self._node = node
        self._lease_s = lease_s
        self._local = ConcurrencyLimit(limit)
        self._held: set[SocketPlace] = set()
        self._renewing: asyncio.Task[None] | None = None
        redis = counters.redis
        self._take = redis.register_script(_TAKE_SOCKET_PLACE) if redis is not None else None

    async def acquire(self, address: str) -> SocketPlace | None:
        """A place for one more socket of ``address``, or None when it holds the limit."""
        key = client_key(address)
        if not self._local.acquire(key):
            return None
        place = SocketPlace(key, f"{self._node}:{secrets.token_hex(8)}")
        redis = self._counters.redis_now()
        if redis is not None and self._take is not None:
            try:
                async with asyncio.timeout(self._counters.timeout_s):
                    now = time.time()
                    taken = await self._take(
                        keys=[place.redis_key],
                        args=[
                            now,
                            self._limit,
                            now + self._lease_s,
                            place.member,
                            math.ceil(self._lease_s),
                        ],
                        client=redis,
                    )
            except STORAGE_ERRORS as exc:
                self._counters.failed(exc)
            else:
                self._counters.answered()
                if not taken:
                    self._local.release(key)
                    return None
        self._held.add(place)
        if redis is not None and self._renewing is None:
            self._renewing = asyncio.create_task(self._renew_forever(), name="socket-places")
        return place

    async def release(self, place: SocketPlace) -> None:
        self._held.discard(place)
        self._local.release(place.address)
        redis = self._counters.redis_now()
        if redis is None:
            return  # the lease expires by itself
        try:
            async with asyncio.timeout(self._counters.timeout_s):
                await redis.zrem(place.redis_key, place.member)
        except STORAGE_ERRORS as exc:
            self._counters.failed(exc)

    async def _renew_forever(self) -> None:
        while True:
            await asyncio.sleep(self._lease_s / 3)
            redis = self._counters.redis_now()
            if redis is None or not self._held:
                continue
            expiry = time.time() + self._lease_s
            # Re-adding (not only extending) rebuilds the counts after a Redis restart.
            pipeline = redis.pipeline(transaction=False)
            for place in self._held:
                pipeline.zadd(place.redis_key, {place.member: expiry})
                pipeline.expire(place.redis_key, math.ceil(self._lease_s))
            try:
                async with asyncio.timeout(self._counters.timeout_s * 4):
                    await pipeline.execute()
            except STORAGE_ERRORS as exc:
                self._counters.failed(exc)

    async def close(self) -> None:
        if self._renewing is not None:
            self._renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._renewing


class RateLimits:
    """The per-client limits a Visio server enforces, counted in ``counters``."""

    def __init__(
        self,
        counters: LimitCounters,
        *,
        sign_in: int,
        room_creation: int,
        joins: int,
        sockets: int,
        node: str = "visio",
        on_rejected: Callable[[str], None] = lambda name: None,
    ) -> None:
        self.counters = counters
        self._on_rejected = on_rejected
        self.sign_in = self.limit("sign_in", sign_in)
        self.room_creation = self.limit("room_creation", room_creation)
        self.joins = self.limit("joins", joins)
        self.room_sockets = SocketPlaces(sockets, counters, node)

    def limit(self, name: str, per_minute: int) -> RateLimit:
        """Another per-client limit counted in the same place (and named in ``/metrics``)."""
        return RateLimit(name, per_minute, self.counters, self._on_rejected)

    async def close(self) -> None:
        await self.room_sockets.close()
