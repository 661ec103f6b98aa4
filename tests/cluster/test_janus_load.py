"""Janus placement across app servers: every node places rooms by the streams each Janus
forwards for the whole cluster, from the others' heartbeats in Redis (a real redis-server)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from tests.redis_server import RunningRedis, start_redis
from visio.cluster.load import ClusterLoad
from visio.cluster.placement import NodeLoad, Placement
from visio.media.pool import NoLoad


class _Own:
    """This node's own figures, as RoomsLoad would count them."""

    def forwarded_streams(self) -> dict[str, int]:
        return {"ws://j2:8188": 5}

    def rooms(self) -> dict[str, int]:
        return {"ws://j2:8188": 1}


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RunningRedis]:
    server = start_redis(tmp_path / "redis")
    yield server
    server.stop()


def test_janus_load_adds_the_other_nodes_streams_to_this_nodes_own(
    redis_server: RunningRedis,
) -> None:
    async def scenario() -> tuple[dict[str, int], dict[str, int], list[str], dict[str, int]]:
        client = Redis.from_url(redis_server.url)
        a, b, c = Placement(client, "a"), Placement(client, "b"), Placement(client, "c")
        await a.renew(
            NodeLoad(2, 9, janus_streams={"ws://j1:8188": 40}, janus_rooms={"ws://j1:8188": 2})
        )
        await c.renew(NodeLoad(1, 3, janus_streams={"ws://j1:8188": 4, "ws://j2:8188": 6}))
        await b.renew(NodeLoad(1, 2, janus_streams=_Own().forwarded_streams()))
        # A heartbeat that is not Visio's figures counts as nothing; a node gone is dropped.
        await client.set(
            "visio:node:c", b'{"rooms": 1, "participants": 3, "janus_streams": {"x": "9"}}'
        )
        await client.sadd("visio:nodes", "ghost")
        load = ClusterLoad(_Own(), "b")
        load.others_reported(await b.nodes())
        members = sorted(m.decode() for m in await client.smembers("visio:nodes"))
        alone = ClusterLoad(NoLoad(), "b")
        alone.others_reported({"b": NodeLoad(1, 1, janus_streams={"ws://j2:8188": 99})})
        await client.aclose()
        return load.forwarded_streams(), load.rooms(), members, alone.forwarded_streams()

    streams, rooms, members, alone = asyncio.run(scenario())
    # a's 40 on j1, c's malformed figures ignored, b's own 5 on j2 (live, not its heartbeat).
    assert streams == {"ws://j1:8188": 40, "ws://j2:8188": 5}
    assert rooms == {"ws://j1:8188": 2, "ws://j2:8188": 1}
    assert members == ["a", "b", "c"]  # "ghost" had no heartbeat: dropped
    assert alone == {}  # a node's own heartbeat is not counted twice
