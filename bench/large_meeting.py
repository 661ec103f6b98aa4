"""Large meetings: what one viewer receives (bytes per second) and what its browser spends (CPU),
with and without simulcast layer selection, in meetings of growing size.

Run inside the media network namespace (as root):

    scripts/in-netns .venv/bin/python -m bench.large_meeting [--sizes 3 6 12] [--windows 5]

It starts its own `visio serve` (embedded Janus), one Chromium holding every camera publisher
(fake cameras, 1280x720 simulcast at 5 frames per second, tests/e2e/large_meeting.py) and, for
each size and each case, a fresh viewer in its own Chromium (camera off, a 1280x800 window
showing everyone). "without" opens the viewer with ``?layers=off``: every video at the high
layer, as before layer selection. Figures are medians over the measuring windows.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright
from tests.e2e.large_meeting import Publishers, open_viewer, sample_viewer
from tests.e2e.layers import wait_received
from tests.support import in_media_namespace, start_server


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
    args = parser.parse_args()
    if not in_media_namespace():
        raise SystemExit("run inside scripts/in-netns (Janus cannot use loopback for ICE)")
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


if __name__ == "__main__":
    main()
