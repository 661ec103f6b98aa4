"""Hostile clients against a real `visio serve`: what a flood costs the server and its users.

Run inside the media network namespace (as root; every byte goes to 127.0.0.x):

    scripts/in-netns .venv/bin/python -m bench.hostile [--flood-seconds 10] [--slow-connections 1000]

Each figure is measured twice, side by side: on a server with the HTTP edge's limits turned off
(every ``VISIO_HTTP_*`` limit at its maximum and the open-file limit at 1024, as servers ran
before issue 7) and on one with the defaults:

(a) the server's resident memory before, at peak and after 4 concurrent unauthenticated
    ``POST /api/v1/rooms`` with 200 MiB bodies;
(b) the share of healthy requests (``GET /healthz`` and ``POST /api/v1/rooms`` from 127.0.0.1)
    answered while 1,000 slow-header connections (one header line every 5 s, from 127.0.0.3)
    are held, and their latency;
(c) a bystander participant's ``ping`` → ``pong`` round trip, quiet and while another socket
    floods the room WebSocket with 64 KiB-1 MiB frames.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import multiprocessing
import random
import resource
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import websockets
from tests.support import RunningServer, in_media_namespace, start_server

MiB = 1024 * 1024
ATTACKER = "127.0.0.3"
RECONNECT_S = 5.0  # the slowloris beat: one header line, or one reconnection, every 5 s
PING_TIMEOUT_S = 10.0
LIMITS_OFF = {
    "http_max_body_bytes": str(1024 * MiB),
    "http_header_timeout_seconds": "600",
    "http_max_connections_per_client": "1000000",
}


def rss_mb(pid: int) -> float:
    """The process's resident memory in MB (NaN once it has gone)."""
    status = Path(f"/proc/{pid}/status")
    if not status.exists():
        return float("nan")
    for line in status.read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


@contextlib.contextmanager
def server_with(folder: Path, open_files: int | None, **settings: str) -> Iterator[RunningServer]:
    """A `visio serve`; with ``open_files`` its descriptor limit is lowered to that once started
    (`visio serve` raises its own soft limit to the hard one at start)."""
    server = start_server(folder, **settings)
    try:
        if open_files is not None:
            resource.prlimit(server.process.pid, resource.RLIMIT_NOFILE, (open_files, open_files))
        yield server
    finally:
        server.stop()


# -- (a) huge bodies ------------------------------------------------------------------------------


async def post_huge_body(server: RunningServer, size: int) -> str:
    """One unauthenticated POST declaring and sending ``size`` bytes; returns the status line."""
    host, port = server.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(
        b"POST /api/v1/rooms HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
        + f"content-length: {size}\r\n\r\n".encode()
    )
    head, tail = b'{"name": "', b'"}'  # one long JSON string, as the hostile test sent
    filler = b"a" * MiB
    sent = 0
    try:
        writer.write(head)
        sent += len(head)
        while sent < size - len(tail):
            piece = filler[: size - len(tail) - sent]
            writer.write(piece)
            await writer.drain()
            sent += len(piece)
        writer.write(tail)
        sent += len(tail)
        status = await asyncio.wait_for(reader.readline(), 60)
    except (ConnectionError, TimeoutError):
        status = b"(connection closed while sending)"
        with contextlib.suppress(ConnectionError, TimeoutError):
            status = await asyncio.wait_for(reader.readline(), 2) or status  # answered early?
    writer.close()
    with contextlib.suppress(Exception):
        await writer.wait_closed()
    return f"{status.decode(errors='replace').strip()} after {sent / MiB:.0f} MiB sent"


def huge_bodies(server: RunningServer) -> dict[str, Any]:
    pid = server.process.pid
    before = rss_mb(pid)
    peak = before
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, rss_mb(pid) if not math.isnan(rss_mb(pid)) else peak)
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    started = time.monotonic()

    async def four() -> list[str]:
        tasks = [post_huge_body(server, 200 * MiB) for _ in range(4)]
        return await asyncio.wait_for(asyncio.gather(*tasks), 300)

    answers = asyncio.run(four())
    took = time.monotonic() - started
    time.sleep(1)
    stop.set()
    sampler.join()
    return {
        "rss_before_mb": before,
        "rss_peak_mb": peak,
        "rss_after_mb": rss_mb(pid),
        "seconds": took,
        "answers": sorted(set(answers)),
    }


# -- (b) slow headers -----------------------------------------------------------------------------


async def slow_client(host: str, port: int, stop: asyncio.Event, opened: list[int]) -> None:
    """One slowloris connection, reopened whenever the server drops it."""
    while not stop.is_set():
        try:
            reader, writer = await asyncio.open_connection(host, port, local_addr=(ATTACKER, 0))
        except OSError:
            await asyncio.sleep(RECONNECT_S)
            continue
        opened[0] += 1
        try:
            writer.write(b"GET /healthz HTTP/1.1\r\nhost: x\r\n")
            line = 0
            while not stop.is_set():
                with contextlib.suppress(TimeoutError):
                    if await asyncio.wait_for(reader.read(1024), 5) == b"":
                        break  # the server hung up
                line += 1
                writer.write(f"x-slow-{line}: 1\r\n".encode())
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()
        await asyncio.sleep(RECONNECT_S)  # a dropped connection is opened again at the next beat


async def healthy_requests(server: RunningServer, seconds: float) -> dict[str, Any]:
    ok, failed, latencies = 0, 0, []
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient(base_url=server.url, timeout=5) as client:
        while time.monotonic() < deadline:
            for method, path in (("GET", "/healthz"), ("POST", "/api/v1/rooms")):
                started = time.monotonic()
                try:
                    response = await client.request(method, path)
                    good = response.status_code < 300
                except httpx.HTTPError:
                    good = False
                latencies.append(time.monotonic() - started)
                ok, failed = ok + good, failed + (not good)
            await asyncio.sleep(0.05)
    return {
        "success_rate": ok / max(1, ok + failed),
        "requests": ok + failed,
        "p50_ms": 1000 * percentile(latencies, 0.5),
        "p99_ms": 1000 * percentile(latencies, 0.99),
    }


def slow_headers(server: RunningServer, connections: int, seconds: float) -> dict[str, Any]:
    host, port = server.url.removeprefix("http://").split(":")

    async def attack() -> dict[str, Any]:
        stop = asyncio.Event()
        opened = [0]
        clients = [
            asyncio.create_task(slow_client(host, int(port), stop, opened))
            for _ in range(connections)
        ]
        await asyncio.sleep(8)  # let them all connect and start dripping
        result = await healthy_requests(server, seconds)
        stop.set()
        await asyncio.wait(clients, timeout=10)
        for task in clients:
            task.cancel()
        return result | {"attacker_connections_opened": opened[0]}

    return asyncio.run(asyncio.wait_for(attack(), seconds + 60))


# -- (c) large-frame flood ------------------------------------------------------------------------


async def joined_socket(url: str, name: str) -> Any:
    socket = await websockets.connect(url, max_size=None, open_timeout=10, ping_interval=None)
    await socket.send(
        json.dumps({"type": "join", "version": 1, "name": name, "audio": False, "video": False})
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        message = json.loads(await asyncio.wait_for(socket.recv(), 10))
        if message.get("type") in ("joined", "error", "lobby.waiting"):
            return socket
    return socket


async def pings(socket: Any, seconds: float) -> tuple[list[float], int]:
    """ping → pong round trips (seconds), one every 50 ms, and how many got no pong within
    PING_TIMEOUT_S."""
    rounds: list[float] = []
    lost = 0
    deadline = time.monotonic() + seconds
    number = 0
    while time.monotonic() < deadline:
        number += 1
        started = time.monotonic()
        await socket.send(json.dumps({"type": "ping", "id": number}))
        try:
            while True:
                left = PING_TIMEOUT_S - (time.monotonic() - started)
                message = json.loads(await asyncio.wait_for(socket.recv(), max(0.01, left)))
                if message.get("type") == "pong" and message.get("reply_to") == number:
                    rounds.append(time.monotonic() - started)
                    break
        except TimeoutError:
            lost += 1
        await asyncio.sleep(0.05)
    return rounds, lost


async def flood(url: str, seconds: float) -> int:
    """Send 64 KiB-1 MiB frames as fast as the server takes them; returns the bytes sent."""
    payload = "x" * MiB
    sent = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket = await joined_socket(url, "flood")
            async with socket:
                while time.monotonic() < deadline:
                    size = random.randint(64 * 1024, MiB)
                    await asyncio.wait_for(socket.send(payload[:size]), 5)
                    sent += size
        except (websockets.ConnectionClosed, OSError, TimeoutError):
            await asyncio.sleep(0.1)
    return sent


def flood_process(url: str, seconds: float, sent: Any) -> None:
    """The flooder, in a process of its own so that the bystander's client keeps its own CPU."""
    sent.value = asyncio.run(flood(url, seconds))


def frame_flood(server: RunningServer, seconds: float) -> dict[str, Any]:
    slug = None
    for _ in range(6):  # the server may still be digesting the previous attack
        with contextlib.suppress(httpx.HTTPError):
            slug = server.create_room()
            break
    if slug is None:
        raise RuntimeError("the server answered no POST /api/v1/rooms within a minute")
    url = f"{server.ws_base}/api/v1/rooms/{slug}/ws"

    async def measure() -> dict[str, Any]:
        bystander = await joined_socket(url, "bystander")
        async with bystander:
            quiet, _ = await pings(bystander, seconds / 2)
            sent = multiprocessing.Value("q", 0)
            flooder = multiprocessing.Process(target=flood_process, args=(url, seconds, sent))
            flooder.start()
            await asyncio.sleep(0.5)
            dropped = "no"
            loud: list[float] = []
            lost = 0
            try:
                loud, lost = await pings(bystander, seconds)
            except websockets.ConnectionClosed as closed:
                dropped = f"yes ({closed.rcvd.code if closed.rcvd else 'no close frame'})"
            await asyncio.to_thread(flooder.join, seconds + 30)
        return {
            "quiet_p50_ms": 1000 * percentile(quiet, 0.5),
            "quiet_p99_ms": 1000 * percentile(quiet, 0.99),
            "flood_p50_ms": 1000 * percentile(loud, 0.5),
            "flood_p99_ms": 1000 * percentile(loud, 0.99),
            "flood_pongs": len(loud),
            "flood_lost": lost,
            "bystander_dropped": dropped,
            "flood_mib_per_s": sent.value / MiB / seconds,
        }

    return asyncio.run(asyncio.wait_for(measure(), 3 * seconds + 4 * PING_TIMEOUT_S + 60))


def measured(measure: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    """One measurement's figures, or the reason it could not be made (the server may be down
    after the previous attack: that is a result too)."""
    try:
        return measure(*args)
    except Exception as exc:
        return {"failed": f"{type(exc).__name__}: {exc}"[:200]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--flood-seconds", type=float, default=10)
    parser.add_argument("--slow-connections", type=int, default=1000)
    parser.add_argument("--healthy-seconds", type=float, default=15)
    args = parser.parse_args()
    if not in_media_namespace():
        raise SystemExit("run inside scripts/in-netns (rooms need the embedded Janus)")
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="visio-hostile-") as folder:
        for label, open_files, settings in (
            ("limits off", 1024, LIMITS_OFF),
            ("defaults", None, {}),
        ):
            with server_with(
                Path(folder) / label.replace(" ", "-"), open_files, **settings
            ) as server:
                # The flood of frames first: the other two may leave a server without limits
                # unable to answer for a while.
                frames = measured(frame_flood, server, args.flood_seconds)
                bodies = measured(huge_bodies, server)
                slow = measured(slow_headers, server, args.slow_connections, args.healthy_seconds)
                results[label] = {"bodies": bodies, "slow": slow, "frames": frames}
    off, on = results["limits off"], results["defaults"]
    rows = [
        ("(a) server RSS before 4 x 200 MiB POSTs, MB", "bodies", "rss_before_mb", "{:.0f}"),
        ("(a) server RSS at peak, MB", "bodies", "rss_peak_mb", "{:.0f}"),
        ("(a) server RSS after, MB", "bodies", "rss_after_mb", "{:.0f}"),
        ("(a) time until the 4 POSTs are answered, s", "bodies", "seconds", "{:.1f}"),
        (
            f"(b) healthy requests OK with {args.slow_connections} slow-header conns",
            "slow",
            "success_rate",
            "{:.1%}",
        ),
        ("(b) healthy requests made", "slow", "requests", "{}"),
        ("(b) healthy request latency p50, ms", "slow", "p50_ms", "{:.1f}"),
        ("(b) healthy request latency p99, ms", "slow", "p99_ms", "{:.1f}"),
        (
            "(b) slow-header connections the attacker opened",
            "slow",
            "attacker_connections_opened",
            "{}",
        ),
        ("(c) bystander ping→pong p50, quiet, ms", "frames", "quiet_p50_ms", "{:.1f}"),
        ("(c) bystander ping→pong p99, quiet, ms", "frames", "quiet_p99_ms", "{:.1f}"),
        ("(c) bystander ping→pong p50, large-frame flood, ms", "frames", "flood_p50_ms", "{:.1f}"),
        ("(c) bystander ping→pong p99, large-frame flood, ms", "frames", "flood_p99_ms", "{:.1f}"),
        ("(c) pongs received during the flood", "frames", "flood_pongs", "{}"),
        (
            f"(c) pings with no pong within {PING_TIMEOUT_S:.0f} s during the flood",
            "frames",
            "flood_lost",
            "{}",
        ),
        (
            "(c) bystander disconnected by the server during the flood",
            "frames",
            "bystander_dropped",
            "{}",
        ),
        ("(c) flood sent, MiB/s", "frames", "flood_mib_per_s", "{:.0f}"),
    ]
    print(f"{'figure':<64} {'limits off':>12} {'defaults':>12}")

    def cell(figures: dict[str, Any], key: str, form: str) -> str:
        return form.format(figures[key]) if key in figures else "failed"

    for title, group, key, form in rows:
        print(f"{title:<64} {cell(off[group], key, form):>12} {cell(on[group], key, form):>12}")
    for label, groups in results.items():
        for group, figures in groups.items():
            if "failed" in figures:
                print(f"{label}, {group}: {figures['failed']}")
    for label in results:
        print(f"(a) answers, {label}: {results[label]['bodies'].get('answers')}")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
