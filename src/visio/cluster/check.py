"""``visio check``'s Redis line: the shared Redis answers, and what it is."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from visio.cluster import redis as cluster_redis
from visio.settings import Settings


def check_redis(settings: Settings, report: Callable[[bool, str, str], None]) -> None:
    """Report whether ``VISIO_REDIS_URL`` answers (its password is never printed)."""

    async def probe() -> str:
        client = cluster_redis.connect(settings)
        assert client is not None
        try:
            info = await client.info("server")
            return str(info.get("redis_version", "?"))
        finally:
            await client.aclose()

    try:
        version = asyncio.run(probe())
        node = settings.effective_node_id
        report(True, f"Redis answers (version {version}); this node is {node}", "")
    except cluster_redis.UNAVAILABLE as exc:
        report(
            False,
            f"Redis at VISIO_REDIS_URL does not answer: {type(exc).__name__}",
            "is redis-server running and reachable from here (address, password, firewall)?",
        )
    except Exception as exc:
        report(
            False,
            f"Redis at VISIO_REDIS_URL refused: {type(exc).__name__}: {str(exc)[:200]}",
            "check the password and database number in VISIO_REDIS_URL",
        )
