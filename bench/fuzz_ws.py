"""Fuzz the room WebSocket: thousands of malformed frames against a real server, counted by reply.

Run inside the media network namespace (as root), on SQLite and on PostgreSQL:

    scripts/in-netns .venv/bin/python -m bench.fuzz_ws [--frames 10000] [--seed 7] [--postgres]

It starts its own `visio serve` (rate limits raised so that every frame is parsed, not refused
for speed), sends frames built from a seeded generator (broken JSON, wrong types, unknown fields,
every message type with hostile values, arbitrary Unicode with lone surrogates, 5,000-digit
integers, deep nesting, huge frames), joined and not joined, and prints how many replies of each
kind came back. Goal: no ``internal`` error, the server still serves a normal join afterwards.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.postgres import throwaway_postgres
from tests.support import VISIO, RunningServer, start_server
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

TYPES = [
    "join", "publish", "subscriber.answer", "trickle", "media.state", "hand", "ice.restart",
    "captions.set", "moderate", "room.lock", "lobby.admit", "lobby.deny", "ping", "chat", "",
    "JOIN",
]  # fmt: skip
"""Every type but ``leave`` and ``room.end``, which close the socket and would end a batch early."""
FIELDS = [
    "id", "version", "name", "audio", "video", "invitation", "sdp", "tracks", "target",
    "candidate", "raised", "enabled", "language", "action", "participant_id", "locked",
    "waiting_id", "all", "mid", "source", "type",
]  # fmt: skip


class FrameMaker:
    """Malformed and hostile frames, reproducible from a seed."""

    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)

    def text(self) -> str:
        pick = self.random.random()
        if pick < 0.2:
            return "".join(chr(self.random.choice([0xD800, 0xDFFF, 0xDBFF])) for _ in range(3))
        if pick < 0.3:
            return "\x00" + "a" * self.random.randint(0, 10)
        if pick < 0.4:
            return "\u202e\u200bname\ufeff"
        length = self.random.randint(0, 80)
        return "".join(chr(self.random.randint(1, 0x10FFFF)) for _ in range(length))

    def value(self, depth: int = 0) -> Any:
        pick = self.random.random()
        if depth > 2 or pick < 0.25:
            return self.text()
        if pick < 0.35:
            return self.random.choice([True, False, None])
        if pick < 0.45:
            return self.random.choice([0, -1, 2**53 + 1, 2**64, 1.5, float("inf")])
        if pick < 0.55:
            return [self.value(depth + 1) for _ in range(self.random.randint(0, 3))]
        if pick < 0.65:
            return {self.text(): self.value(depth + 1) for _ in range(self.random.randint(0, 3))}
        if pick < 0.75:
            return "v=0\r\n" + self.text()
        return self.random.choice(["publisher", "subscriber", "fr", "mute", "remove", "all"])

    def message(self) -> dict[str, Any]:
        message: dict[str, Any] = {"type": self.random.choice(TYPES)}
        for field in self.random.sample(FIELDS, self.random.randint(0, 6)):
            message[field] = self.value()
        return message

    def frame(self) -> str | bytes:
        pick = self.random.random()
        if pick < 0.05:
            return '{"type": "ping", "id": ' + "9" * self.random.randint(4301, 6000) + "}"
        if pick < 0.08:
            depth = self.random.randint(100, 5000)
            return "[" * depth + "]" * depth
        if pick < 0.10:
            return json.dumps({"type": "ping", "id": "x" * self.random.randint(65_536, 200_000)})
        if pick < 0.13:
            return bytes(self.random.getrandbits(8) for _ in range(self.random.randint(1, 64)))
        if pick < 0.20:
            return json.dumps(self.message())[: self.random.randint(0, 60)]  # cut short
        try:
            return json.dumps(self.message(), ensure_ascii=True)
        except ValueError:  # inf in strict JSON: send it anyway, as a client could
            return json.dumps(self.message(), ensure_ascii=True, allow_nan=True)


@contextlib.contextmanager
def fuzz_server(postgres: bool) -> Iterator[RunningServer]:
    with tempfile.TemporaryDirectory() as folder, contextlib.ExitStack() as stack:
        settings = {
            "protocol_rate_per_second": "10000",
            "protocol_rate_burst": "100000",
        }
        if postgres:
            url = stack.enter_context(throwaway_postgres())
            settings["database_url"] = url
            subprocess.run(  # an external database is migrated by the operator: `visio migrate`
                [str(VISIO), "migrate"], env={**os.environ, "VISIO_DATABASE_URL": url}, check=True
            )
        server = start_server(Path(folder) / "visio", **settings)
        try:
            yield server
        finally:
            server.stop()


def drain(ws: ClientConnection, counts: collections.Counter[str]) -> bool:
    """Read the replies to what was sent (a ping marks the end); False when the socket closed."""
    ws.send(json.dumps({"type": "ping", "id": "drain"}))
    try:
        while True:
            reply = json.loads(ws.recv(timeout=30))
            if reply.get("type") == "pong" and reply.get("reply_to") == "drain":
                return True
            counts[reply.get("code", reply["type"])] += 1
    except ConnectionClosed as closed:
        counts[f"closed:{closed.rcvd.code if closed.rcvd else 'none'}"] += 1
        return False


def fuzz(server: RunningServer, frames: int, seed: int) -> collections.Counter[str]:
    maker = FrameMaker(seed)
    counts: collections.Counter[str] = collections.Counter()
    slug = server.create_room()
    url = f"{server.ws_base}/api/v1/rooms/{slug}/ws"
    sent = 0
    while sent < frames:
        with connect(url, max_size=2**24) as ws:
            if maker.random.random() < 0.5:  # half the time as a participant, half not joined
                ws.send(json.dumps({"type": "join", "version": 1, "name": "Fuzz",
                                    "audio": False, "video": False}))  # fmt: skip
            batch = min(50, frames - sent)
            for _ in range(batch):
                ws.send(maker.frame())
            sent += batch
            drain(ws, counts)
    with connect(url) as ws:  # the room still lets a normal person in
        ws.send(json.dumps({"type": "join", "id": "last", "version": 1, "name": "After",
                            "audio": True, "video": True}))  # fmt: skip
        while (reply := json.loads(ws.recv(timeout=10)))["type"] != "joined":
            assert reply["type"] != "error", reply
    counts["frames sent"] = sent
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite")
    args = parser.parse_args()
    database = "PostgreSQL" if args.postgres else "SQLite"
    started = time.monotonic()
    with fuzz_server(args.postgres) as server:
        counts = fuzz(server, args.frames, args.seed)
        log = server.log()
    elapsed = time.monotonic() - started
    print(f"room WebSocket fuzz on {database}: {counts['frames sent']} frames, seed {args.seed}, "
          f"{elapsed:.0f} s")  # fmt: skip
    for name, count in sorted(counts.items(), key=lambda item: -item[1]):
        if name != "frames sent":
            print(f"  {name:24} {count}")
    tracebacks = log.count("Traceback")
    print(f"  internal errors: {counts['internal']}; tracebacks in the server log: {tracebacks}")
    return 1 if counts["internal"] or tracebacks else 0


if __name__ == "__main__":
    sys.exit(main())
