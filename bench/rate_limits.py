"""What one per-client rate-limit check costs: in this process's memory (one machine) and in a
shared Redis (several app servers), side by side in one run.

    .venv/bin/python -m bench.rate_limits [--checks 20000] [--clients 1000]

It starts a throwaway redis-server (tests/redis_server.py) on a loopback port, then times
``RateLimit.allow`` for ``--clients`` distinct addresses in turn, alternating memory and Redis
in rounds of 100 checks so that both see the same machine load. Also timed: memory while it
holds 100,000 clients (its bound), and while Redis is down: a check counted in memory, and a
check that asks the dead Redis first (once per server every 2 s), reported apart.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from redis.asyncio import Redis
from tests.redis_server import start_redis

from visio.cluster.redis import connect
from visio.ratelimit import LimitCounters, RateLimit
from visio.settings import load_settings

ROUND = 100


def _figures(name: str, seconds: list[float]) -> str:
    ordered = sorted(seconds)
    p99 = ordered[int(0.99 * (len(ordered) - 1))]
    return (
        f"{name:<46} p50 {statistics.median(ordered) * 1e6:8.1f} µs   "
        f"p99 {p99 * 1e6:8.1f} µs   n {len(ordered)}"
    )


async def _close(client: Redis | None) -> None:
    if client is not None:
        await client.aclose()


async def _round(limit: RateLimit, addresses: list[str], start: int, into: list[float]) -> None:
    for index in range(start, start + ROUND):
        address = addresses[index % len(addresses)]
        began = time.perf_counter()
        await limit.allow(address)
        into.append(time.perf_counter() - began)


async def run(checks: int, clients: int) -> None:
    addresses = [f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}" for n in range(clients)]
    with tempfile.TemporaryDirectory() as folder:
        redis_server = start_redis(Path(folder))
        try:
            settings = load_settings(_env_file=None, redis_url=redis_server.url)
            memory = RateLimit("bench", 1_000_000, LimitCounters(None))
            shared_client = connect(settings)
            shared_counters = LimitCounters(shared_client)
            shared = RateLimit("bench", 1_000_000, shared_counters)
            await shared.allow("warm-up")
            in_memory: list[float] = []
            in_redis: list[float] = []
            for start in range(0, checks, ROUND):
                await _round(memory, addresses, start, in_memory)
                await _round(shared, addresses, start, in_redis)

            crowded = RateLimit("bench", 1_000_000, LimitCounters(None))
            many = [f"10.9.{n >> 8 & 255}.{n & 255}:{n}" for n in range(100_000)]
            for address in many:
                await crowded.allow(address)
            in_crowded: list[float] = []
            for start in range(0, checks, ROUND):
                await _round(crowded, many, start, in_crowded)

            redis_server.kill()
            # Asking a dead Redis every time, then never again within the run: the two costs
            # a check has during an outage (one of the first kind per server every 2 s).
            asking_client = connect(settings)
            asking_counters = LimitCounters(asking_client, retry_s=0.0)
            asking = RateLimit("bench", 1_000_000, asking_counters)
            probes: list[float] = []
            for start in range(0, min(checks, 1000), ROUND):
                await _round(asking, addresses, start, probes)
            await _close(asking_client)
            down_client = connect(settings)
            down_counters = LimitCounters(down_client, retry_s=3600.0)
            down = RateLimit("bench", 1_000_000, down_counters)
            await down.allow("outage begins")
            fallback: list[float] = []
            for start in range(0, checks, ROUND):
                await _round(down, addresses, start, fallback)
            await _close(down_client)
            await _close(shared_client)
        finally:
            redis_server.stop()
    print(f"one rate-limit check, {clients} clients in turn, {checks} checks each:")
    print(_figures("memory (one machine)", in_memory))
    print(_figures("Redis on loopback (several app servers)", in_redis))
    print(_figures("memory holding 100,000 clients", in_crowded))
    print(_figures("Redis down: counted in memory", fallback))
    print(_figures("Redis down: the check that asks it again", probes))
    ratio = statistics.median(in_redis) / statistics.median(in_memory)
    print(f"Redis / memory, medians: {ratio:.0f} times")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checks", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=1000)
    arguments = parser.parse_args()
    asyncio.run(run(arguments.checks, arguments.clients))


if __name__ == "__main__":
    main()
