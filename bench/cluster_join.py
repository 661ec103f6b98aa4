"""What several app servers cost a join: Redis operations per join, and the relay's latency.

    scripts/in-netns .venv/bin/python -m bench.cluster_join [--joins 100]

Starts a real PostgreSQL and Redis, two `visio serve` sharing them (nodes ``a`` and ``b``), and
a third `visio serve` on its own (one machine: SQLite, no Redis). Three ways to join, side by
side, in alternating blocks so the machine's changing load weighs on each alike:

- one machine: the room on the server without Redis;
- cluster, local: the socket lands on the room's owner (``a``);
- cluster, relayed: the socket lands on ``b`` and is relayed to ``a`` through Redis pub/sub.

Each join opens a socket, joins a room where someone already is, sends pings and leaves. It
reports join time (``join`` sent → ``joined``), ping round trips (which, relayed, cross Redis
twice each way: edge → owner → edge), and Redis commands per join from ``INFO commandstats``
deltas, less what the nodes' lease renewals and checks cost in the same time (measured first,
with the rooms live and nobody joining); the raw commands per join are listed too.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path

from tests.postgres import throwaway_postgres
from tests.redis_server import RunningRedis, start_redis
from tests.rooms.people import RoomSocket
from tests.support import VISIO, RunningServer, start_server

PINGS_PER_JOIN = 5
BLOCK = 10


def commandstats(redis: RunningRedis) -> Counter[str]:
    client = redis.client()
    try:
        stats = client.info("commandstats")
    finally:
        client.close()
    return Counter({name.removeprefix("cmdstat_"): int(v["calls"]) for name, v in stats.items()})


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def one_join(server: RunningServer, slug: str, joins: list[float], pings: list[float]) -> None:
    socket = RoomSocket(server, slug, "")
    started = time.perf_counter()
    reply = socket.join("Bench")
    joins.append(time.perf_counter() - started)
    assert reply["type"] == "joined", reply
    for number in range(PINGS_PER_JOIN):
        started = time.perf_counter()
        socket.send(type="ping", id=f"p{number}")
        socket.expect("pong", reply_to=f"p{number}")
        pings.append(time.perf_counter() - started)
    socket.send(type="leave")
    socket.expect_closed()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--joins", type=int, default=100, help="joins per way (default 100)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="visio-cluster-bench-"))
    with throwaway_postgres() as database_url:
        subprocess.run(
            [str(VISIO), "migrate"],
            env={"VISIO_DATABASE_URL": database_url, "VISIO_DATA_DIR": str(folder)},
            check=True,
            capture_output=True,
        )
        redis = start_redis(folder / "redis")
        cluster = {"redis_url": redis.url, "database_url": database_url}
        a = start_server(folder / "a", node_id="a", **cluster)
        b = start_server(folder / "b", node_id="b", **cluster)
        alone = start_server(folder / "alone")
        try:
            figures = bench(args.joins, redis, a, b, alone)
        finally:
            for server in (a, b, alone):
                server.stop()
            redis.stop()
    print(json.dumps(figures, indent=2))


def bench(
    joins: int, redis: RunningRedis, a: RunningServer, b: RunningServer, alone: RunningServer
) -> dict[str, dict[str, object]]:
    ways = {
        "one machine": (alone, alone),
        "cluster, local": (a, a),
        "cluster, relayed": (a, b),
    }
    anchors = {}
    for name, (owner, _) in ways.items():
        slug = owner.create_room()
        anchor = RoomSocket(owner, slug, "")
        anchor.join("Anchor")
        anchors[name] = (slug, anchor)
    # The nodes' own traffic with the three rooms live (lease renewals, heartbeats, the edge's
    # checks and probes), per second: subtracted from each block's count.
    before, started = commandstats(redis), time.monotonic()
    time.sleep(5)
    background = (commandstats(redis) - before).total() / (time.monotonic() - started)
    results: dict[str, dict[str, list[float]]] = {name: {"join": [], "ping": []} for name in ways}
    operations: Counter[str] = Counter()
    commands: dict[str, Counter[str]] = {name: Counter() for name in ways}
    seconds: Counter[str] = Counter()
    done = 0
    while done < joins:
        block = min(BLOCK, joins - done)
        for name, (_, edge) in ways.items():
            slug, _anchor = anchors[name]
            before, started = commandstats(redis), time.monotonic()
            for _ in range(block):
                one_join(edge, slug, results[name]["join"], results[name]["ping"])
            delta = commandstats(redis) - before
            operations[name] += delta.total()
            commands[name] += delta
            seconds[name] += time.monotonic() - started
            # The anchor reads what the joins sent it, and stays alive.
            assert _anchor.outcome(type="ping") == "ok"
        done += block
    for _, anchor in anchors.values():
        anchor.close()
    figures: dict[str, dict[str, object]] = {}
    for name, measured in results.items():
        figures[name] = {
            "joins": len(measured["join"]),
            "join_ms_p50": round(1000 * statistics.median(measured["join"]), 2),
            "join_ms_p99": round(1000 * quantile(measured["join"], 0.99), 2),
            "ping_ms_p50": round(1000 * statistics.median(measured["ping"]), 2),
            "ping_ms_p99": round(1000 * quantile(measured["ping"], 0.99), 2),
            "redis_ops_per_join": round(
                max(0.0, operations[name] - background * seconds[name]) / len(measured["join"]),
                1,
            ),
            "redis_commands_per_join_raw": {
                command: round(calls / len(measured["join"]), 2)
                for command, calls in commands[name].most_common(8)
            },
        }
    figures["background"] = {"redis_ops_per_second_rooms_live": round(background, 1)}
    return figures


if __name__ == "__main__":
    main()
