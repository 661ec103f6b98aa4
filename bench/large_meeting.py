"""Large meetings: what one viewer receives (bytes per second) and what its browser spends (CPU),
with and without simulcast layer selection, in meetings of growing size.

Run inside the media network namespace (as root):

    scripts/in-netns .venv/bin/python -m bench.large_meeting [--sizes 3 6 12] [--windows 5]

It starts its own `visio serve` (embedded Janus), one Chromium holding every camera publisher
(fake cameras, 1280x720 simulcast at 5 frames per second, tests/e2e/large_meeting.py) and, for
each size and each case, a fresh viewer in its own Chromium (camera off, a 1280x800 window
showing everyone). "without" opens the viewer with ``?layers=off``: every video at the high
layer, as before layer selection. Figures are medians over the measuring windows.

With ``--switch`` it measures instead how fast a new speaker is noticed (issue 9), for each of
``--variants`` of the talk-detection settings side by side:

    scripts/in-netns .venv/bin/python -m bench.large_meeting --switch [--bots 29] [--speakers 8]

Per variant, a fresh `visio serve` and a 30-person meeting (29 GStreamer publishers, audio levels
silent until told to talk; one Chromium viewer, camera and microphone off; one observer on a
bare room socket). Then, one publisher after the other, each a new speaker: it starts talking
(a level of speech from its next packet), and we time (a) the ``speaking: true`` reaching the
observer, (b) its first audio packet reaching the viewer (past ``VISIO_AUDIO_SELECTION_ABOVE``
microphones nobody's audio is relayed before they speak), and, once it stops, (c) the
``speaking: false``. Last, one publisher talks in 0.5-s bursts with 0.3-s pauses (as between
words) and we count the ``speaking`` messages the room was sent about it (1 start and 1 stop is
steady; more is flapping); and another coughs three times (0.2 s of sound, 2 s apart): the
messages about it (0 with ``VISIO_SPEAKER_CONFIRM_SECONDS``, 6 without).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright
from tests.e2e.large_meeting import (
    WATCH_AUDIO_JS,
    GstPublishers,
    Publishers,
    flowing,
    open_viewer,
    sample_viewer,
)
from tests.e2e.layers import wait_received
from tests.support import RunningServer, in_media_namespace, start_server, wait_until
from websockets.sync.client import connect

VARIANTS: dict[str, dict[str, str]] = {
    "before": {
        "speaker_detection_packets": "25",
        "speaker_hold_seconds": "0",
        "speaker_confirm_seconds": "0",
    },
    "after": {
        "speaker_detection_packets": "5",
        "speaker_hold_seconds": "1",
        "speaker_confirm_seconds": "0",
    },
    "confirmed": {
        "speaker_detection_packets": "5",
        "speaker_hold_seconds": "1",
        "speaker_confirm_seconds": "0.3",
    },
}
"""Talk-detection settings compared by ``--switch``: before issue 9's change (Janus decides every
25 packets, a stop counts at once) and after (every 5 packets, a stop held 1 s)."""


def measure(
    playwright: Any, url: str, ids: list[str], layers: bool, settle: float, windows: int
) -> dict[str, float]:
    viewer = open_viewer(playwright, url, layers=layers)
    try:
        wait_received(
            viewer,
            lambda r: all(r.get((pid, "camera"), {}).get("rate", 0) > 0 for pid in ids),
            "video from every publisher",
            timeout=120,
        )
        time.sleep(settle)  # let the layers and the bandwidth estimate settle
        samples = [sample_viewer(viewer, 2.0) for _ in range(windows)]
    finally:
        viewer.browser.close()
    return {key: statistics.median(s[key] for s in samples) for key in samples[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[3, 6, 12])
    parser.add_argument("--windows", type=int, default=5, help="2-second windows per case")
    parser.add_argument("--settle", type=float, default=4.0, help="seconds before measuring")
    parser.add_argument("--switch", action="store_true", help="time the speaker switch instead")
    parser.add_argument("--bots", type=int, default=29, help="--switch: publishers (> 6)")
    parser.add_argument("--speakers", type=int, default=8, help="--switch: new speakers timed")
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    args = parser.parse_args()
    if not in_media_namespace():
        raise SystemExit("run inside scripts/in-netns (Janus cannot use loopback for ICE)")
    if args.switch:
        switch(args.variants, args.bots, args.speakers)
        return
    rows = []
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        # "without" asks for every camera at high, as clients did before layer selection: the
        # server's cap on what one viewer may pull (VISIO_SUBSCRIBER_VIDEO_BUDGET_KBPS) is lifted.
        server = start_server(
            Path(folder) / "visio", room_muted_above="1000", subscriber_video_budget_kbps="1000000"
        )
        publishers = Publishers(playwright)
        try:
            url = f"{server.url}/{server.create_room()}"
            for size in sorted(args.sizes):
                publishers.add(url, size - 1 - len(publishers.pages))
                ids = publishers.ids
                with_layers = measure(playwright, url, ids, True, args.settle, args.windows)
                without = measure(playwright, url, ids, False, args.settle, args.windows)
                rows.append((size, with_layers, without))
                print(f"size {size}: with {with_layers}, without {without}", flush=True)
        finally:
            publishers.close()
            server.stop()
    print()
    print(
        "| people | video kB/s with | without | with/without "
        "| viewer CPU % with | without | with/without | audio kB/s |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for size, on, off in rows:
        print(
            f"| {size} | {on['video_bps'] / 1000:.0f} | {off['video_bps'] / 1000:.0f} "
            f"| {_ratio(on['video_bps'], off['video_bps'])} | {on['cpu_percent']:.0f} "
            f"| {off['cpu_percent']:.0f} | {_ratio(on['cpu_percent'], off['cpu_percent'])} "
            f"| {on['audio_bps'] / 1000:.1f} |"
        )


def _ratio(value: float, reference: float) -> str:
    return f"{value / reference:.2f}" if reference else "-"


class Observer:
    """A participant on a bare room socket (no microphone, no camera, never publishes) that
    notes when each ``speaking`` message arrives (wall-clock, as the publishers' cues are)."""

    def __init__(self, server: RunningServer, slug: str) -> None:
        self.ws = connect(f"{server.ws_base}/api/v1/rooms/{slug}/ws", max_size=None).__enter__()
        self.ws.send(json.dumps({"type": "join", "version": 1, "name": "Observer",
                                 "audio": False, "video": False}))  # fmt: skip
        self.seen: list[tuple[float, str, bool]] = []
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            for raw in self.ws:
                message = json.loads(raw)
                if message["type"] == "speaking":
                    self.seen.append((time.time(), message["participant_id"], message["speaking"]))
        except Exception:  # the socket closed: the run is over
            return

    def when(self, participant_id: str, speaking: bool, after: float, timeout: float) -> float:
        """Seconds from ``after`` to the first such message since then."""

        def found() -> float | None:
            return next(
                (
                    t
                    for t, p, s in self.seen
                    if p == participant_id and s == speaking and t >= after
                ),
                None,
            )

        wait_until(lambda: found() is not None, timeout, f"no speaking={speaking} in {timeout} s")
        at = found()
        assert at is not None
        return at - after

    def count(self, participant_id: str, since: float) -> int:
        return sum(1 for t, p, _ in self.seen if p == participant_id and t >= since)

    def close(self) -> None:
        self.ws.close()
        self._thread.join(5)


def switch_once(
    playwright: Any, folder: Path, settings: dict[str, str], bots: int, speakers: int
) -> dict[str, list[float]]:
    """One meeting under ``settings``: the delays of each new speaker, and the flapping."""
    server = start_server(folder / "visio", **settings)
    crowd = GstPublishers(folder)
    viewer = observer = None
    try:
        slug = server.create_room()
        crowd.add(server.ws_base, slug, bots)
        observer = Observer(server, slug)
        viewer = open_viewer(
            playwright, f"{server.url}/{slug}", layers=True, viewport={"width": 900, "height": 600}
        )
        wait_until(lambda: flowing(viewer, 1.0).video, timeout=120, message="no video arrives")
        assert flowing(viewer).audio == set(), "nobody spoke yet, yet audio flows"
        found: dict[str, list[float]] = {
            "event": [],
            "audio": [],
            "stop": [],
            "unmuted": [],
            "messages": [],
            "coughs": [],
        }
        for bot in crowd.bots[:speakers]:
            viewer.page.evaluate(WATCH_AUDIO_JS, bot.id)
            started = crowd.talk(bot, True)
            found["event"].append(observer.when(bot.id, True, started, 20))
            wait_until(
                lambda: viewer.page.evaluate("() => window.__heardAt") is not None,
                timeout=20,
                message=f"the viewer never received {bot.name}'s audio",
            )
            found["audio"].append(viewer.page.evaluate("() => window.__heardAt") / 1000 - started)
            stopped = crowd.talk(bot, False)
            found["stop"].append(observer.when(bot.id, False, stopped, 20))
        # Push-to-talk: a muted publisher turns its microphone on and speaks at once.
        for bot in crowd.bots[speakers + 1 : speakers + 4]:
            crowd.microphone(bot, False)
            time.sleep(1)  # muted a while (the server relays a muted microphone to nobody)
            viewer.page.evaluate(WATCH_AUDIO_JS, bot.id)
            started = crowd.microphone(bot, True)
            crowd.talk(bot, True)
            wait_until(
                lambda: viewer.page.evaluate("() => window.__heardAt") is not None,
                timeout=20,
                message=f"the viewer never received {bot.name}'s audio",
            )
            found["unmuted"].append(viewer.page.evaluate("() => window.__heardAt") / 1000 - started)
            crowd.talk(bot, False)
        # Speech with pauses between words: 0.5 s of speech, 0.3 s of silence, eight times.
        bot = crowd.bots[speakers]
        since = time.time()
        for _ in range(8):
            crowd.talk(bot, True)
            time.sleep(0.5)  # the publisher's speech, as a script
            crowd.talk(bot, False)
            time.sleep(0.3)  # a pause between words
        observer.when(bot.id, False, since, 20)
        time.sleep(2)  # a stop the hold would still announce late
        found["messages"].append(observer.count(bot.id, since))
        # Coughs: 0.2 s of sound, 2 s apart, from someone who has not spoken yet.
        bot = crowd.bots[speakers + 4]
        since = time.time()
        for _ in range(3):
            crowd.talk(bot, True)
            time.sleep(0.2)  # the cough, as a script
            crowd.talk(bot, False)
            time.sleep(2)
        found["coughs"].append(observer.count(bot.id, since))
        return found
    finally:
        if viewer is not None:
            viewer.browser.close()
        if observer is not None:
            observer.close()
        crowd.close()
        server.stop()


def switch(variants: list[str], bots: int, speakers: int) -> None:
    if bots <= 6 or speakers + 5 > bots:
        raise SystemExit("--bots must be over 6 (audio selection) and --speakers + 5 at least")
    results: dict[str, dict[str, list[float]]] = {}
    with sync_playwright() as playwright:
        for name in variants:
            with tempfile.TemporaryDirectory() as folder:
                load = os.getloadavg()[0]
                results[name] = switch_once(
                    playwright, Path(folder), VARIANTS[name], bots, speakers
                )
                results[name]["load"] = [load, os.getloadavg()[0]]
            print(f"{name} {VARIANTS[name]}: {results[name]}", flush=True)
    print()
    print(
        f"{bots + 2} people ({bots} publishers, a viewer, an observer); {speakers} new speakers each"
    )
    print("| variant | load avg (1 min) start/end | (a) start → `speaking: true`, median "
          "| (b) start → first audio packet at the viewer, median | (c) stop → `speaking: false`, "
          "median | (d) microphone on and speech → first audio packet, median "
          "| messages about one speaker with 0.3-s pauses | messages about three 0.2-s coughs |")  # fmt: skip
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, found in results.items():
        cells = [statistics.median(found[key]) for key in ("event", "audio", "stop", "unmuted")]
        print(
            f"| {name} ({', '.join(f'{k}={v}' for k, v in VARIANTS[name].items())}) "
            f"| {found['load'][0]:.1f} / {found['load'][1]:.1f} "
            + "".join(f"| {cell * 1000:.0f} ms " for cell in cells)
            + f"| {found['messages'][0]:.0f} | {found['coughs'][0]:.0f} |"
        )
    if {"before", "after"} <= results.keys():
        ratios = [
            _ratio(
                statistics.median(results["after"][key]), statistics.median(results["before"][key])
            )
            for key in ("event", "audio", "stop", "unmuted")
        ]
        print(f"| after/before | | {' | '.join(ratios)} | | |")
    for name, found in results.items():
        for key in ("event", "audio", "stop", "unmuted"):
            print(f"{name} {key}: " + ", ".join(f"{v * 1000:.0f}" for v in found[key]) + " ms")


if __name__ == "__main__":
    main()
