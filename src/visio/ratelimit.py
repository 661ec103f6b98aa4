"""Rate limits: a token bucket, and buckets kept per client for sign-in, room creation and joins."""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable


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
    """One token bucket per key (a client address): ``per_minute`` events, all of them allowed in
    a burst. Remembers at most ``max_keys`` clients, forgetting the least recently seen."""

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
    """At most ``limit`` things held at once per key (open sockets per client address)."""

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


class RateLimits:
    """The per-client limits a Visio server enforces."""

    def __init__(self, sign_in: int, room_creation: int, joins: int, sockets: int) -> None:
        self.sign_in = KeyedRateLimiter(sign_in)
        self.room_creation = KeyedRateLimiter(room_creation)
        self.joins = KeyedRateLimiter(joins)
        self.room_sockets = ConcurrencyLimit(sockets)
