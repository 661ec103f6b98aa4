"""Janus's CPU per forwarded stream, with synthetic WebRTC participants (no browser).

    scripts/in-netns .venv/bin/python -m bench.janus_forwarding [--seconds 15] [--only NAME ...]

Publishers send a pre-encoded clip (VP8 640x360 30 fps at about 500 kbit/s, Opus at 32 kbit/s,
made once with ffmpeg at start) in a loop, without encoding; subscribers receive without
decoding (packets counted by the RTP session and dropped). Both are GStreamer ``webrtcbin``
peers in one process run by Debian's Python (bench/media_clients/gst_peers.py). They talk to
Janus's VideoRoom API directly through Visio's own Janus client (visio.media.janus), as the app
server does; the figure is Janus's cost, which the room protocol in front does not change.

For each configuration, side by side in one run, over a steady window: Janus's CPU (utime +
stime from /proc, as % of one core), streams forwarded (video and audio apart), bitrate into
and out of Janus, packets lost as the subscribers see them, and the load generator's own CPU
(it shares the cores). "Streams per core" is forwarded streams ÷ Janus's share of one core.
Simulcast is off: each subscriber gets the publisher's single ~500 kbit/s encoding.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support import free_port

from visio.media.engine import MediaEngine
from visio.media.janus.client import JanusError, PluginEvent
from visio.media.janus.config import janus_command, write_janus_config
from visio.media.janus.publisher import TrackDescription, VideoRoomPublisher
from visio.media.janus.subscriber import Feed, VideoRoomSubscriber
from visio.media.janus.videoroom import VideoRoomAdmin, VideoRoomHandle
from visio.settings import load_settings
from visio.supervision import SupervisedProcess

PEERS_SCRIPT = Path(__file__).parent / "media_clients" / "gst_peers.py"
SYSTEM_PYTHON = "/usr/bin/python3"  # has PyGObject (python3-gi); the project's venv does not
TICKS = os.sysconf("SC_CLK_TCK")
KINDS = ("video", "audio")


@dataclass(frozen=True)
class Configuration:
    name: str
    publishers: int
    subscribers: int
    video: bool = True
    audio: bool = False

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(k for k in KINDS if getattr(self, k))

    def forwarded(self, kind: str) -> int:
        return self.publishers * self.subscribers if getattr(self, kind) else 0


CONFIGURATIONS = [
    Configuration("video 1→10", 1, 10),
    Configuration("video 1→20", 1, 20),
    Configuration("video 1→40", 1, 40),
    Configuration("video 4x8", 4, 8),
    Configuration("audio 1→40", 1, 40, video=False, audio=True),
    Configuration("audio 4x8", 4, 8, video=False, audio=True),
    Configuration("audio+video 4x8", 4, 8, video=True, audio=True),
]


def make_clips(folder: Path, seconds: float) -> dict[str, Path]:
    """Encode the clips once (ffmpeg): the only encoding in the whole benchmark."""
    video, audio = folder / "video.webm", folder / "audio.webm"
    quiet = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi"]
    # Noise keeps the encoder at its target bitrate, as a camera picture would.
    subprocess.run(
        [*quiet, "-i", "testsrc2=size=640x360:rate=30,noise=alls=12:allf=t", "-t", str(seconds),
         "-c:v", "libvpx", "-b:v", "500k", "-minrate", "500k", "-maxrate", "500k",
         "-bufsize", "250k", "-deadline", "realtime", "-cpu-used", "8", "-g", "60",
         "-auto-alt-ref", "0", str(video)],
        check=True,
    )  # fmt: skip
    subprocess.run(
        [*quiet, "-i", "sine=frequency=440:sample_rate=48000", "-t", str(seconds),
         "-c:a", "libopus", "-b:a", "32k", "-frame_duration", "20", str(audio)],
        check=True,
    )  # fmt: skip
    return {"video": video, "audio": audio}


def use_event_loops(config: Path, loops: int) -> None:
    """Janus's ``event_loops``: a fixed pool of loop threads shared by every PeerConnection,
    instead of one thread per PeerConnection (Visio's configuration leaves Janus's default)."""
    text = config.read_text(encoding="utf-8")
    config.write_text(
        text.replace("general: {", f"general: {{\n\tevent_loops = {loops}", 1), encoding="utf-8"
    )


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (all its threads), in seconds."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as file:
        fields = file.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def machine_jiffies() -> tuple[int, int, int]:
    """(busy, stolen by the hypervisor, total) jiffies of the whole machine, all cores."""
    with open("/proc/stat", encoding="ascii") as file:
        values = [int(v) for v in file.readline().split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, values[7], sum(values)


class GstPeers:
    """The process that hosts every synthetic participant (see gst_peers.py for its protocol)."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self._waiting: dict[tuple[str | None, str], asyncio.Future[dict[str, Any]]] = {}
        self._reader = asyncio.create_task(self._read())
        self.errors: list[str] = []

    @classmethod
    async def start(cls, log: Path) -> GstPeers:
        with log.open("wb") as stderr:
            process = await asyncio.create_subprocess_exec(
                SYSTEM_PYTHON, str(PEERS_SCRIPT),
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=stderr,
                limit=16 * 1024 * 1024,
            )  # fmt: skip
        peers = cls(process)
        await peers.expect(None, "ready", 30)
        return peers

    @property
    def pid(self) -> int:
        return self.process.pid

    async def _read(self) -> None:
        assert self.process.stdout is not None
        async for line in self.process.stdout:
            message = json.loads(line)
            key = (message.get("peer"), message["event"])
            if message["event"] == "error":
                self.errors.append(f"{message.get('peer')}: {message.get('message')}")
            future = self._waiting.pop(key, None)
            if future is not None and not future.done():
                future.set_result(message)
        for future in self._waiting.values():
            if not future.done():
                future.set_exception(RuntimeError("the GStreamer peers process exited"))

    def _expect(self, peer: str | None, event: str) -> asyncio.Future[dict[str, Any]]:
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[(peer, event)] = future
        return future

    async def expect(self, peer: str | None, event: str, timeout: float) -> dict[str, Any]:
        future = self._waiting.get((peer, event)) or self._expect(peer, event)
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            self.process.send_signal(signal.SIGUSR1)  # the peers write their stacks to the log
            await asyncio.sleep(1)
            raise RuntimeError(f"no {event} from {peer} ({'; '.join(self.errors)})") from None

    async def send(self, command: dict[str, Any], reply: str | None = None) -> dict[str, Any]:
        assert self.process.stdin is not None
        future = self._expect(command.get("peer"), reply) if reply else None
        self.process.stdin.write(json.dumps(command).encode() + b"\n")
        await self.process.stdin.drain()
        return await self.expect(command.get("peer"), reply, 60) if future and reply else {}

    async def stats(self) -> dict[str, dict[str, dict[str, int]]]:
        reply = await self.send({"cmd": "stats"}, "stats")
        peers: dict[str, dict[str, dict[str, int]]] = reply["peers"]
        return peers

    async def stop(self) -> None:
        with contextlib.suppress(ConnectionError):
            await self.send({"cmd": "quit"})
        try:
            await asyncio.wait_for(self.process.wait(), 10)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
        self._reader.cancel()


def trickle_to(peers: GstPeers, name: str, up: asyncio.Event | None = None) -> Any:
    """Janus's trickled candidates for one handle go to the matching peer; ``up`` is set once
    its PeerConnection is up (DTLS done)."""

    async def listener(event: PluginEvent) -> None:
        if event.kind == "webrtcup" and up is not None:
            up.set()
        if event.kind != "trickle":
            return
        candidate = event.data.get("candidate") or {}
        if candidate.get("candidate"):
            await peers.send(
                {"cmd": "candidate", "peer": name, "mline": candidate.get("sdpMLineIndex", 0),
                 "candidate": candidate["candidate"]}
            )  # fmt: skip

    return listener


def mids(sdp: str) -> dict[str, str]:
    """kind → mid of each m-line of an offer."""
    found: dict[str, str] = {}
    for section in sdp.split("m=")[1:]:
        mid = re.search(r"^a=mid:(\S+)", section, re.MULTILINE)
        if mid:
            found[section.split(" ", 1)[0]] = mid.group(1)
    return found


@dataclass
class Room:
    """A VideoRoom with its synthetic participants."""

    room_id: int
    handles: list[VideoRoomHandle] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    feeds: list[Feed] = field(default_factory=list)


@contextlib.asynccontextmanager
async def populated(
    engine: MediaEngine, peers: GstPeers, config: Configuration, clips: dict[str, Path]
) -> AsyncIterator[Room]:
    admin = VideoRoomAdmin(engine)
    room = Room(secrets.randbelow(2**40) + 1)
    await admin.create_room(room.room_id, f"bench {config.name}", config.publishers + 1)
    try:
        for n in range(config.publishers):
            name = f"{room.room_id}-p{n}"
            room.names.append(name)
            offer = await peers.send(
                {"cmd": "publish", "peer": name, **{k: str(clips[k]) for k in config.kinds}},
                "offer",
            )
            tracks = [TrackDescription(mid, kind) for kind, mid in mids(offer["sdp"]).items()]
            feed_id = 1000 + n
            up = asyncio.Event()
            publisher, answer = await VideoRoomPublisher.join(
                engine.session, room.room_id, feed_id, name, tracks, offer["sdp"],
                trickle_to(peers, name, up),
            )  # fmt: skip
            room.handles.append(publisher)
            await peers.send({"cmd": "answer", "peer": name, "sdp": answer})
            await publisher.trickle(None)  # every candidate was in the offer
            await asyncio.wait_for(up.wait(), 20)  # Janus offers only feeds that are up
            room.feeds += [(feed_id, t.mid) for t in tracks]

        async def subscribe(n: int) -> None:
            name = f"{room.room_id}-s{n}"
            room.names.append(name)
            subscriber, update = await VideoRoomSubscriber.join(
                engine.session, room.room_id, room.feeds, trickle_to(peers, name)
            )
            room.handles.append(subscriber)
            if update.offer is None:
                raise JanusError(0, "no offer for a subscriber")
            answer = await peers.send(
                {"cmd": "subscribe", "peer": name, "sdp": update.offer.sdp}, "answer"
            )
            await subscriber.start(answer["sdp"])
            await subscriber.trickle(None)

        # Join subscribers a few at a time, as people trickle into a meeting.
        for first in range(0, config.subscribers, 8):
            await asyncio.gather(
                *(subscribe(n) for n in range(first, min(first + 8, config.subscribers)))
            )
        yield room
    finally:
        for handle in room.handles:
            with contextlib.suppress(JanusError):
                await handle.detach()
        for name in room.names:
            await peers.send({"cmd": "close", "peer": name}, "closed")
        with contextlib.suppress(JanusError):
            await admin.destroy_room(room.room_id)


@dataclass(frozen=True)
class Sample:
    at: float
    janus: float
    peers: float
    machine: tuple[int, int, int]
    stats: dict[str, dict[str, dict[str, int]]]


async def sample(janus_pid: int, peers: GstPeers) -> Sample:
    stats = await peers.stats()
    return Sample(
        time.monotonic(), cpu_seconds(janus_pid), cpu_seconds(peers.pid), machine_jiffies(), stats
    )


def counter(sample: Sample, names: list[str], direction: str, kind: str, key: str) -> int:
    return sum(sample.stats.get(n, {}).get(f"{direction}_{kind}", {}).get(key, 0) for n in names)


def flowing(before: Sample, after: Sample, names: list[str], kind: str) -> int:
    """Subscriber streams of ``kind`` that received packets between the two samples."""
    streams = 0
    for name in names:
        a = after.stats.get(name, {}).get(f"received_{kind}", {})
        b = before.stats.get(name, {}).get(f"received_{kind}", {})
        if a.get("packets", 0) > b.get("packets", 0):
            streams += a.get("streams", 0)
    return streams


async def wait_flowing(
    janus_pid: int, peers: GstPeers, config: Configuration, room: Room, timeout: float
) -> None:
    """Until every subscriber receives every stream (or fail, naming what is missing)."""
    subscribers = [n for n in room.names if "-s" in n]
    deadline = time.monotonic() + timeout
    before = await sample(janus_pid, peers)
    while True:
        await asyncio.sleep(0.5)
        after = await sample(janus_pid, peers)
        missing = {
            kind: config.forwarded(kind) - flowing(before, after, subscribers, kind)
            for kind in config.kinds
        }
        if not any(missing.values()):
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"{config.name}: streams not flowing after {timeout} s: {missing}")
        before = after


async def measure(
    janus_pid: int,
    peers: GstPeers,
    engine: MediaEngine,
    config: Configuration,
    clips: dict[str, Path],
    seconds: float,
    warmup: float,
) -> dict[str, Any]:
    async with populated(engine, peers, config, clips) as room:
        await wait_flowing(janus_pid, peers, config, room, 30)
        await asyncio.sleep(warmup)
        before = await sample(janus_pid, peers)
        await asyncio.sleep(seconds)
        after = await sample(janus_pid, peers)
    return figures(config, room, before, after)


def figures(config: Configuration, room: Room, before: Sample, after: Sample) -> dict[str, Any]:
    elapsed = after.at - before.at
    publishers = [n for n in room.names if "-p" in n]
    subscribers = [n for n in room.names if "-s" in n]

    def delta(names: list[str], direction: str, kind: str, key: str) -> int:
        return counter(after, names, direction, kind, key) - counter(
            before, names, direction, kind, key
        )

    janus_core = (after.janus - before.janus) / elapsed
    received = sum(delta(subscribers, "received", k, "packets") for k in KINDS)
    lost = sum(delta(subscribers, "received", k, "lost") for k in KINDS)
    total = after.machine[2] - before.machine[2]
    busy = (after.machine[0] - before.machine[0]) / total
    stolen = (after.machine[1] - before.machine[1]) / total
    result: dict[str, Any] = {
        "configuration": config.name,
        "seconds": round(elapsed, 1),
        "janus_cpu_pct_of_core": round(100 * janus_core, 1),
        "peers_cpu_pct_of_core": round(100 * (after.peers - before.peers) / elapsed, 1),
        "machine_busy_pct": round(100 * busy, 1),
        "machine_steal_pct": round(100 * stolen, 1),
        "in_kbps": round(
            sum(8 * delta(publishers, "sent", k, "bytes") for k in KINDS) / elapsed / 1000
        ),
        "out_kbps": round(
            sum(8 * delta(subscribers, "received", k, "bytes") for k in KINDS) / elapsed / 1000
        ),
        "loss_pct": round(100 * lost / max(1, received + lost), 3),
    }
    for kind in KINDS:
        streams = flowing(before, after, subscribers, kind)
        result[f"{kind}_streams"] = streams
        result[f"{kind}_expected"] = config.forwarded(kind)
        result[f"{kind}_packets_per_s"] = round(
            delta(subscribers, "received", kind, "packets") / elapsed
        )
    forwarded = result["video_streams"] + result["audio_streams"]
    result["streams_per_core"] = round(forwarded / janus_core) if janus_core > 0 else None
    return result


async def run(
    configs: list[Configuration],
    seconds: float,
    warmup: float,
    clip_seconds: float = 10,
    rounds: int = 1,
    idle_seconds: float = 3,
    event_loops: int = 0,
) -> list[dict[str, Any]]:
    """Measure each configuration in turn, ``rounds`` times over (interleaved, so a change in
    the machine's other load hits every configuration alike), on one Janus and one peers
    process."""
    folder = Path(tempfile.mkdtemp(prefix="visio-bench-forwarding-"))
    clips = make_clips(folder, clip_seconds)
    settings = load_settings(
        _env_file=None, janus_ws_port=free_port(), janus_admin_port=free_port()
    )
    runtime = write_janus_config(settings, folder / "janus")
    if event_loops:
        use_event_loops(runtime.config_dir / "janus.jcfg", event_loops)
    janus = SupervisedProcess("janus", janus_command(settings.janus_binary, runtime.config_dir))
    engine = MediaEngine(runtime.ws_url, runtime.api_secret, runtime.videoroom_admin_key)
    await janus.start()
    await engine.start()
    peers = await GstPeers.start(folder / "gst_peers.log")
    results = []
    try:
        await engine.wait_ready(30)
        assert janus.pid is not None
        if idle_seconds:
            idle = await sample(janus.pid, peers)
            await asyncio.sleep(idle_seconds)
            idle_after = await sample(janus.pid, peers)
            print(
                f"Janus idle: {100 * (idle_after.janus - idle.janus) / (idle_after.at - idle.at):.1f}"
                f" % of a core; load average before start: {os.getloadavg()[0]:.2f}",
                file=sys.stderr,
            )
        for round_ in range(rounds):
            for config in configs:
                result = await measure(janus.pid, peers, engine, config, clips, seconds, warmup)
                results.append({"round": round_ + 1, **result})
                print(json.dumps(results[-1]), file=sys.stderr)
    finally:
        await peers.stop()
        await engine.stop()
        await janus.stop()
    return results


def medians(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per configuration: the median of each figure over the rounds (the fewest
    streams seen flowing, since a stream missing in one round is a failure to report)."""
    rows: dict[str, list[dict[str, Any]]] = {}
    for result in results:
        rows.setdefault(result["configuration"], []).append(result)
    summary = []
    for name, runs in rows.items():
        row: dict[str, Any] = {"configuration": name, "rounds": len(runs)}
        for key in runs[0]:
            if key in {"configuration", "round"}:
                continue
            values = [r[key] for r in runs if r[key] is not None]
            if key.endswith("_streams"):
                row[key] = min(values)
            elif key.endswith("_expected"):
                row[key] = values[0]
            elif values:
                row[key] = round(statistics.median(values), 3)
            else:
                row[key] = None
        summary.append(row)
    return summary


def print_table(results: list[dict[str, Any]]) -> None:
    print(
        f"{'configuration':<18} {'video':>9} {'audio':>9} {'Janus %':>8} {'per core':>9} "
        f"{'in kb/s':>8} {'out kb/s':>9} {'loss %':>7} {'peers %':>8} {'machine %':>9} "
        f"{'steal %':>8}"
    )
    for r in results:
        print(
            f"{r['configuration']:<18} "
            f"{r['video_streams']:>4}/{r['video_expected']:<4} {r['audio_streams']:>4}/{r['audio_expected']:<4} "
            f"{r['janus_cpu_pct_of_core']:>8.1f} {r['streams_per_core'] or 0:>9.0f} "
            f"{r['in_kbps']:>8.0f} {r['out_kbps']:>9.0f} {r['loss_pct']:>7.3f} "
            f"{r['peers_cpu_pct_of_core']:>8.1f} {r['machine_busy_pct']:>9.1f} "
            f"{r['machine_steal_pct']:>8.1f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=15.0, help="steady window")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=1, help="medians over this many rounds")
    parser.add_argument("--only", nargs="*", help="configuration names (default: all)")
    parser.add_argument(
        "--event-loops", type=int, default=0, help="Janus event_loops (0: one thread per handle)"
    )
    args = parser.parse_args()
    configs = [c for c in CONFIGURATIONS if not args.only or c.name in args.only]
    if not configs:
        parser.error(f"no such configuration; known: {[c.name for c in CONFIGURATIONS]}")
    results = asyncio.run(
        run(configs, args.seconds, args.warmup, rounds=args.rounds, event_loops=args.event_loops)
    )
    summary = medians(results)
    print_table(summary)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
