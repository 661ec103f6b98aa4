"""The control plane under load: how many room sockets one app process holds, how fast one
message reaches a 300-person room, and what each participant costs the server in memory.

Run inside the media network namespace (as root; every byte goes to 127.0.0.0/8):

    scripts/in-netns .venv/bin/python -m bench.load_signaling [--target 10000] [--rate 100]

It starts its own `visio serve` (embedded Janus, SQLite) and client processes
(bench/load/worker.py) whose synthetic participants speak the room protocol over WebSocket,
signaling only: no media, no browser. The server keeps its per-client limits at their
defaults (``VISIO_RATE_LIMIT_JOINS_PER_MINUTE`` 60, ``VISIO_PROTOCOL_MAX_SOCKETS_PER_ADDRESS``
200, ``VISIO_RATE_LIMIT_ROOM_CREATION_PER_MINUTE`` 60): instead each client address (127.1.x.y,
bound as the source) opens at most ``--per-address`` sockets, as people behind their own
addresses do. One setting is raised: ``VISIO_ROOM_MAX_PARTICIPANTS`` to the big room's size.
In one run, side by side:

1. the big room (``--big-room`` people, 300) fills; the server's resident memory before and
   after gives the memory per participant;
2. fan-out, the big room alone: ``--messages`` chat messages and as many reactions, each from
   one of 10 senders in turn, spaced to stay under the chat's and reactions' own rate limits;
   for each, the time from sending until each of the others received it;
3. the ramp: participants join rooms of ``--room-size`` (10) at ``--rate`` a second until
   ``--target`` sockets (big room included) are open, or it stops: too many failed joins, join
   p99 over ``--max-join-p99`` seconds, or the server's memory over ``--max-rss-mb``;
4. fan-out again in the big room, with every socket of the ramp held;
5. every socket stays open for ``--hold`` seconds (the server pings every 10 s): how many are
   still open.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import multiprocessing
import os
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

import httpx
from tests.support import RunningServer, in_media_namespace, start_server

from bench.hostile import percentile, rss_mb
from bench.load import worker
from bench.load.participant import Arrival, SyntheticParticipant, source_address

ROOM_ADDRESSES = 2
"""127.2.x.y: the addresses that create the rooms (``VISIO_RATE_LIMIT_ROOM_CREATION_...``)."""
SENDER_ADDRESSES = 3
"""127.3.x.y: the big room's senders, held by this process."""
SENDERS = 10
BIG_ROOM_PER_ADDRESS = 10


def cpu_seconds(pid: int) -> float:
    """User + system CPU the process has used (NaN once it has gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def idle_rate(pid: int) -> float:
    """The server's CPU seconds a second once it has settled (two 1-second windows alike, or
    under 5 % of a core; at most 15 s): what it spends on keepalive pings and timers, taken
    off what a measured action cost."""
    rates: list[float] = []
    for _ in range(15):
        before, started = cpu_seconds(pid), time.monotonic()
        await asyncio.sleep(1)
        rates.append((cpu_seconds(pid) - before) / (time.monotonic() - started))
        if rates[-1] < 0.05 or (len(rates) > 1 and abs(rates[-1] - rates[-2]) < 0.2 * rates[-2]):
            break
    return min(rates)


class Worker:
    """A client process (bench/load/worker.py) and the pipe that drives it."""

    def __init__(self, ws_base: str, compression: bool) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, theirs = context.Pipe()
        self.process: BaseProcess = context.Process(
            target=worker.run, args=(theirs, ws_base, compression), daemon=True
        )
        self.process.start()
        theirs.close()

    def tell(self, *command: Any) -> None:
        self._conn.send(command)

    async def ask(self, *command: Any) -> Any:
        self._conn.send(command)
        return await _receive(self._conn)

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)


async def _receive(conn: Connection) -> Any:
    return await asyncio.to_thread(conn.recv)


async def create_rooms(
    server: RunningServer, count: int, per_address: int, refused: Counter[str]
) -> list[str]:
    """``count`` rooms, each address creating at most ``per_address`` (under the default limit
    of 60 a minute per client). A 5xx answer, or a connection dropped, is counted in
    ``refused`` and tried again."""

    async def from_address(index: int, how_many: int) -> list[str]:
        transport = httpx.AsyncHTTPTransport(local_address=source_address(index, ROOM_ADDRESSES))
        async with httpx.AsyncClient(transport=transport, timeout=30) as client:
            slugs = []
            while len(slugs) < how_many:
                try:
                    response = await client.post(f"{server.url}/api/v1/rooms")
                except httpx.TransportError as exc:
                    if sum(refused.values()) >= 100:
                        raise
                    refused[type(exc).__name__] += 1
                    continue
                if response.status_code >= 500 and sum(refused.values()) < 100:
                    refused[str(response.status_code)] += 1
                    continue
                response.raise_for_status()
                slugs.append(str(response.json()["slug"]))
            return slugs

    shares = [min(per_address, count - start) for start in range(0, count, per_address)]
    made = await asyncio.gather(*(from_address(i, n) for i, n in enumerate(shares)))
    return [slug for slugs in made for slug in slugs]


@dataclass
class Joins:
    """Join results as they come back from the workers."""

    results: list[tuple[float, float | None, str | None]] = field(default_factory=list)

    @property
    def latencies(self) -> list[float]:
        return [seconds for _, seconds, _ in self.results if seconds is not None]

    @property
    def failures(self) -> Counter[str]:
        return Counter(reason for _, _, reason in self.results if reason is not None)

    def since(self, moment: float) -> list[tuple[float, float | None, str | None]]:
        return [r for r in self.results if r[0] >= moment]


async def progress(workers: list[Worker], joins: Joins) -> int:
    """Collect the join results; return how many sockets the workers hold open."""
    held = 0
    for answer in await asyncio.gather(*(w.ask("progress") for w in workers)):
        results, open_sockets = answer
        joins.results.extend(results)
        held += open_sockets
    return held


@dataclass
class Ramp:
    joins: Joins
    held: int
    stopped: str
    seconds: float


async def ramp(
    server: RunningServer,
    workers: list[Worker],
    plans: list[list[Any]],
    args: argparse.Namespace,
    *,
    retries: int = 0,
    stop_early: bool = True,
) -> Ramp:
    """Join every plan (one per worker) at ``args.rate`` in all; with ``stop_early``, stop on
    failed joins, join latency or memory."""
    pid = server.process.pid
    planned = sum(len(plan) for plan in plans)
    joins = Joins()
    started = time.monotonic()
    for worker_, plan in zip(workers, plans, strict=True):
        worker_.tell(
            "join",
            plan,
            args.rate / len(workers),
            args.join_timeout,
            retries,
            max(1, args.in_flight // len(workers)),
        )
    stopped = "plan done"
    held = 0
    last_print = started
    while True:
        await asyncio.sleep(1)
        held = await progress(workers, joins)
        now = time.monotonic()
        window = joins.since(now - 5 - args.join_timeout)
        recent = [seconds for moment, seconds, _ in window if seconds is not None]
        failed = sum(1 for _, _, reason in window if reason is not None)
        memory = rss_mb(pid)
        if now - last_print >= 5:
            last_print = now
            print(
                f"  ramp {now - started:5.0f} s: {len(joins.results)}/{planned} tried,"
                f" {held} open, {sum(joins.failures.values())} failed,"
                f" join p99 {percentile(recent, 0.99) * 1000:.0f} ms, server {memory:.0f} MB"
                f" {dict(joins.failures) or ''}",
                flush=True,
            )
        if server.process.poll() is not None:
            stopped = "the server exited"
            break
        if len(joins.latencies) >= planned:
            break
        if not stop_early:
            if len(joins.results) >= planned * (retries + 1) or now - started > 180:
                stopped = "gave up"
                break
            continue
        if len(window) >= 20 and failed > 0.05 * len(window):
            stopped = f"failed joins ({dict(joins.failures)})"
            break
        if len(recent) >= 20 and percentile(recent, 0.99) > args.max_join_p99:
            stopped = f"join p99 over {args.max_join_p99} s"
            break
        if memory > args.max_rss_mb:
            stopped = f"server memory over {args.max_rss_mb} MB"
            break
        if len(joins.results) >= planned:
            break
    seconds = time.monotonic() - started
    if stopped != "plan done":
        await asyncio.gather(*(w.ask("halt") for w in workers))
        await asyncio.sleep(args.join_timeout)  # the joins under way end, one way or another
    held = await progress(workers, joins)
    print(f"  ramp over after {seconds:.0f} s: {stopped}; {held} open", flush=True)
    return Ramp(joins, held, stopped, seconds)


@dataclass
class FanOut:
    delays: list[float]
    """Every (message, recipient) pair's delay, seconds."""
    last: list[float]
    """Per message, the delay until its last recipient."""
    missing: int
    recipients: int
    server_cpu: float
    """Server CPU seconds per message, over what it spends idle (keepalive pings)."""


async def fan_out(
    kind: str,
    server: RunningServer,
    senders: list[SyntheticParticipant],
    workers: list[Worker],
    everyone: set[str],
    args: argparse.Namespace,
    reactions_sent: Counter[str],
) -> FanOut:
    """Send ``args.messages`` of ``kind`` (``chat`` or ``reaction``) into the big room, each
    from the next sender, and time each one's arrival at every other participant."""
    pid = server.process.pid
    for sender in senders:  # what arrived before is not this measurement's
        sender.take_arrivals()
    await asyncio.gather(*(w.ask("arrivals") for w in workers))
    idle = await idle_rate(pid)
    cpu_before, started = cpu_seconds(pid), time.monotonic()
    sent: dict[str, tuple[float, str]] = {}
    senders = [s for s in senders if s.open]  # a lost one is seen in "held after"
    if not senders:
        raise RuntimeError("every sender lost its socket")
    for index in range(args.messages):
        sender = senders[index % len(senders)]
        assert sender.id is not None
        if kind == "chat":
            key = f"fan-out {time.monotonic_ns()} {index}"
            message: dict[str, Any] = {"type": "chat.send", "text": key}
        else:
            reactions_sent[sender.id] += 1
            key = f"{sender.id}#{reactions_sent[sender.id]}"
            message = {"type": "reaction", "reaction": "clap"}
        sent[key] = (time.monotonic(), sender.id)
        await sender.send(message)
        await asyncio.sleep(args.spacing)
    recipients = len(everyone) - 1
    expected = args.messages * recipients
    delays: list[float] = []
    last: dict[str, float] = {}
    deadline = time.monotonic() + 20
    while len(delays) < expected and time.monotonic() < deadline:
        await asyncio.sleep(0.5)
        arrivals: dict[str, list[Arrival]] = {s.id or "": s.take_arrivals() for s in senders}
        for answer in await asyncio.gather(*(w.ask("arrivals") for w in workers)):
            arrivals.update(answer)
        for recipient, seen in arrivals.items():
            for arrival_kind, key, at in seen:
                if arrival_kind != kind or key not in sent or recipient == sent[key][1]:
                    continue
                delay = at - sent[key][0]
                delays.append(delay)
                last[key] = max(last.get(key, 0.0), delay)
    busy = cpu_seconds(pid) - cpu_before - idle * (time.monotonic() - started)
    return FanOut(
        delays, list(last.values()), expected - len(delays), recipients, busy / args.messages
    )


async def leaving(
    server: RunningServer, workers: list[Worker], tagged: bool, remaining: int
) -> tuple[int, float]:
    """Close the big room's sockets (``tagged``) or the ramp's, held by the workers; answer how
    many left and the server CPU seconds each leave cost, until it is idle again."""
    pid = server.process.pid
    idle = await idle_rate(pid)
    cpu_before, started = cpu_seconds(pid), time.monotonic()
    left = sum(await asyncio.gather(*(w.ask("close", tagged) for w in workers)))
    deadline = started + 120
    previous = cpu_seconds(pid)
    while time.monotonic() < deadline:
        await asyncio.sleep(1)
        now = cpu_seconds(pid)
        quiet = now - previous < 2 * idle + 0.02
        previous = now
        if quiet and _participants(server) <= remaining:
            break
    busy = cpu_seconds(pid) - cpu_before - idle * (time.monotonic() - started)
    return left, busy / max(1, left)


def _participants(server: RunningServer) -> float:
    for line in server.metrics().splitlines():
        if line.startswith("visio_participants "):
            return float(line.split()[1])
    return math.inf


def big_room_plan(slug: str, people: int, per_address: int) -> list[tuple[str, str, str, bool]]:
    return [(slug, source_address(i // per_address), f"Big {i}", True) for i in range(people)]


def ramp_plans(
    slugs: list[str], room_size: int, first_index: int, per_address: int, workers: int
) -> list[list[tuple[str, str, str, bool]]]:
    """Rooms filled one after the other; room ``j`` is joined by worker ``j % workers``."""
    plans: list[list[tuple[str, str, str, bool]]] = [[] for _ in range(workers)]
    index = first_index
    for number, slug in enumerate(slugs):
        for seat in range(room_size):
            source = source_address(index // per_address)
            plans[number % workers].append((slug, source, f"Room {number} seat {seat}", False))
            index += 1
    return plans


def ms(value: float) -> str:
    return "-" if math.isnan(value) else f"{value * 1000:.1f}"


async def run(server: RunningServer, args: argparse.Namespace) -> dict[str, Any]:
    pid = server.process.pid
    figures: dict[str, Any] = {"load_before": os.getloadavg()}
    small_rooms = max(0, math.ceil((args.target - args.big_room) / args.room_size))
    refused: Counter[str] = Counter()
    figures["rooms_refused"] = refused
    slugs = await create_rooms(server, 1 + small_rooms, args.per_address, refused)
    big, small = slugs[0], slugs[1:]
    workers = [Worker(server.ws_base, not args.no_compression) for _ in range(args.workers)]
    senders: list[SyntheticParticipant] = []
    try:
        await asyncio.sleep(0.5)
        figures["rss_start"] = rss_mb(pid)

        # 1. The big room: SENDERS held here, the others spread over the workers.
        for number in range(SENDERS):
            sender = SyntheticParticipant(
                server.ws_base,
                big,
                source_address(number, SENDER_ADDRESSES),
                f"Sender {number}",
                tagged=True,
                compression=None if args.no_compression else "deflate",
            )
            await sender.join(args.join_timeout)
            senders.append(sender)
        # A few people per address: room for retries under the join limit (60 a minute).
        plan = big_room_plan(big, args.big_room - SENDERS, BIG_ROOM_PER_ADDRESS)
        shares = [plan[i :: len(workers)] for i in range(len(workers))]
        cpu_before = cpu_seconds(pid)
        big_joins = await ramp(server, workers, shares, args, retries=5, stop_early=False)
        figures["big_joins"] = big_joins
        ids = {s.id or "" for s in senders}
        for answer in await asyncio.gather(*(w.ask("arrivals") for w in workers)):
            ids.update(answer)
        figures["big_present"] = len(ids)
        await asyncio.sleep(1)
        figures["rss_big"] = rss_mb(pid)

        # 2. Fan-out in the big room alone.
        reactions: Counter[str] = Counter()
        figures["fan_out_alone"] = {
            kind: await fan_out(kind, server, senders, workers, ids, args, reactions)
            for kind in ("chat", "reaction")
        }

        # 3. The ramp.
        first = (args.big_room // BIG_ROOM_PER_ADDRESS + 1) * args.per_address
        plans = ramp_plans(small, args.room_size, first, args.per_address, len(workers))
        cpu_before = cpu_seconds(pid)
        figures["ramp"] = result = await ramp(server, workers, plans, args)
        figures["ramp_cpu"] = cpu_seconds(pid) - cpu_before
        await asyncio.sleep(1)
        figures["rss_ramp"] = rss_mb(pid)
        figures["held_ramp"] = result.held

        # 4. Fan-out with every socket of the ramp held.
        figures["fan_out_loaded"] = {
            kind: await fan_out(kind, server, senders, workers, ids, args, reactions)
            for kind in ("chat", "reaction")
        }

        # 5. Hold.
        await asyncio.sleep(args.hold)
        figures["held_after"] = await progress(workers, Joins()) + sum(1 for s in senders if s.open)
        figures["rss_held"] = rss_mb(pid)

        # 6. Leaving: the big room empties (but for the senders), then the rooms of 10.
        held_ramp = figures["held_after"] - figures["big_present"]
        figures["leave_big"] = await leaving(server, workers, True, held_ramp + SENDERS)
        figures["leave_small"] = await leaving(server, workers, False, SENDERS)
        figures["load_after"] = os.getloadavg()
        errors = [line for line in server.log().splitlines() if " ERROR " in line]
        figures["server_errors"] = (len(errors), errors[0][:300] if errors else "")
        del cpu_before
    finally:
        await asyncio.gather(*(s.close() for s in senders))
        for worker_ in workers:
            try:
                async with asyncio.timeout(60):
                    await worker_.ask("stop")
            except (TimeoutError, OSError, EOFError):
                pass
            worker_.kill()
    return figures


def report(figures: dict[str, Any], args: argparse.Namespace) -> str:
    big: Ramp = figures["big_joins"]
    ramp_: Ramp = figures["ramp"]
    big_people = figures["big_present"]
    ramp_joined = len(ramp_.joins.latencies)
    total = big_people + ramp_joined
    lines = [
        "| figure | value | goal |",
        "| --- | --- | --- |",
        f"| sockets joined and held (big room + ramp) | {total} of {args.target}"
        f" ({ramp_.held + SENDERS} open at the end of the ramp,"
        f" {figures['held_after']} after {args.hold:.0f} s more) | 10,000 |",
        f"| ramp: where it stopped | {ramp_.stopped}; failures {dict(ramp_.joins.failures) or 0}"
        f" | |",
        f"| ramp: join latency p50 / p99 | {ms(percentile(ramp_.joins.latencies, 0.5))} /"
        f" {ms(percentile(ramp_.joins.latencies, 0.99))} ms; asked {args.rate:g} joins/s, at"
        f" most {args.in_flight} under way: {ramp_joined / ramp_.seconds:.0f} joins/s"
        f" ({ramp_joined} joins in {ramp_.seconds:.0f} s) | |",
        f"| big room: join latency p50 / p99 | {ms(percentile(big.joins.latencies, 0.5))} /"
        f" {ms(percentile(big.joins.latencies, 0.99))} ms ({big_people} people) | |",
        f"| server CPU per join (ramp) | {figures['ramp_cpu'] / max(1, ramp_joined) * 1000:.2f}"
        f" ms | |",
        f"| server CPU per leave: big room / rooms of {args.room_size}"
        f" | {ms(figures['leave_big'][1])} / {ms(figures['leave_small'][1])} ms"
        f" ({figures['leave_big'][0]} / {figures['leave_small'][0]} leaves) | |",
    ]
    for label, key in (("big room alone", "fan_out_alone"), ("ramp held", "fan_out_loaded")):
        for kind, result in figures[key].items():
            lines.append(
                f"| fan-out {kind}, {label}: p50 / p99 per recipient; p99 until the last"
                f" | {ms(percentile(result.delays, 0.5))} / {ms(percentile(result.delays, 0.99))}"
                f" ms; {ms(percentile(result.last, 0.99))} ms ({len(result.last)} messages x"
                f" {result.recipients} recipients, {result.missing} missing; server CPU"
                f" {ms(result.server_cpu)} ms a message) | p99 ≤ 50 ms |"
            )
    per_big = (figures["rss_big"] - figures["rss_start"]) / max(1, big_people)
    per_ramp = (figures["rss_ramp"] - figures["rss_big"]) / max(1, ramp_joined)
    lines += [
        f"| server memory (RSS) start / big room / ramp / held | {figures['rss_start']:.0f} /"
        f" {figures['rss_big']:.0f} / {figures['rss_ramp']:.0f} / {figures['rss_held']:.0f} MB"
        " | |",
        f"| server memory per participant: big room / rooms of {args.room_size}"
        f" | {per_big * 1024:.0f} / {per_ramp * 1024:.0f} kB | |",
        f"| room creations answered 5xx or dropped (tried again) / server log ERROR lines"
        f" | {dict(figures['rooms_refused']) or 0} / {figures['server_errors'][0]}"
        f" {figures['server_errors'][1]} | 0 / 0 |",
        f"| machine load (1-min average) before / after | {figures['load_before'][0]:.2f} /"
        f" {figures['load_after'][0]:.2f} ({os.cpu_count()} cores) | |",
    ]
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", type=int, default=10_000, help="sockets in all")
    parser.add_argument("--big-room", type=int, default=300)
    parser.add_argument("--room-size", type=int, default=10)
    parser.add_argument("--rate", type=float, default=100, help="new sockets a second, in all")
    parser.add_argument(
        "--in-flight",
        type=int,
        default=1600,
        help="joins under way at once, in all: lower it to ramp as fast as the server answers",
    )
    parser.add_argument("--workers", type=int, default=4, help="client processes")
    parser.add_argument("--per-address", type=int, default=50, help="sockets per client address")
    parser.add_argument("--messages", type=int, default=100, help="per kind and phase")
    parser.add_argument("--spacing", type=float, default=0.15, help="seconds between messages")
    parser.add_argument("--join-timeout", type=float, default=20.0)
    parser.add_argument("--max-join-p99", type=float, default=5.0)
    parser.add_argument("--max-rss-mb", type=float, default=8000)
    parser.add_argument("--hold", type=float, default=15.0)
    parser.add_argument("--no-compression", action="store_true", help="no permessage-deflate")
    args = parser.parse_args(argv)
    if args.big_room <= SENDERS:
        parser.error(f"--big-room must be over {SENDERS}")
    if not 1 <= args.per_address <= 60:
        parser.error("--per-address must be 1 to 60 (the default join limit per address)")
    return args


def measure(args: argparse.Namespace) -> dict[str, Any]:
    """Start a server, run every phase against it, and return the figures."""
    if not in_media_namespace():
        raise SystemExit("run inside scripts/in-netns (the clients bind 127.x.y.z addresses)")
    worker.raise_descriptor_limit()
    with tempfile.TemporaryDirectory() as folder:
        server = start_server(
            Path(folder) / "visio",
            room_max_participants=str(max(args.big_room, args.room_size)),
            # start_server lifts these for tests that come from 127.0.0.1; here: the defaults.
            rate_limit_joins_per_minute="60",
            rate_limit_room_creation_per_minute="60",
        )
        try:
            return asyncio.run(run(server, args))
        except BaseException:
            print(f"server log (last lines):\n{server.log()[-3000:]}", flush=True)
            raise
        finally:
            server.stop()


def main() -> None:
    args = parse_args()
    figures = measure(args)
    print()
    print(report(figures, args), flush=True)


if __name__ == "__main__":
    main()
