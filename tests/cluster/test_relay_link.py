"""The relay's pub/sub link on a real Redis: what counts as losing it, and what does not."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from pathlib import Path

from tests.redis_server import start_redis
from visio.cluster.redis import UNAVAILABLE, connect
from visio.cluster.relay import Bus
from visio.settings import load_settings


async def _until(condition: Callable[[], object], timeout: float) -> None:
    async with asyncio.timeout(timeout):
        while not condition():  # noqa: ASYNC110 - polls state another task changes
            await asyncio.sleep(0.02)


async def test_relay_link_a_redis_restart_is_one_loss_not_a_later_second_one(
    tmp_path: Path,
) -> None:
    """Redis restarts while the app server keeps using its client: the link is lost once and
    comes back; ordinary commands that later reuse the old subscription's connection from the
    shared pool do not end the relayed sockets again (they did: a stray 1012 after a restart)."""
    server = start_redis(tmp_path / "redis")
    redis = connect(load_settings(_env_file=None, redis_url=server.url, data_dir=tmp_path))
    assert redis is not None
    losses: list[float] = []
    bus = Bus(redis, "n1", lambda message: None, lambda: losses.append(0))

    async def commands(rounds: int, at_once: int) -> None:
        # What the lease renewals do each tick, a few at once (errors are Redis being away).
        for _ in range(rounds):
            with contextlib.suppress(*UNAVAILABLE):
                await asyncio.gather(*(redis.ping() for _ in range(at_once)))
            await asyncio.sleep(0.05)

    bus.start()
    try:
        await _until(lambda: bus.listening, 10)
        server.kill()
        await _until(lambda: losses, 10)
        await commands(20, 4)  # while Redis is away they take, and drop, the pool's connections
        server.start()
        await _until(lambda: bus.listening, 15)
        # Settled: listening, and no further loss over a second (a subscription sent on a
        # stale connection may be renewed once, right away).
        settled = -1
        while settled != len(losses) or not bus.listening:
            settled = len(losses)
            await asyncio.sleep(1.0)
        # Every pooled connection is reused (and reconnected) by ordinary commands.
        await commands(10, 32)
        await asyncio.sleep(1.5)  # the listener looks up from its wait once a second
        assert len(losses) == settled, "a connection the old subscription gave back ended the link"
        assert bus.listening
    finally:
        await bus.stop()
        await redis.aclose()
        server.stop()
