"""Caption delay in the browser: end of a spoken word → that word on another participant's screen.

    scripts/in-netns .venv/bin/python -m bench.captions [--seconds 60] [--model-language en]

Alice's fake microphone loops a LibriVox recording (plus a pause); Bob's browser shows the
subtitles. Word end times come from aligning the recording offline with the packaged Whisper
tiny.en; Alice's browser records when its microphone started, which places every spoken word on
the wall clock. Bob's page records when each word first appears in a caption line (partial) and
when it appears in a final line. Both browsers run on this machine, so their clocks agree.
Expect ±50 ms of uncertainty from when Chromium starts playing the file.
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
from tests.speech.recordings import LIBRIVOX
from tests.support import in_media_namespace, start_server

from visio.speech.models import ModelCatalog

RECORDING = "sense_and_sensibility_01_austen_64kb-0870"
PAUSE = 2.5

MIC_START_JS = """
const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
navigator.mediaDevices.getUserMedia = async (constraints) => {
  const stream = await original(constraints);
  if (stream.getAudioTracks().length && !window.__micStartedAt) window.__micStartedAt = Date.now();
  return stream;
};
"""

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    if not in_media_namespace():
        raise SystemExit(
            "run inside the media namespace: scripts/in-netns .venv/bin/python -m bench.captions"
        )
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
