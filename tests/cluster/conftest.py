"""Two real `visio serve` sharing a real PostgreSQL and a real Redis: a cluster of two nodes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

from tests.postgres import throwaway_postgres
from tests.redis_server import RunningRedis, start_redis
from tests.rooms.people import RoomSocket
from tests.support import RunningServer, migrate, start_server, wait_until


@dataclass
class Cluster:
    redis: RunningRedis
    nodes: dict[str, RunningServer]
    database_url: str
    folder: Path

    @property
    def a(self) -> RunningServer:
        return self.nodes["a"]

    @property
    def b(self) -> RunningServer:
        return self.nodes["b"]

    def start(self, node: str) -> RunningServer:
        self.nodes[node] = start_server(
            self.folder / node,
            redis_url=self.redis.url,
            node_id=node,
            database_url=self.database_url,
        )
        return self.nodes[node]

    def owner(self, slug: str) -> str | None:
        """The node whose lease holds the room now, read from Redis."""
        client = self.redis.client()
        try:
            value = client.get(f"visio:room:{slug}:owner")
        finally:
            client.close()
        return value.decode() if isinstance(value, bytes) else None

    def lease_ms(self, slug: str) -> int:
        client = self.redis.client()
        try:
            return int(client.pttl(f"visio:room:{slug}:owner"))
        finally:
            client.close()

    def socket(self, node: str, slug: str) -> RoomSocket:
        return RoomSocket(self.nodes[node], slug, "")

    def linked(self) -> bool:
        """Both nodes' heartbeats say their pub/sub link is up (after a Redis restart)."""
        client = self.redis.client()
        try:
            beats = client.mget([f"visio:node:{node}" for node in self.nodes])
        except redis.ConnectionError:
            return False
        finally:
            client.close()
        return all(beat is not None and b'"listening": true' in beat for beat in beats)

    def healthy(self) -> None:
        """Put back what a test broke: Redis up, both nodes serving."""
        if self.redis.process is None or self.redis.process.poll() is not None:
            self.redis.start()
        for node, server in list(self.nodes.items()):
            if server.process.poll() is not None:
                self.start(node)


def _redis_answers(server: RunningRedis) -> bool:
    client = server.client()
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False
    finally:
        client.close()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """Nodes ``a`` and ``b``, one PostgreSQL, one Redis, shared by one module's tests (starting
    servers is what costs most on a busy machine); whatever a test kills comes back."""
    folder = tmp_path_factory.mktemp("cluster")
    with throwaway_postgres() as database_url:
        migrate(database_url, folder)
        running_redis = start_redis(folder / "redis")
        cluster = Cluster(running_redis, {}, database_url, folder)
        try:
            cluster.start("a")
            cluster.start("b")
            yield cluster
        finally:
            for server in cluster.nodes.values():
                server.stop()
            running_redis.stop()


@pytest.fixture
def nodes(cluster: Cluster) -> Iterator[Cluster]:
    """The module's cluster, healthy at the start of the test and after it."""
    cluster.healthy()
    wait_until(lambda: _redis_answers(cluster.redis), 15, "Redis does not answer")
    wait_until(cluster.linked, 15, "the nodes did not link up with Redis again")
    yield cluster
    cluster.healthy()
