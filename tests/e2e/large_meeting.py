"""A large meeting on one machine: many camera publishers in one Chromium, and one viewer in its
own Chromium whose reception (and CPU) we measure. Used by tests/e2e/test_large_meeting.py and
bench/large_meeting.py.

The publishers' pages show no video, so by layer selection they receive none themselves (only
audio): what a 2-core machine spends is then mostly their encoding, and the viewer is the one
participant who watches.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect

from tests.e2e.browser import ACTION_TIMEOUT_MS, CHROMIUM, MEDIA_ARGS, Participant
from tests.support import wait_until

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

    def __init__(self, playwright: Playwright, fps: int = PUBLISHER_FPS) -> None:
        fake_camera = f"--use-fake-device-for-media-stream=fps={fps}"
        args = [fake_camera if a == "--use-fake-device-for-media-stream" else a for a in MEDIA_ARGS]
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
