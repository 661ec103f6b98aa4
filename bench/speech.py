"""Speech benchmark: the packaged Whisper models side by side, streaming as the worker does.

    .venv/bin/python -m bench.speech [--models whisper-tiny.en whisper-base] [--max-speakers 6]

For each model: compute per second of audio (real-time factor, streaming and offline), WER of the
finals on the pocketsphinx-testdata LibriVox sentences, partial delay (end of a word → first
caption showing it, fed in real time), text produced on silence and noise, and how many speakers
fed at once the decoder keeps up with. Needs Debian's pocketsphinx-testdata.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from tests.speech.recordings import Recording, babble_noise, librivox, silence, white_noise

from visio.speech.models import ModelCatalog
from visio.speech.recogniser import Caption
from visio.speech.scoring import normalise_words, word_errors
from visio.speech.whisper import WhisperRecogniser, decode_batch

PAUSE = 1.5


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


class Timeline:
    def __init__(self) -> None:
        self.items: list[tuple[float, Caption]] = []
        self.lock = threading.Lock()

    def __call__(self, caption: Caption) -> None:
        with self.lock:
            self.items.append((time.monotonic(), caption))


def program(recordings: list[Recording]) -> tuple[np.ndarray, list[float]]:
    parts, starts, clock = [silence(0.5)], [], 0.5
    for recording in recordings:
        starts.append(clock)
        parts += [recording.audio, silence(PAUSE)]
        clock += recording.seconds + PAUSE
    return np.concatenate(parts), starts


def feed(stream: object, audio: np.ndarray, t0: float) -> None:
    for offset in range(0, audio.size, 320):
        stream.feed(audio[offset : offset + 320])  # type: ignore[attr-defined]
        time.sleep(max(0.0, t0 + (offset + 320) / 16000 - time.monotonic()))


def run_streams(
    engine: WhisperRecogniser, audio: np.ndarray, count: int
) -> tuple[list[Timeline], float]:
    timelines = [Timeline() for _ in range(count)]
    streams = [engine.open_stream("en", None, t) for t in timelines]
    t0 = time.monotonic() + 0.1
    threads = [threading.Thread(target=feed, args=(s, audio, t0)) for s in streams]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    time.sleep(3.0)
    for stream in streams:
        stream.close()
    time.sleep(1.0)
    return timelines, t0


def analyse(
    timeline: Timeline, t0: float, recordings: list[Recording], starts: list[float]
) -> dict[str, list[float]]:
    finals = [c for _, c in timeline.items if c.kind == "final" and c.text]
    errors = length = 0
    delays: list[float] = []
    final_lags: list[float] = []
    for recording, start in zip(recordings, starts, strict=True):
        end = start + recording.seconds
        mine = [c for c in finals if start - 0.5 <= c.start <= end]
        e, n = word_errors(recording.transcript, " ".join(c.text for c in mine))
        errors, length = errors + e, length + n
        for final in mine:
            arrival = next(t for t, c in timeline.items if c is final)
            final_lags.append(arrival - (t0 + final.end))
            seen = [
                (t, normalise_words(c.text))
                for t, c in timeline.items
                if c.segment_id == final.segment_id
            ]
            for index, word in enumerate(final.words):
                target = normalise_words(word.text)
                if not target:
                    continue
                shown = next(
                    (t for t, words in seen if target[0] in words[max(0, index - 2) : index + 3]),
                    None,
                )
                if shown is not None:
                    delays.append(shown - (t0 + word.end))
    return {"errors": [errors], "length": [length], "delays": delays, "final_lags": final_lags}


def offline_rtf(engine: WhisperRecogniser, model: str, recordings: list[Recording]) -> float:
    loaded = engine._model(model)
    started = time.perf_counter()
    for recording in recordings:
        decode_batch(loaded, [recording.audio], ["en"], True, engine.options)
    return (time.perf_counter() - started) / sum(r.seconds for r in recordings)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", nargs="+", default=["whisper-tiny.en", "whisper-base"])
    parser.add_argument("--max-speakers", type=int, default=6)
    args = parser.parse_args()
    recordings = librivox()
    audio, starts = program(recordings)
    cache = Path(tempfile.mkdtemp(prefix="visio-bench-"))
    rows: dict[str, dict[str, str]] = {}
    print(
        f"{len(recordings)} LibriVox sentences, {audio.size / 16000:.1f} s with pauses; "
        f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    for model in args.models:
        engine = WhisperRecogniser(
            ModelCatalog(cache), default_model=model, english_model=model, cpu_threads=2
        )
        engine.start()
        engine.preload(model)
        rtf = offline_rtf(engine, model, recordings)
        engine.decode_seconds = 0.0
        timelines, t0 = run_streams(engine, audio, 1)
        stream_rtf = engine.decode_seconds / (audio.size / 16000)
        result = analyse(timelines[0], t0, recordings, starts)
        quiet = Timeline()
        stream = engine.open_stream("en", None, quiet)
        for noise in (silence(10), white_noise(10, 0.02), babble_noise(10, 0.05)):
            stream.feed(noise)
        stream.close()
        time.sleep(4)
        noise_words = sum(len(c.text.split()) for _, c in quiet.items if c.kind == "final")
        capacity = 1
        for count in range(2, args.max_speakers + 1):
            tls, t0n = run_streams(engine, audio, count)
            lags = [lag for tl in tls for lag in analyse(tl, t0n, recordings, starts)["final_lags"]]
            delays = [d for tl in tls for d in analyse(tl, t0n, recordings, starts)["delays"]]
            ok = bool(lags) and pct(lags, 90) < 2.0 and pct(delays, 90) < 2.5
            print(
                f"  {model}: {count} speakers: final lag p90 {pct(lags, 90):.2f} s, "
                f"partial delay p90 {pct(delays, 90):.2f} s -> {'keeps up' if ok else 'falls behind'}",
                flush=True,
            )
            if not ok:
                break
            capacity = count
        engine.close()
        delays, lags = result["delays"], result["final_lags"]
        rows[model] = {
            "offline RTF (final decode, 30 s window)": f"{rtf:.3f}",
            "streaming compute per audio second": f"{stream_rtf:.3f}",
            "WER of finals": f"{100 * result['errors'][0] / result['length'][0]:.1f} %",
            "partial delay median / p90": f"{pct(delays, 50):.2f} / {pct(delays, 90):.2f} s",
            "final after end of speech median / p90": f"{pct(lags, 50):.2f} / {pct(lags, 90):.2f} s",
            "words on 30 s silence+noise": str(noise_words),
            "speakers kept up with (2 threads)": str(capacity),
        }
        print(f"  {model}: done", flush=True)
    names = list(rows)
    width = max(len(k) for k in next(iter(rows.values())))
    print("\n" + "".ljust(width) + "  " + "  ".join(n.ljust(16) for n in names))
    for key in next(iter(rows.values())):
        print(key.ljust(width) + "  " + "  ".join(rows[n][key].ljust(16) for n in names))


if __name__ == "__main__":
    main()
