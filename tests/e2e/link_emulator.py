"""A poor link for one browser: loss, delay and a bandwidth bottleneck on its UDP traffic, both
ways, inside the test network namespace; what `tc netem` does, for a kernel without it.

This machine's kernel (and CI's, the same kind) has no `sch_netem` (nor `prio`, `fq` or the `fw`
classifier), so the impairment is done in user space, on two TUN devices:

- the browser runs in the cgroup of `network_cut.NetworkCut`; an nftables `route` chain marks its
  UDP packets (and their conntrack entry), and marks the packets of those flows that others send
  back to it (Janus's, coturn's) with a second mark;
- policy routing sends each mark to its TUN device (`up`, `down`); the lookup of the `local`
  table moves after those two rules so that marked packets to local addresses reach them;
- this module's process (`python -m tests.e2e.link_emulator UP DOWN`) reads each packet from a
  TUN, drops it with the loss probability, queues it behind the bottleneck (serialised at the
  rate, tail-dropped past `queue_ms` of backlog, as a link's buffer), holds it for the one-way
  delay and writes it back into the same TUN, where the kernel receives it as arriving on that
  interface and delivers it to its socket.

TCP (the page, the room's WebSocket) is left alone: the impairment is on the media. The profile
changes at run time (one JSON line on the process's standard input; `{}` is a clean link), and
`{"stats": true}` prints the counts forwarded and dropped each way.
"""

from __future__ import annotations

import fcntl
import json
import os
import random
import struct
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000


@dataclass(frozen=True)
class Impairment:
    """One direction's impairment (netem's loss, delay and rate)."""

    loss: float = 0.0
    """Probability that a packet is dropped, 0 to 1."""
    delay_ms: float = 0.0
    """One-way delay added to every packet (half the round trip added)."""
    rate_kbps: float = 0.0
    """The bottleneck's rate; 0 for none."""
    queue_ms: float = 500.0
    """The bottleneck's buffer: a packet that would wait longer than this is dropped."""

    def __post_init__(self) -> None:
        if not 0 <= self.loss <= 1:
            raise ValueError(f"loss must be between 0 and 1, not {self.loss}")
        if self.delay_ms < 0 or self.rate_kbps < 0 or self.queue_ms <= 0:
            raise ValueError(f"delay, rate and queue must be positive: {self}")


@dataclass
class Direction:
    """Packets read from one TUN, impaired, and written back into it."""

    fd: int
    impairment: Impairment = field(default_factory=Impairment)
    forwarded: int = 0
    lost: int = 0
    overflowed: int = 0
    _queue: deque[tuple[float, bytes]] = field(default_factory=deque)
    _link_free_at: float = 0.0
    _ready: threading.Condition = field(default_factory=threading.Condition)
    _random: random.Random = field(default_factory=lambda: random.Random(7))

    def start(self) -> None:
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._write, daemon=True).start()

    def _read(self) -> None:
        while True:
            packet = os.read(self.fd, 65536)
            now = time.monotonic()
            with self._ready:
                impairment = self.impairment
                if impairment.loss and self._random.random() < impairment.loss:
                    self.lost += 1
                    continue
                departure = now
                if impairment.rate_kbps:
                    start = max(now, self._link_free_at)
                    if start - now > impairment.queue_ms / 1000:
                        self.overflowed += 1
                        continue
                    self._link_free_at = start + len(packet) * 8 / (impairment.rate_kbps * 1000)
                    departure = self._link_free_at
                due = departure + impairment.delay_ms / 1000
                # Never reorder: a later packet leaves after an earlier one (as netem with rate).
                if self._queue and due < self._queue[-1][0]:
                    due = self._queue[-1][0]
                self._queue.append((due, packet))
                self._ready.notify()

    def _write(self) -> None:
        while True:
            with self._ready:
                while not self._queue:
                    self._ready.wait()
                due, packet = self._queue[0]
                wait = due - time.monotonic()
                if wait > 0:
                    self._ready.wait(wait)
                    continue
                self._queue.popleft()
            os.write(self.fd, packet)
            self.forwarded += 1

    def set(self, impairment: Impairment) -> None:
        with self._ready:
            self.impairment = impairment
            self._link_free_at = 0.0

    def counts(self) -> dict[str, int]:
        return {"forwarded": self.forwarded, "lost": self.lost, "overflowed": self.overflowed}


def open_tun(name: str) -> int:
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    return fd


def parse_profile(line: str) -> tuple[Impairment, Impairment]:
    """`{"loss": 0.05, "rtt_ms": 300, "rate_kbps": 500}`: the same each way, half the round trip
    each way; `{}` is a clean link. Unknown keys are refused."""
    profile = json.loads(line)
    if not isinstance(profile, dict):
        raise ValueError("a profile is a JSON object")
    unknown = set(profile) - {"loss", "rtt_ms", "rate_kbps", "queue_ms"}
    if unknown:
        raise ValueError(f"unknown profile keys: {sorted(unknown)}")
    each_way = Impairment(
        loss=float(profile.get("loss", 0)),
        delay_ms=float(profile.get("rtt_ms", 0)) / 2,
        rate_kbps=float(profile.get("rate_kbps", 0)),
        queue_ms=float(profile.get("queue_ms", 500)),
    )
    return each_way, each_way


def main() -> None:
    up_name, down_name = sys.argv[1:3]
    up = Direction(open_tun(up_name))
    down = Direction(open_tun(down_name))
    up.start()
    down.start()
    print("ready", flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        if request == {"stats": True}:
            print(json.dumps({"up": up.counts(), "down": down.counts()}), flush=True)
            continue
        try:
            upward, downward = parse_profile(line)
        except ValueError as error:
            print(json.dumps({"error": str(error)}), flush=True)
            continue
        up.set(upward)
        down.set(downward)
        print(json.dumps({"ok": True}), flush=True)


if __name__ == "__main__":
    main()
