"""Caption delay in the browser: end of a spoken word → that word on another participant's screen.

    scripts/in-netns .venv/bin/python -m bench.captions [--seconds 60]
    scripts/in-netns .venv/bin/python -m bench.captions --busy   # the busy meeting, below

Alice's fake microphone loops a LibriVox recording (plus a pause); Bob's browser shows the
subtitles. Word end times come from aligning the recording offline with the packaged Whisper
tiny.en; Alice's browser records when its microphone started, which places every spoken word on
the wall clock. Bob's page records when each word first appears in a caption line (partial) and
when it appears in a final line. Both browsers run on this machine, so their clocks agree.
Expect ±50 ms of uncertainty from when Chromium starts playing the file.

``--busy``: the busy meeting of tests/e2e/test_captions_busy.py (a silent viewer with subtitles
on, three speakers joining ten seconds apart and taking turns, three utterances each), with
cameras on and then off, in fresh rooms of one server. For each speaker it reports *coverage*
(utterances that reached the viewer as finals, matched as the test matches them) and the *final
delay* (end of the utterance's speech → the final holding it on the viewer's screen), plus what
the speech worker said of its load (/metrics).
"""

from __future__ import annotations

import argparse
import re
import statistics
import struct
import tempfile
import time
import wave
from pathlib import Path
from typing import Any

from faster_whisper import WhisperModel
from playwright.sync_api import sync_playwright
from tests.e2e.browser import Participants
from tests.e2e.busy_meeting import MIC_START_JS, SPEAKERS, BusyMeeting, write_tracks
from tests.speech.recordings import LIBRIVOX
from tests.support import in_media_namespace, start_server

from visio.speech.models import ModelCatalog

RECORDING = "sense_and_sensibility_01_austen_64kb-0870"
PAUSE = 2.5

CAPTION_WATCH_JS = """
window.__captionEvents = [];
window.addEventListener('DOMContentLoaded', () => {
  const seen = new Map();
  const scan = () => {
    for (const line of document.querySelectorAll('[data-testid="caption-line"]')) {
      const text = (line.querySelector('.caption-line__text') ?? line).textContent;
      const key = line.dataset.participantId + '|' + line.dataset.kind + '|' + text;
      if (seen.has(key)) continue;
      seen.set(key, true);
      window.__captionEvents.push({at: Date.now(), who: line.dataset.participantId,
                                   kind: line.dataset.kind, text});
    }
  };
  new MutationObserver(scan).observe(document.body, {subtree: true, childList: true, characterData: true});
});
"""


def words(text: str) -> list[str]:
    return re.findall(r"[a-z']+", text.lower())


def looped(source: Path, target: Path) -> float:
    with wave.open(str(source)) as file:
        rate, frames = file.getframerate(), file.readframes(file.getnframes())
        seconds = file.getnframes() / rate
    with wave.open(str(target), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames + struct.pack("<h", 0) * int(PAUSE * rate))
    return seconds + PAUSE


def reference_words(path: Path, data_dir: Path) -> list[tuple[str, float, float]]:
    model_dir = ModelCatalog(data_dir).prepare("whisper-tiny.en")
    model = WhisperModel(str(model_dir), device="cpu", compute_type="int8")
    segments, _ = model.transcribe(str(path), language="en", word_timestamps=True)
    return [
        (w, word.start, word.end)
        for s in segments
        for word in (s.words or [])
        for w in words(word.word)
    ]


def quantiles(values: list[float]) -> str:
    if not values:
        return "no data"
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    return f"median {statistics.median(ordered):.2f} s, p90 {p90:.2f} s (n={len(ordered)})"


BUSY_GRACE = 120.0
"""Seconds after the meeting's last word is due to wait for late finals before counting (unless
all arrived before)."""
WORKER_FIGURES = (
    "visio_speech_worker_dropped_audio_seconds_total",
    "visio_speech_worker_rtp_packets_total",
    "visio_speech_worker_rtp_lost_packets_total",
    "visio_speech_worker_rtp_rejected_packets_total",
    "visio_captions_undelivered_total",
    "visio_caption_streams_unplaced_total",
)


def metric_values(text: str) -> dict[str, float]:
    values: dict[str, float] = {}
    for line in text.splitlines():
        name = line.split("{")[0].split(" ")[0]
        if name in WORKER_FIGURES:
            values[name] = values.get(name, 0.0) + float(line.rsplit(" ", 1)[1])
    return values


def busy(folder: Path) -> None:
    """The busy meeting, cameras on then off: coverage and final delay per speaker."""
    files, said = write_tracks(folder)
    server = start_server(folder / "server", speech_embedded_workers="1")
    rows: list[tuple[str, str, int, int, list[float]]] = []
    figures: dict[str, dict[str, float]] = {}
    playback: list[str] = []
    try:
        deadline = time.monotonic() + 120
        while "visio_speech_workers 1" not in server.metrics() and time.monotonic() < deadline:
            time.sleep(0.5)
        with sync_playwright() as playwright:
            for cameras in ("on", "off"):
                before = metric_values(server.metrics())
                crowd = Participants(playwright, files)
                try:
                    meeting = BusyMeeting.start(server, crowd, said, cameras == "on")
                    end = meeting.last_word_at + BUSY_GRACE
                    while time.time() < end and any(
                        None in found for found in meeting.found().values()
                    ):
                        time.sleep(1)
                    finals, found = meeting.finals(), meeting.found()
                    for name, person in meeting.speakers.items():
                        # A loaded machine plays the fake microphone slower than the wall
                        # clock: then words come later than their place in the track.
                        sent = person.published_audio().get("packetsSent", 0) * 0.02
                        elapsed = time.time() - meeting.mic_started[name]
                        playback.append(f"{cameras}/{name} {sent:.0f} s in {elapsed:.0f} s")
                    for name in SPEAKERS:
                        delays = [
                            finals[name][index]["at"] / 1000 - meeting.mic_started[name] - u.end
                            for u, index in zip(said[name], found[name], strict=True)
                            if index is not None
                        ]
                        rows.append((cameras, name, len(delays), len(said[name]), delays))
                finally:
                    crowd.close()
                after = metric_values(server.metrics())
                figures[cameras] = {k: after.get(k, 0) - before.get(k, 0) for k in WORKER_FIGURES}
    finally:
        server.stop()
    print(f"{'cameras':8} {'speaker':8} {'coverage':>9} {'final delay median':>19} {'p90':>7}")
    for cameras in ("on", "off"):
        mine = [row for row in rows if row[0] == cameras]
        total = (
            "all",
            sum(r[2] for r in mine),
            sum(r[3] for r in mine),
            [d for r in mine for d in r[4]],
        )
        for name, got, out_of, delays in [row[1:] for row in mine] + [total]:
            median = f"{statistics.median(delays):.2f} s" if delays else "-"
            print(f"{cameras:8} {name:8} {got:>4}/{out_of:<4} {median:>19} {p90(delays):>7}")
    print("audio each microphone sent, over the time since it opened: " + ", ".join(playback))
    for cameras, values in figures.items():
        print(f"cameras {cameras}: " + ", ".join(f"{k} +{v:g}" for k, v in values.items()))


def p90(values: list[float]) -> str:
    if not values:
        return "-"
    ordered = sorted(values)
    return f"{ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]:.2f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--busy", action="store_true", help="the busy meeting (see above)")
    args = parser.parse_args()
    if not in_media_namespace():
        raise SystemExit(
            "run inside the media namespace: scripts/in-netns .venv/bin/python -m bench.captions"
        )
    if args.busy:
        busy(Path(tempfile.mkdtemp(prefix="visio-bench-busy-")))
        return
    folder = Path(tempfile.mkdtemp(prefix="visio-bench-captions-"))
    source = LIBRIVOX / f"{RECORDING}.wav"
    loop = looped(source, folder / "alice.wav")
    reference = reference_words(source, folder / "models")
    server = start_server(folder / "server", speech_embedded_workers="1")
    try:
        deadline = time.monotonic() + 120
        while "visio_speech_workers 1" not in server.metrics() and time.monotonic() < deadline:
            time.sleep(0.5)
        with sync_playwright() as playwright:
            crowd = Participants(playwright, {"alice": folder / "alice.wav"})
            slug = server.create_room()
            alice = crowd.join(server.url, slug, "Alice", init_script=MIC_START_JS)
            bob = crowd.join(server.url, slug, "Bob", init_script=CAPTION_WATCH_JS)
            bob.wait_video_flowing(alice.participant_id)
            alice.page.get_by_test_id("toggle-captions-panel").click()
            alice.page.get_by_test_id("captions-language").select_option("en")
            alice.page.get_by_test_id("captions-on").click()
            time.sleep(args.seconds)
            started_at = alice.page.evaluate("() => window.__micStartedAt")
            events: list[dict[str, Any]] = bob.page.evaluate("() => window.__captionEvents")
            speaker = alice.participant_id
            crowd.close()
    finally:
        server.stop()

    mine = [e for e in events if e["who"] == speaker]
    first_caption = min((e["at"] for e in mine), default=None)
    partial_delays, final_delays = [], []
    if first_caption is not None:
        loops = int((first_caption - started_at) / 1000 / loop)
        while started_at + (loops * loop) * 1000 < mine[-1]["at"]:
            base = started_at + loops * loop * 1000
            for word, start, end in reference:
                spoken_start, spoken_end = base + start * 1000, base + end * 1000
                if spoken_start < first_caption - 1000:
                    continue
                shown = [
                    e
                    for e in mine
                    if e["at"] >= spoken_start
                    and word in words(e["text"])
                    and e["at"] - spoken_end < 8000
                ]
                if shown:
                    partial_delays.append((shown[0]["at"] - spoken_end) / 1000)
                finals = [e for e in shown if e["kind"] == "final"]
                if finals:
                    final_delays.append((finals[0]["at"] - spoken_end) / 1000)
            loops += 1
    print(f"caption delay, first display (partial or final): {quantiles(partial_delays)}")
    print(f"caption delay, final text:                        {quantiles(final_delays)}")


if __name__ == "__main__":
    main()
