"""Driving participants in headless Chromium, and measuring what they receive."""

from __future__ import annotations

import math
import os
import struct
import time
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

CHROMIUM = "/usr/bin/chromium"
ACTION_TIMEOUT_MS = 60_000
"""Clicks, fills and waits of Playwright: generous, for a busy machine (figures are in bench/)."""
SILENT_RMS = 0.001
"""Below this loudness (WebAudio RMS, full scale 1.0) a remote participant is silent."""
BASE_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--allow-loopback-in-peer-connection",
    "--use-fake-device-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
]
MEDIA_ARGS = [
    *BASE_ARGS,
    "--use-fake-ui-for-media-stream",
    "--auto-accept-this-tab-capture",
    "--auto-select-desktop-capture-source=Entire screen",
]


def screenshot(page: Page, name: str, **options: Any) -> None:
    """Save a screenshot for the docs, only when ``VISIO_SCREENSHOTS`` names a folder (e.g.
    docs/screenshots): a test run leaves the working tree as it found it."""
    folder = os.environ.get("VISIO_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / name), **options)


def signed_in_context(
    browser: Browser, server_url: str, session: str, **options: Any
) -> BrowserContext:
    """A new context of ``browser`` carrying a signed-in person's session cookie (``session``:
    its value, from the API client that signed in); ``options`` go to ``new_context``."""
    from visio.auth.sessions import SESSION_COOKIE

    context = browser.new_context(**options)
    context.add_cookies([{"name": SESSION_COOKIE, "value": session, "url": server_url}])
    return context


def write_tone(path: Path, frequency: float, seconds: float = 10.0, rate: int = 48000) -> Path:
    """A WAV file of a steady sine tone, for a fake microphone to loop."""
    frames = bytearray()
    for i in range(int(seconds * rate)):
        frames += struct.pack("<h", int(12000 * math.sin(2 * math.pi * frequency * i / rate)))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(bytes(frames))
    return path


@dataclass
class Participant:
    name: str
    browser: Browser
    page: Page

    @property
    def participant_id(self) -> str:
        return str(self.page.evaluate("() => window.visio?.session?.participantId ?? ''"))

    def remote_tiles(self) -> list[dict[str, str]]:
        return list(self.page.evaluate(REMOTE_TILES_JS))

    def wait_for_remote_names(self, names: set[str], timeout: float = 30) -> None:
        """Until a camera tile shows for each of ``names`` (the page checks at each repaint)."""
        try:
            self.page.wait_for_function(
                f"(names) => {{ const seen = new Set(({REMOTE_TILES_JS})()"
                ".filter(t => t.source === 'camera').map(t => t.name));"
                " return names.every(n => seen.has(n)); }",
                arg=sorted(names),
                timeout=timeout * 1000,
            )
        except PlaywrightTimeoutError:
            raise AssertionError(
                f"{self.name} sees {self.remote_tiles()} after {timeout} s, expected {names}"
            ) from None

    def video_progress(self, participant_id: str, source: str = "camera") -> dict[str, Any]:
        """Frames decoded and shown by the <video> of one remote tile over half a second."""
        return dict(self.page.evaluate(VIDEO_PROGRESS_JS, {"id": participant_id, "source": source}))

    def wait_video_flowing(
        self, participant_id: str, source: str = "camera", timeout: float = 30
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        last: dict[str, Any] = {}
        while time.monotonic() < deadline:  # each sample watches the <video> for 0.5 s
            last = self.video_progress(participant_id, source)
            if last.get("width", 0) > 0 and last.get("framesAdvanced", 0) > 0:
                return last
        raise AssertionError(
            f"{self.name}: no video from {participant_id} ({source}) in {timeout} s: {last}"
        )

    def wait_video_stopped(
        self, participant_id: str, source: str = "camera", timeout: float = 15
    ) -> dict[str, Any]:
        """Until the <video> of a remote tile shows no new frame for half a second."""
        deadline = time.monotonic() + timeout
        last: dict[str, Any] = {}
        while time.monotonic() < deadline:
            last = self.video_progress(participant_id, source)
            if last.get("found") and last.get("framesAdvanced", 0) == 0:
                return last
        raise AssertionError(
            f"{self.name}: video from {participant_id} ({source}) still flowing after "
            f"{timeout} s: {last}"
        )

    def audio_from(self, participant_id: str) -> dict[str, Any]:
        """Loudness and dominant frequency of one remote participant's audio, via WebAudio."""
        return dict(self.page.evaluate(AUDIO_ANALYSIS_JS, participant_id))

    def wait_audio_tone(
        self, participant_id: str, frequency: float, timeout: float = 30
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        last: dict[str, Any] = {}
        while time.monotonic() < deadline:  # each sample listens for 0.7 s
            last = self.audio_from(participant_id)
            if last.get("rms", 0) > 0.01 and abs(last.get("peakHz", 0) - frequency) < 40:
                return last
        raise AssertionError(
            f"{self.name}: no {frequency} Hz audio from {participant_id} in {timeout} s: {last}"
        )

    def wait_audio_silent(self, participant_id: str, timeout: float = 15) -> dict[str, Any]:
        """Until a remote participant's audio element plays silence."""
        deadline = time.monotonic() + timeout
        last: dict[str, Any] = {}
        while time.monotonic() < deadline:  # each sample listens for 0.7 s
            last = self.audio_from(participant_id)
            if last.get("found") and last.get("rms", 1) < SILENT_RMS:
                return last
        raise AssertionError(f"{self.name} still hears {participant_id} after {timeout} s: {last}")

    def published_audio(self) -> dict[str, Any]:
        """What this browser's own microphone sender is doing: level of the source, bytes sent."""
        return dict(self.page.evaluate(PUBLISHED_AUDIO_JS))

    def inbound_totals(self) -> dict[str, Any]:
        return dict(self.page.evaluate(INBOUND_STATS_JS))

    def tile(self, participant_id: str, source: str = "camera") -> dict[str, str] | None:
        for tile in self.remote_tiles():
            if tile["id"] == participant_id and tile["source"] == source:
                return tile
        return None


class Participants:
    """A set of people, each in their own Chromium (own fake camera and tone microphone)."""

    def __init__(self, playwright: Playwright, tones: dict[str, Path]) -> None:
        self._playwright = playwright
        self._tones = tones
        self.people: list[Participant] = []

    def launch(self, name: str, args: list[str] | None = None) -> Browser:
        tone = self._tones.get(name.lower())
        extra = [f"--use-file-for-fake-audio-capture={tone}"] if tone else []
        return self._playwright.chromium.launch(
            executable_path=CHROMIUM, args=[*(args if args is not None else MEDIA_ARGS), *extra]
        )

    def open(
        self, url: str, name: str, args: list[str] | None = None, init_script: str | None = None
    ) -> Participant:
        """A new Chromium for this person, on ``url`` (``init_script`` runs before the page's)."""
        browser = self.launch(name, args)
        context = browser.new_context(viewport={"width": 1024, "height": 700})
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        if init_script:
            context.add_init_script(init_script)
        page = context.new_page()
        page.goto(url)
        person = Participant(name, browser, page)
        self.people.append(person)
        return person

    def join(
        self,
        base_url: str,
        slug: str,
        name: str,
        init_script: str | None = None,
        camera: bool = True,
        args: list[str] | None = None,
    ) -> Participant:
        """Open the room, give the name and join (with the camera turned off before, if asked)."""
        person = self.open(f"{base_url}/{slug}", name, args=args, init_script=init_script)
        page = person.page
        try:
            page.get_by_test_id("name-input").wait_for()
        except PlaywrightTimeoutError:
            shown = page.locator("body").inner_text(timeout=5000).strip()[:200]
            raise AssertionError(
                f"{name}: no pre-join form on /{slug} after {ACTION_TIMEOUT_MS / 1000:.0f} s; "
                f"the page shows {shown!r}"
            ) from None
        page.get_by_test_id("name-input").fill(name)
        if not camera:
            toggle = page.get_by_test_id("prejoin-toggle-camera")
            toggle.click()
            expect(toggle).to_have_attribute("aria-pressed", "false")
        page.get_by_test_id("join").click()
        page.wait_for_function("() => !!window.visio?.session?.participantId")
        return person

    def meeting(self, base_url: str, slug: str, *names: str) -> list[Participant]:
        """Join everyone named, then wait until each receives every other's video."""
        people = [self.join(base_url, slug, name) for name in names]
        for person in people:
            for other in people:
                if other is not person:
                    person.wait_video_flowing(other.participant_id)
        return people

    def screenshot_all(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for person in self.people:
            try:
                person.page.screenshot(path=str(folder / f"{person.name}.png"))
            except Exception:
                pass

    def close(self) -> None:
        for person in self.people:
            try:
                person.browser.close()
            except Exception:
                pass


REMOTE_TILES_JS = """() => [...document.querySelectorAll('[data-testid="tile"][data-local="false"]')]
  .map(t => ({id: t.dataset.participantId, source: t.dataset.source, audio: t.dataset.audio,
              video: t.dataset.video, name: (t.querySelector('[data-testid="tile-name"]') ?? t).textContent.trim(),
              hasVideo: !!t.querySelector('video')}))"""

VIDEO_PROGRESS_JS = """async ({id, source}) => {
  const sel = `[data-testid="tile"][data-participant-id="${id}"][data-source="${source}"] video`;
  const video = document.querySelector(sel);
  if (!video) return {found: false};
  const q0 = video.getVideoPlaybackQuality().totalVideoFrames, t0 = video.currentTime;
  await new Promise(r => setTimeout(r, 500));
  const q1 = video.getVideoPlaybackQuality().totalVideoFrames, t1 = video.currentTime;
  return {found: true, width: video.videoWidth, height: video.videoHeight,
          framesAdvanced: q1 - q0, timeAdvanced: t1 - t0, paused: video.paused};
}"""

AUDIO_ANALYSIS_JS = """async (id) => {
  const el = document.querySelector(`audio[data-testid="remote-audio"][data-participant-id="${id}"]`);
  if (!el || !el.srcObject || el.srcObject.getAudioTracks().length === 0) return {found: false};
  const ctx = new AudioContext();
  await ctx.resume();
  const src = ctx.createMediaStreamSource(el.srcObject);
  const an = ctx.createAnalyser();
  an.fftSize = 8192;
  src.connect(an);
  await new Promise(r => setTimeout(r, 700));
  const time = new Float32Array(an.fftSize);
  an.getFloatTimeDomainData(time);
  const freq = new Float32Array(an.frequencyBinCount);
  an.getFloatFrequencyData(freq);
  let rms = 0; for (const v of time) rms += v * v; rms = Math.sqrt(rms / time.length);
  let best = 0; for (let i = 1; i < freq.length; i++) if (freq[i] > freq[best]) best = i;
  const peakHz = best * ctx.sampleRate / an.fftSize;
  await ctx.close();
  return {found: true, rms, peakHz};
}"""

INBOUND_STATS_JS = """async () => {
  const pc = window.visio?.session?.subscriber;
  if (!pc) return {video: 0, audio: 0, framesDecoded: 0, samples: 0};
  const stats = await pc.getStats();
  let framesDecoded = 0, samples = 0, video = 0, audio = 0, lost = 0;
  stats.forEach(s => {
    if (s.type !== 'inbound-rtp') return;
    if (s.kind === 'video') { video++; framesDecoded += s.framesDecoded || 0; }
    if (s.kind === 'audio') { audio++; samples += s.totalSamplesReceived || 0; }
    lost += s.packetsLost || 0;
  });
  return {video, audio, framesDecoded, samples, packetsLost: lost};
}"""

PUBLISHED_AUDIO_JS = """async () => {
  const pc = window.visio?.session?.publisher;
  if (!pc) return {found: false};
  const stats = await pc.getStats();
  let audioLevel = 0, bytesSent = 0, packetsSent = 0;
  stats.forEach(s => {
    if (s.type === 'media-source' && s.kind === 'audio') audioLevel = s.audioLevel || 0;
    if (s.type === 'outbound-rtp' && s.kind === 'audio') {
      bytesSent += s.bytesSent || 0; packetsSent += s.packetsSent || 0;
    }
  });
  return {found: true, audioLevel, bytesSent, packetsSent};
}"""
