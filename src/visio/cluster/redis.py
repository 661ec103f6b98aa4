"""The app server's Redis client: one connection pool, short timeouts, keys under one prefix."""

from __future__ import annotations

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from visio.settings import Settings

PREFIX = "visio:"
"""Every key Visio writes starts with this, so a Redis can be shared with other programs."""

UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, OSError)
"""What a call raises while Redis is down or unreachable."""


def key(*parts: str) -> str:
    """``key("room", slug, "owner")`` → ``visio:room:<slug>:owner``."""
    return PREFIX + ":".join(parts)


def connect(settings: Settings) -> Redis | None:
    """A client for ``VISIO_REDIS_URL`` (no connection is opened yet), or None on one machine.

    Timeouts are short: a Redis that does not answer within a second is treated as down, and
    callers decide what goes on without it (meetings in progress do; new placements wait).
    """
    if settings.redis_url is None:
        return None
    return Redis.from_url(
        settings.redis_url.get_secret_value(),
        socket_timeout=1.0,
        socket_connect_timeout=1.0,
        health_check_interval=5,
        retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), retries=2),
        retry_on_error=[RedisConnectionError, RedisTimeoutError],
        client_name=f"visio:{settings.effective_node_id}"[:100].replace(" ", "-"),
    )
