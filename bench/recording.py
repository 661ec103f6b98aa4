"""Recordings: disk used while recording, processing time against the meeting's length, and the
size of the finished file, for audio-only and audio-and-video recordings of a real meeting.

Run inside the media network namespace (as root), holding the browser lock on a shared machine:

    flock /work/browser.lock scripts/in-netns .venv/bin/python -m bench.recording [--seconds 60]

It starts its own `visio serve` (embedded Janus) and two Chromium participants with fake
cameras (640x480) and fake microphones playing tones, records ``--seconds`` of the meeting in
each mode (one after the other), then waits for the processed file. Processing runs as the
server runs it: one recording at a time, ffmpeg with VISIO_RECORDING_FFMPEG_THREADS (1) at
niceness 10. The machine's load average is printed: other work slows processing down.
"""

from __future__ import annotations

import argparse
import os
import re
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright
from tests.e2e.browser import Participants, write_tone
from tests.recording.media import probe, recording_rows, wait_finished
from tests.support import RunningServer, in_media_namespace, start_server, wait_until


def raw_bytes(server: RunningServer, recording_id: str) -> int:
    folder = server.data_dir / "recordings" / recording_id / "raw"
    return sum(p.stat().st_size for p in folder.glob("*.mjr"))


def record(server: RunningServer, alice: object, video: bool, seconds: float) -> dict[str, float]:
    page = alice.page  # type: ignore[attr-defined]
    page.get_by_test_id("recording-menu").click()
    page.get_by_test_id("recording-start-video" if video else "recording-start-audio").click()
    row = wait_until(
        lambda: next((r for r in recording_rows(server) if r["status"] == "recording"), None),
        30,
        "the recording did not start",
    )
    started = time.monotonic()
    time.sleep(seconds)  # a bench: the meeting lasts this long
    raw = raw_bytes(server, row["id"])
    page.get_by_test_id("recording-stop").click()
    span = time.monotonic() - started
    done = wait_finished(server, row["id"], timeout=max(600, seconds * 20))
    assert done["status"] == "ready", done["error"]
    pattern = rf"recording {row['id']} of room \S+ ready: ([\d.]+) s of \w+ in ([\d.]+) s"
    found = wait_until(
        lambda: re.search(pattern, server.log()), 30, "no processing time in the log"
    )
    path = server.data_dir / "recordings" / done["file_path"]
    streams = probe(path)
    return {
        "span_s": span,
        "duration_s": float(found[1]),
        "processing_s": float(found[2]),
        "raw_mb_per_min": raw / 1e6 / (span / 60),
        "file_mb_per_min": done["size_bytes"] / 1e6 / (done["duration_s"] / 60),
        "streams": " + ".join(s["codec_name"] for s in streams.streams),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="length of each recording")
    args = parser.parse_args()
    if not in_media_namespace():
        raise SystemExit("run inside scripts/in-netns (Janus cannot use loopback for ICE)")
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        tones = {
            name: write_tone(Path(folder) / f"{name}.wav", frequency, seconds=30)
            for name, frequency in (("alice", 440.0), ("bob", 660.0))
        }
        server = start_server(Path(folder) / "visio")
        people = Participants(playwright, tones)
        try:
            slug = server.create_room()
            alice, _bob = people.meeting(server.url, slug, "Alice", "Bob")
            results = {
                "audio": record(server, alice, video=False, seconds=args.seconds),
                "video": record(server, alice, video=True, seconds=args.seconds),
            }
        finally:
            people.close()
            server.stop()
    print(f"load average before/after: {os.getloadavg()[0]:.1f} (2 participants, 640x480)")
    print(
        f"{'mode':<6} {'recorded s':>10} {'file s':>7} {'processing s':>12} {'x length':>8} "
        f"{'raw MB/min':>10} {'file MB/min':>11}  streams"
    )
    for mode, r in results.items():
        print(
            f"{mode:<6} {r['span_s']:>10.1f} {r['duration_s']:>7.1f} {r['processing_s']:>12.1f} "
            f"{r['processing_s'] / r['duration_s']:>8.2f} {r['raw_mb_per_min']:>10.2f} "
            f"{r['file_mb_per_min']:>11.2f}  {r['streams']}"
        )


if __name__ == "__main__":
    main()
