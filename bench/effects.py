"""What noise suppression and background blur cost in the browser.

Run inside the media network namespace (as root):

    scripts/in-netns .venv/bin/python -m bench.effects [--rounds 3] [--seconds 15]

For each variant (no effect, noise suppression, background blur, both) a fresh headless Chromium
with the fake camera (1280x720) and microphone opens a room's pre-join screen with the effects
chosen, waits until the preview plays, and the CPU time of that Chromium's whole process tree is
read from /proc over the measuring window. Variants are interleaved round by round, so the
machine's load falls on all of them alike; medians and the ratio to "none" are printed.
Headless Chromium here has no GPU: WebGL (segmentation) and compositing run on the CPU through
SwiftShader, so blur costs more here than on a laptop with a GPU.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, sync_playwright
from tests.e2e.browser import CHROMIUM, MEDIA_ARGS, write_tone
from tests.support import in_media_namespace, start_server

VARIANTS: dict[str, dict[str, Any]] = {
    "none": {"noiseSuppression": False, "background": "none"},
    "noise": {"noiseSuppression": True, "background": "none"},
    "blur": {"noiseSuppression": False, "background": "blur"},
    "both": {"noiseSuppression": True, "background": "blur"},
}
WARM_UP_SECONDS = 3.0
"""After the preview plays: the models are loaded and the first frames segmented."""


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        tree.setdefault(parent, []).append(int(entry.name))
    return tree


def _browser_pid(tag: str) -> int:
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if tag in (entry / "cmdline").read_text():
                    return int(entry.name)
            except OSError:
                continue
    raise RuntimeError("the benchmark's Chromium is not running")


def _tree_cpu_seconds(root: int) -> float:
    """User + system CPU time of a process and all its descendants alive now."""
    tree, total, todo = _children(), 0.0, [root]
    tick = os.sysconf("SC_CLK_TCK")
    while todo:
        pid = todo.pop()
        todo.extend(tree.get(pid, []))
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _preview_ready(page: Page, variant: str) -> None:
    page.wait_for_function(
        "() => (document.querySelector('.preview video')?.videoWidth ?? 0) > 0", timeout=60000
    )
    if page.get_by_test_id("effect-error").count():
        raise RuntimeError(f"{variant}: {page.get_by_test_id('effect-error').inner_text()}")


def measure(playwright: Any, url: str, variant: str, seconds: float, microphone: Path) -> float:
    """CPU % of one core used by a Chromium showing the pre-join preview with ``variant``."""
    tag = f"--visio-bench={uuid.uuid4().hex}"
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM,
        args=[*MEDIA_ARGS, f"--use-file-for-fake-audio-capture={microphone}", tag],
    )
    try:
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        context.add_init_script(
            f"localStorage.setItem('visio.effects', {json.dumps(json.dumps(VARIANTS[variant]))})"
        )
        page = context.new_page()
        page.goto(url)
        _preview_ready(page, variant)
        time.sleep(WARM_UP_SECONDS)
        _preview_ready(page, variant)
        root = _browser_pid(tag)
        cpu0, t0 = _tree_cpu_seconds(root), time.monotonic()
        time.sleep(seconds)
        cpu1, t1 = _tree_cpu_seconds(root), time.monotonic()
        _preview_ready(page, variant)
        return 100 * (cpu1 - cpu0) / (t1 - t0)
    finally:
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=15)
    args = parser.parse_args()
    if not in_media_namespace():
        raise SystemExit(
            "run inside the media namespace: scripts/in-netns .venv/bin/python -m bench.effects"
        )
    folder = Path(tempfile.mkdtemp(prefix="visio-bench-effects-"))
    microphone = write_tone(folder / "tone.wav", 440.0)
    server = start_server(folder / "server")
    samples: dict[str, list[float]] = {variant: [] for variant in VARIANTS}
    try:
        url = f"{server.url}/{server.create_room()}"
        with sync_playwright() as playwright:
            for _ in range(args.rounds):
                for variant in VARIANTS:
                    samples[variant].append(
                        measure(playwright, url, variant, args.seconds, microphone)
                    )
    finally:
        server.stop()
    base = statistics.median(samples["none"])
    print(f"{'variant':<8} {'CPU % of one core (median)':>28} {'min':>7} {'max':>7} {'x none':>8}")
    for variant, values in samples.items():
        median = statistics.median(values)
        print(
            f"{variant:<8} {median:>28.1f} {min(values):>7.1f} {max(values):>7.1f} "
            f"{median / base:>8.2f}"
        )
    print(json.dumps({"cpu_percent_of_one_core": samples, "load_average": os.getloadavg()}))


if __name__ == "__main__":
    main()
