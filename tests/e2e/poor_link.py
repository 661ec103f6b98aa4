"""One browser on a poor link (loss, round trip, bandwidth), and the link restored, inside the
test network namespace; the other browsers are untouched. How: `tests/e2e/link_emulator.py`.

    with PoorLink(tmp_path) as link:
        browser = chromium.launch(executable_path=str(link.launcher), ...)
        link.apply(PROFILES["lossy"])    # from now on
        link.restore()                   # a clean link again
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import IO, Any

from playwright.sync_api import Browser

from tests.e2e.browser import MEDIA_ARGS, Participants
from tests.e2e.network_cut import NetworkCut

PROFILES: dict[str, dict[str, float]] = {
    "clean": {},
    "2% loss, 100 ms": {"loss": 0.02, "rtt_ms": 100},
    "5% loss, 300 ms, 500 kbit/s": {"loss": 0.05, "rtt_ms": 300, "rate_kbps": 500},
    "1 Mbit/s": {"rate_kbps": 1000},
}
"""The profiles of issue 11 (`rtt_ms` is the round trip added, half each way)."""

_serial = itertools.count(1)
MARK_BASE = 0x7600
"""Marks (and routing tables) used: base + 2n + 1 for the browser's packets, + 2 for replies."""


def _run(*command: str) -> None:
    subprocess.run(command, check=True, capture_output=True, text=True)


def _sysctl(name: str, value: str) -> None:
    Path("/proc/sys", *name.split(".")).write_text(value)


class PoorLink(NetworkCut):
    """A cgroup (the `launcher` runs Chromium inside it) whose UDP goes through the emulator."""

    def __init__(self, folder: Path) -> None:
        super().__init__(folder)
        n = next(_serial)
        self._up_mark = MARK_BASE + 2 * n - 1
        self._down_mark = MARK_BASE + 2 * n
        self._devices = (f"vlink{n}up", f"vlink{n}down")
        self._link_table = f"visio_link_{os.getpid()}_{n}"
        self._local_moved = False
        self._emulator = subprocess.Popen(
            [sys.executable, "-m", "tests.e2e.link_emulator", *self._devices],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            if self._reply() != "ready":
                raise RuntimeError("the link emulator did not start")
            self._route()
        except BaseException:
            self.close()
            raise

    def _route(self) -> None:
        for device, mark in zip(self._devices, (self._up_mark, self._down_mark), strict=True):
            _run("ip", "link", "set", device, "up")
            _sysctl(f"net/ipv6/conf/{device}/disable_ipv6", "1")
            # Packets written back arrive from a local address, on a device that is not lo.
            for key, value in (("rp_filter", "0"), ("accept_local", "1"), ("route_localnet", "1")):
                _sysctl(f"net/ipv4/conf/{device}/{key}", value)
            _run("ip", "route", "replace", "default", "dev", device, "table", str(mark))
            _run("ip", "rule", "add", "pref", "10", "fwmark", hex(mark), "lookup", str(mark))
        _sysctl("net/ipv4/conf/all/rp_filter", "0")
        # The local table is looked up first (pref 0): move it after the two rules above.
        rules = subprocess.run(["ip", "rule", "show"], check=True, capture_output=True, text=True)
        if any(
            line.startswith("0:") and "lookup local" in line for line in rules.stdout.splitlines()
        ):
            _run("ip", "rule", "add", "pref", "100", "lookup", "local")
            _run("ip", "rule", "del", "pref", "0", "lookup", "local")
            self._local_moved = True

    def _reply(self) -> str:
        stdout = self._emulator.stdout
        assert stdout is not None
        return stdout.readline().strip()

    def _ask(self, request: dict[str, Any]) -> dict[str, Any]:
        stdin: IO[str] | None = self._emulator.stdin
        assert stdin is not None
        stdin.write(json.dumps(request) + "\n")
        stdin.flush()
        reply: dict[str, Any] = json.loads(self._reply())
        if "error" in reply:
            raise ValueError(reply["error"])
        return reply

    def apply(self, profile: dict[str, float]) -> None:
        """From now on, the browser's UDP (both ways) goes through a link with this profile."""
        self._ask(profile)
        match = f'socket cgroupv2 level 1 "{self._nft_path}"'
        up, down = hex(self._up_mark), hex(self._down_mark)
        ruleset = (
            f"table inet {self._link_table} {{\n"
            "  chain out {\n"
            "    type route hook output priority mangle;\n"
            f"    meta l4proto udp {match} meta mark set {up} ct mark set {up} accept\n"
            f"    meta l4proto udp ct mark {up} meta mark set {down}\n"
            "  }\n"
            "}\n"
        )
        if self.active:
            _run("nft", "delete", "table", "inet", self._link_table)
        subprocess.run(["nft", "-f", "-"], input=ruleset, text=True, check=True)
        self.active = True

    def restore(self) -> None:
        """A clean link: the browser's packets go directly again."""
        if self.active:
            _run("nft", "delete", "table", "inet", self._link_table)
            self.active = False

    def stats(self) -> dict[str, dict[str, int]]:
        """Packets forwarded, lost and dropped by the full buffer, each way, so far."""
        reply = self._ask({"stats": True})
        return {"up": reply["up"], "down": reply["down"]}

    def close(self) -> None:
        self.restore()
        for mark in (self._up_mark, self._down_mark):
            subprocess.run(
                ["ip", "rule", "del", "pref", "10", "fwmark", hex(mark)], capture_output=True
            )
        if self._local_moved:
            subprocess.run(
                ["ip", "rule", "add", "pref", "0", "lookup", "local"], capture_output=True
            )
            subprocess.run(
                ["ip", "rule", "del", "pref", "100", "lookup", "local"], capture_output=True
            )
        if self._emulator.poll() is None:
            self._emulator.kill()
            self._emulator.wait()
        for pipe in (self._emulator.stdin, self._emulator.stdout):
            if pipe is not None:
                pipe.close()
        super().close()


LINK_STATS_JS = """async () => {
  const session = window.visio?.session;
  const totals = {at: performance.now(), video: {bytes: 0, frames: 0, width: 0, freezes: 0, freezeCount: 0},
                  audio: {concealed: 0, samples: 0, lost: 0, received: 0},
                  sent: {videoBytes: 0, limited: [], available: null}};
  const sub = session?.subscriber;
  if (sub) (await sub.getStats()).forEach(s => {
    if (s.type !== 'inbound-rtp') return;
    if (s.kind === 'video') {
      totals.video.bytes += s.bytesReceived || 0; totals.video.frames += s.framesDecoded || 0;
      totals.video.width = Math.max(totals.video.width, s.frameWidth || 0);
      totals.video.freezes += s.totalFreezesDuration || 0; totals.video.freezeCount += s.freezeCount || 0;
    } else if (s.kind === 'audio') {
      totals.audio.concealed += s.concealedSamples || 0; totals.audio.samples += s.totalSamplesReceived || 0;
      totals.audio.lost += s.packetsLost || 0; totals.audio.received += s.packetsReceived || 0;
    }
  });
  const pub = session?.publisher;
  if (pub) {
    const stats = [...(await pub.getStats()).values()];
    const byId = new Map(stats.map(s => [s.id, s]));
    for (const s of stats) {
      if (s.type === 'outbound-rtp' && s.kind === 'video') {
        totals.sent.videoBytes += s.bytesSent || 0;
        if (s.qualityLimitationReason && s.qualityLimitationReason !== 'none') totals.sent.limited.push(`${s.rid}:${s.qualityLimitationReason}`);
      }
      if (s.type === 'transport' && s.selectedCandidatePairId) {
        totals.sent.available = byId.get(s.selectedCandidatePairId)?.availableOutgoingBitrate ?? null;
      }
    }
  }
  return totals;
}"""
"""Cumulative counters of a page: video received (bytes, frames, widest frame, seconds frozen),
audio received (concealed and total samples), video sent and what limits it."""


def concealed_ratio(before: dict[str, Any], after: dict[str, Any]) -> float:
    """The share of audio samples played out that were concealed (made up for lost packets)."""
    samples = after["audio"]["samples"] - before["audio"]["samples"]
    concealed = after["audio"]["concealed"] - before["audio"]["concealed"]
    return concealed / samples if samples > 0 else 1.0


class PoorLinkParticipants(Participants):
    """Participants (sharing ``base``'s Playwright and tones) where the people named in ``poor``
    run their Chromium on ``link``."""

    def __init__(self, base: Participants, link: PoorLink, poor: set[str]) -> None:
        super().__init__(base._playwright, base._tones)
        self._link = link
        self._poor = poor

    def launch(self, name: str, args: list[str] | None = None) -> Browser:
        if name not in self._poor:
            return super().launch(name, args)
        return self._playwright.chromium.launch(
            executable_path=str(self._link.launcher),
            args=[*MEDIA_ARGS, f"--use-file-for-fake-audio-capture={self._tones[name.lower()]}"],
        )
