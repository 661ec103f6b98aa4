from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.redis_server import RunningRedis, start_redis
from tests.turn.coturn import RunningCoturn, coturn_unavailable, start_coturn


@pytest.fixture(scope="module")
def stats_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningRedis]:
    """The Redis coturn publishes its statistics on (VISIO_TURN_STATS_REDIS_URL)."""
    running = start_redis(tmp_path_factory.mktemp("turn-stats-redis"))
    yield running
    running.stop()


@pytest.fixture(scope="module")
def coturn(
    tmp_path_factory: pytest.TempPathFactory, stats_redis: RunningRedis
) -> Iterator[RunningCoturn]:
    reason = coturn_unavailable()
    if reason:
        pytest.fail(reason)
    running = start_coturn(tmp_path_factory.mktemp("coturn"), stats_redis_url=stats_redis.url)
    yield running
    running.stop()
