"""A large meeting on one machine: many camera publishers in one Chromium, and one viewer in its
own Chromium whose reception (and CPU) we measure. Used by tests/e2e/test_large_meeting.py and
bench/large_meeting.py.

The publishers' pages show no video, so by layer selection they receive none themselves (only
audio): what a 2-core machine spends is then mostly their encoding, and the viewer is the one
participant who watches.

Past a dozen Chromium publishers the machine runs out of CPU; :class:`GstPublishers` are
participants without a browser (GStreamer webrtcbin peers that send pre-encoded media, nothing
encoded), so that one real viewer can sit in a 30-person meeting.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import threading
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from bench.janus_forwarding import GstPeers
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect
from websockets.asyncio.client import ClientConnection, connect

from tests.e2e.browser import ACTION_TIMEOUT_MS, CHROMIUM, MEDIA_ARGS, Participant
from tests.support import wait_until

T = TypeVar("T")

PUBLISHER_PAGE_JS = """document.addEventListener('DOMContentLoaded', () => {
  const style = document.createElement('style');
  style.textContent = 'video, [data-local="false"] { display: none !important; }';
  document.head.append(style);
});"""
"""Publishers show no video: no tile (so layer selection turns every remote video off for them)
and no self view (painting a dozen 720p videos in software would take the CPU the encoders need)."""
PUBLISHER_FPS = 5
"""The publishers' fake cameras run at 5 frames per second (the app asks for 15): encoding a dozen
1280x720 simulcast cameras at full rate needs more than this 2-core machine has. The layers keep
their bitrate caps; a viewer's bytes are therefore close to a real meeting's, its decoding lighter."""
VIEWER_MARK = "--visio-large-meeting-viewer"
"""A switch Chromium ignores, to find the viewer's browser process."""

SENT_VIDEO_JS = """async () => {
  const pc = window.visio?.session?.publisher;
  let sent = 0;
  if (pc) (await pc.getStats()).forEach(s => {
    if (s.type === 'outbound-rtp' && s.kind === 'video') sent += s.bytesSent || 0;
  });
  return sent;
}"""
INBOUND_BYTES_JS = """async () => {
  const pc = window.visio?.session?.subscriber;
  if (!pc) return {video: 0, audio: 0};
  let video = 0, audio = 0;
  (await pc.getStats()).forEach(s => {
    if (s.type === 'inbound-rtp') {
      if (s.kind === 'video') video += s.bytesReceived || 0; else audio += s.bytesReceived || 0;
    }
  });
  return {video, audio};
}"""


def _join(page: Page, url: str, name: str, camera: bool) -> None:
    page.goto(url)
    page.get_by_test_id("name-input").fill(name)
    if not camera:
        toggle = page.get_by_test_id("prejoin-toggle-camera")
        toggle.click()
        expect(toggle).to_have_attribute("aria-pressed", "false")
    page.get_by_test_id("join").click()
    page.wait_for_function("() => !!window.visio?.session?.participantId")


class Publishers:
    """People with a camera on, each in a context of one shared Chromium."""

    def __init__(
        self, playwright: Playwright, fps: int = PUBLISHER_FPS, microphone: Path | None = None
    ) -> None:
        """``microphone``: a WAV file every publisher's fake microphone plays (a steady tone
        is speech to Janus: everyone speaks, so everyone is heard in a large meeting)."""
        fake_camera = f"--use-fake-device-for-media-stream=fps={fps}"
        args = [fake_camera if a == "--use-fake-device-for-media-stream" else a for a in MEDIA_ARGS]
        if microphone is not None:
            args.append(f"--use-file-for-fake-audio-capture={microphone}")
        self._browser: Browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args)
        self._contexts: list[BrowserContext] = []
        self.pages: list[Page] = []

    def add(self, url: str, count: int) -> None:
        for _ in range(count):
            context = self._browser.new_context(viewport={"width": 640, "height": 480})
            context.set_default_timeout(ACTION_TIMEOUT_MS)
            context.add_init_script(PUBLISHER_PAGE_JS)
            page = context.new_page()
            _join(page, url, f"Publisher {len(self.pages) + 1}", camera=True)
            self._contexts.append(context)
            self.pages.append(page)
        for number, page in enumerate(self.pages, 1):
            wait_until(
                lambda page=page: page.evaluate(SENT_VIDEO_JS) > 0,  # type: ignore[misc]
                timeout=120,
                message=f"Publisher {number} sends no video",
            )

    @property
    def ids(self) -> list[str]:
        return [
            str(page.evaluate("() => window.visio.session.participantId")) for page in self.pages
        ]

    def close(self) -> None:
        for context in self._contexts:
            context.close()
        self._browser.close()


def open_viewer(
    playwright: Playwright, url: str, layers: bool, viewport: dict[str, int] | None = None
) -> Participant:
    """The viewer, in a Chromium of its own, camera off; ``layers=False`` turns selection off."""
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[*MEDIA_ARGS, VIEWER_MARK])
    context = browser.new_context(viewport=viewport or {"width": 1280, "height": 800})
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    page = context.new_page()
    _join(page, url + ("" if layers else "?layers=off"), "Viewer", camera=False)
    return Participant("Viewer", browser, page)


def viewer_cpu_seconds() -> float:
    """CPU time (user + system) of the viewer's Chromium and all its child processes so far."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    root: int | None = None
    ticks = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        pid = int(entry.name)
        parents[pid] = int(fields[1])
        times[pid] = (int(fields[11]) + int(fields[12])) / ticks
        if VIEWER_MARK.encode() in cmdline and b"--type=" not in cmdline:
            root = pid
    if root is None:
        raise AssertionError("the viewer's Chromium process was not found")
    tree = {root}
    grew = True
    while grew:
        grew = False
        for pid, parent in parents.items():
            if parent in tree and pid not in tree:
                tree.add(pid)
                grew = True
    return sum(times[pid] for pid in tree)


def sample_viewer(viewer: Participant, window: float) -> dict[str, Any]:
    """Bytes per second the viewer received (video, audio) and its browser's CPU, in % of one
    core, over ``window`` seconds."""
    bytes_before = viewer.page.evaluate(INBOUND_BYTES_JS)
    cpu_before, started = viewer_cpu_seconds(), time.monotonic()
    time.sleep(window)  # a measuring window
    bytes_after = viewer.page.evaluate(INBOUND_BYTES_JS)
    cpu_after, elapsed = viewer_cpu_seconds(), time.monotonic() - started
    return {
        "video_bps": (bytes_after["video"] - bytes_before["video"]) / elapsed,
        "audio_bps": (bytes_after["audio"] - bytes_before["audio"]) / elapsed,
        "cpu_percent": 100 * (cpu_after - cpu_before) / elapsed,
    }


# ---- participants without a browser ---------------------------------------------------------


def make_small_clips(folder: Path, seconds: float = 4.0) -> dict[str, Path]:
    """A small camera (VP8 320x180, 15 fps, about 150 kbit/s) and a tone (Opus 20 ms frames),
    encoded once with ffmpeg: every GStreamer publisher sends them in a loop."""
    video, audio = folder / "small.webm", folder / "tone.webm"
    quiet = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi"]
    subprocess.run(
        [*quiet, "-i", "testsrc2=size=320x180:rate=15", "-t", str(seconds),
         "-c:v", "libvpx", "-b:v", "150k", "-deadline", "realtime", "-cpu-used", "8",
         "-g", "30", "-auto-alt-ref", "0", str(video)],
        check=True,
    )  # fmt: skip
    subprocess.run(
        [*quiet, "-i", "sine=frequency=440:sample_rate=48000", "-t", str(seconds),
         "-c:a", "libopus", "-b:a", "24k", "-frame_duration", "20", str(audio)],
        check=True,
    )  # fmt: skip
    return {"video": video, "audio": audio}


@dataclass(eq=False)
class Bot:
    """One GStreamer publisher's room socket."""

    name: str
    ws: ClientConnection
    id: str
    join_seconds: float
    publish_seconds: float = 0.0
    errors: list[str] = field(default_factory=list)
    reader: asyncio.Task[None] | None = None


def _mids(sdp: str) -> list[tuple[str, str]]:
    """(kind, mid) of each m-line of an SDP, in order."""
    found: list[tuple[str, str]] = []
    kind = ""
    for line in sdp.splitlines():
        if line.startswith("m="):
            kind = line[2:].split(" ", 1)[0]
        elif line.startswith("a=mid:"):
            found.append((kind, line[6:].strip()))
    return found


class GstPublishers:
    """People who publish a camera and a microphone without a browser: GStreamer peers
    (bench/media_clients/gst_peers.py, in one process) that join through the room protocol as
    the web app does, publish, and never watch (they leave their subscriber offers unanswered,
    so Janus sends them nothing). Each microphone carries audio levels: silence until
    :meth:`talk` (Janus's talk detection reads them as it reads a browser's)."""

    def __init__(self, folder: Path) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._clips = make_small_clips(folder)
        self.log = folder / "gst_peers.log"
        self._peers: GstPeers = self._run(GstPeers.start(self.log), 60)
        self.bots: list[Bot] = []

    def _run(self, work: Coroutine[Any, Any, T], timeout: float) -> T:
        return asyncio.run_coroutine_threadsafe(work, self._loop).result(timeout)

    def add(self, ws_base: str, slug: str, count: int, shared_device: bool = False) -> None:
        """``count`` more people join and publish, one after the other (as a meeting fills);
        ``shared_device``: each joins as a shared room device (``join.shared_device``)."""
        self._run(self._add(ws_base, slug, count, shared_device), 30 + 10 * count)

    async def _add(self, ws_base: str, slug: str, count: int, shared_device: bool) -> None:
        for _ in range(count):
            name = f"Bot {len(self.bots) + 1}"
            self.bots.append(await self._join(ws_base, slug, name, shared_device))

    def send(self, bot: Bot, message: dict[str, Any]) -> None:
        """Send one room protocol message on ``bot``'s socket."""
        self._run(bot.ws.send(json.dumps(message)), 10)

    async def _join(self, ws_base: str, slug: str, name: str, shared_device: bool) -> Bot:
        started = time.monotonic()
        ws = await connect(f"{ws_base}/api/v1/rooms/{slug}/ws", max_size=None, ping_interval=None)
        join = {"type": "join", "id": 1, "version": 1, "name": name, "audio": True, "video": True}
        if shared_device:
            join["shared_device"] = True
        await ws.send(json.dumps(join))
        async with asyncio.timeout(20):
            while True:
                reply = json.loads(await ws.recv())
                if reply["type"] == "joined":
                    break
                if reply["type"] == "error":
                    raise AssertionError(f"{name} could not join: {reply}")
        bot = Bot(name, ws, reply["participant"]["id"], time.monotonic() - started)
        answered: asyncio.Future[str] = self._loop.create_future()
        bot.reader = asyncio.create_task(self._read(bot, answered))
        started = time.monotonic()
        offer = await self._peers.send(
            {"cmd": "publish", "peer": bot.id, "levels": True,
             "video": str(self._clips["video"]), "audio": str(self._clips["audio"])},
            "offer",
        )  # fmt: skip
        sources = {"video": "camera", "audio": "microphone"}
        tracks = [{"mid": mid, "source": sources[kind]} for kind, mid in _mids(offer["sdp"])]
        await ws.send(json.dumps({"type": "publish", "id": 2, "sdp": offer["sdp"],
                                  "tracks": tracks}))  # fmt: skip
        answer = await asyncio.wait_for(answered, 20)
        await self._peers.send({"cmd": "answer", "peer": bot.id, "sdp": answer})
        bot.publish_seconds = time.monotonic() - started
        return bot

    async def _read(self, bot: Bot, answered: asyncio.Future[str]) -> None:
        with contextlib.suppress(Exception):
            async for raw in bot.ws:
                message = json.loads(raw)
                kind = message["type"]
                if kind == "publish.answer" and not answered.done():
                    answered.set_result(message["sdp"])
                elif kind == "trickle" and message["target"] == "publisher":
                    candidate = message.get("candidate")
                    if candidate and candidate.get("sdpMLineIndex") is not None:
                        await self._peers.send({
                            "cmd": "candidate", "peer": bot.id,
                            "mline": candidate["sdpMLineIndex"],
                            "candidate": candidate["candidate"],
                        })  # fmt: skip
                elif kind == "error":
                    bot.errors.append(f"{message.get('code')}: {message.get('message')}")
                    if not answered.done():
                        answered.set_exception(AssertionError(f"{bot.name}: {message}"))

    def talk(self, bot: Bot, talking: bool) -> float:
        """Start or stop ``bot``'s speech; returns the wall-clock time (s) the change was asked
        (the next audio packet carries it)."""
        asked = time.time()
        self._run(self._peers.send({"cmd": "talk", "peer": bot.id, "talking": talking}, "talk"), 10)
        return asked

    def microphone(self, bot: Bot, on: bool) -> float:
        """Turn ``bot``'s microphone on or off, as the web app says it (``media.state``; the
        audio keeps flowing, as a browser's muted track sends silence); returns when it was
        asked (wall-clock, s)."""
        asked = time.time()
        message = {"type": "media.state", "id": 3, "audio": on, "video": True}
        self._run(bot.ws.send(json.dumps(message)), 10)
        return asked

    def sent(self) -> dict[str, dict[str, dict[str, int]]]:
        """Each bot's RTP counters (``sent_video``, ``sent_audio``: packets, bytes)."""
        return self._run(self._peers.stats(), 30)

    def join_figures(self) -> dict[str, float]:
        joins = [b.join_seconds for b in self.bots]
        publishes = [b.publish_seconds for b in self.bots]
        return {
            "join_median": statistics.median(joins),
            "join_max": max(joins),
            "publish_median": statistics.median(publishes),
            "publish_max": max(publishes),
        }

    def close(self) -> None:
        async def stop() -> None:
            for bot in self.bots:
                with contextlib.suppress(Exception):
                    await bot.ws.close()
                if bot.reader is not None:
                    bot.reader.cancel()
                    with contextlib.suppress(BaseException):
                        await bot.reader
            await self._peers.stop()
            with contextlib.suppress(BaseException):
                await self._peers._reader  # the peers' stdout reader, cancelled by stop()
            transport = getattr(self._peers.process, "_transport", None)
            if transport is not None:
                transport.close()

        try:
            self._run(stop(), 60)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._loop.close()


INBOUND_BY_MID_JS = """async () => {
  const session = window.visio?.session;
  const pc = session?.subscriber;
  if (!pc) return [];
  const owners = new Map(session.remoteTracks.map(t => [t.mid, t.participantId]));
  const found = [];
  (await pc.getStats()).forEach(s => {
    if (s.type === 'inbound-rtp' && owners.has(s.mid)) {
      found.push({mid: s.mid, kind: s.kind, participantId: owners.get(s.mid),
                  bytes: s.bytesReceived || 0, packets: s.packetsReceived || 0});
    }
  });
  return found;
}"""
WATCH_AUDIO_JS = """(participantId) => {
  // Until the first audio packet of participantId's microphone after now: its wall-clock time.
  const session = window.visio.session;
  window.__heardAt = null;
  const count = async () => {
    const mids = new Set(session.remoteTracks
      .filter(t => t.participantId === participantId && t.kind === 'audio').map(t => t.mid));
    let packets = 0;
    (await session.subscriber.getStats()).forEach(s => {
      if (s.type === 'inbound-rtp' && mids.has(s.mid)) packets += s.packetsReceived || 0;
    });
    return packets;
  };
  (async () => {
    const start = await count();
    const deadline = Date.now() + 20000;
    while (Date.now() < deadline) {
      if (await count() > start) { window.__heardAt = Date.now(); return; }
      await new Promise(r => setTimeout(r, 5));
    }
  })();
}"""


@dataclass
class Flowing:
    """Whose video and audio brought the viewer bytes over a window, and the video's rate."""

    video: set[str]
    audio: set[str]
    video_kbps: float


def flowing(viewer: Participant, window: float = 1.5) -> Flowing:
    """What the viewer receives over ``window`` seconds: the participant ids whose video or
    audio streams brought bytes, and the videos' total bitrate."""
    before = {e["mid"]: e["bytes"] for e in viewer.page.evaluate(INBOUND_BY_MID_JS)}
    started = time.monotonic()
    time.sleep(window)  # a measuring window
    after = viewer.page.evaluate(INBOUND_BY_MID_JS)
    elapsed = time.monotonic() - started
    result = Flowing(set(), set(), 0.0)
    for entry in after:
        grown = entry["bytes"] - before.get(entry["mid"], 0)
        if grown > 0:
            getattr(result, entry["kind"]).add(entry["participantId"])
            if entry["kind"] == "video":
                result.video_kbps += grown * 8 / 1000 / elapsed
    return result


def heard_after(viewer: Participant, publishers: GstPublishers, bot: Bot) -> float:
    """Seconds from ``bot`` starting to talk to its first audio packet reaching the viewer."""
    viewer.page.evaluate(WATCH_AUDIO_JS, bot.id)
    started = publishers.talk(bot, True)
    wait_until(
        lambda: viewer.page.evaluate("() => window.__heardAt") is not None,
        timeout=20,
        message=f"the viewer never received {bot.name}'s audio after they started talking",
    )
    heard_at = float(viewer.page.evaluate("() => window.__heardAt")) / 1000
    return heard_at - started
