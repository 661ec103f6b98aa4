"""Speech benchmark: the streaming recogniser as the worker runs it, before and after, side by side.

    .venv/bin/python -m bench.speech [--only accuracy|capacity] [--variants before after]
        [--models whisper-tiny.en whisper-base] [--max-speakers 6]

Two measurements, each printed as one table with a column per variant (``VARIANTS``):

* **accuracy** (virtual time: the audio is replayed as fast as the decoder goes, every partial
  and final decoded as if the CPU kept up): word error rate of the live finals per speaker, on
  English (Debian's pocketsphinx-testdata: LibriVox and CMU "cards") and on Visio's held-out
  French meetings (tests/speech/data/french), next to the offline WER of the same model
  decoding each whole track with beam search (faster-whisper ``transcribe``);
* **capacity** (real time): N speakers fed at once at the speed of speech, each talking with
  pauses; a model keeps up with N when 90 % of finals arrive within 1.5 s of the end of speech
  and 90 % of words show in a partial within 2.5 s.

WER uses the one normalisation of ``visio.speech.scoring`` (docs/speech.md).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tests.speech import recordings
from tests.speech.recordings import Recording, silence

from visio.speech.models import ModelCatalog
from visio.speech.recogniser import Caption, Language
from visio.speech.scoring import word_errors
from visio.speech.whisper import StreamingOptions, WhisperRecogniser

RATE = 16000
CHUNK = 1600  # 100 ms: how the virtual-time replay advances

# "before": the recogniser as it was (greedy finals on a 30 s window, every 0.5 s pause ending
# an utterance, partials on a 10 s window whatever the load). "after": today's defaults.
VARIANTS: dict[str, StreamingOptions] = {
    "before": StreamingOptions(
        final_context=30.0,
        final_beam_size=1,
        min_silence=0.5,
        max_silence=0.5,
        max_utterance=20.0,
        hard_max_utterance=20.0,
        partial_context=10.0,
        partial_budget=1e9,
        partials_pause_lag=1e9,
        partials_stop_lag=1e9,
        max_backlog=30.0,
        partial_quiet=0.5,
        show_early=False,
    ),
    # issue 8 as of 2026-12-03: partials until the pause reaches 0.5 s, stopped for 10 s by any
    # final later than 1.5 s, an early final's text held back until the pause ends
    "2026-12-03": StreamingOptions(
        partial_quiet=0.5, show_early=False, partials_pause_lag=1e9, partials_stop_lag=1.5
    ),
    "after": StreamingOptions(),
    "greedy": StreamingOptions(final_beam_size=1),
    "beam3": StreamingOptions(final_beam_size=3),
    "beam2": StreamingOptions(final_beam_size=2),
    "window30": StreamingOptions(final_context=30.0),
    "window30mel": StreamingOptions(final_context=30.0, mel_padding=True),
    "pause0.5": StreamingOptions(max_silence=0.5),
    "pause0.8": StreamingOptions(max_silence=0.8),
    "pause1.2": StreamingOptions(max_silence=1.2),
    "prompt": StreamingOptions(final_prompt=True),
    "prompt30": StreamingOptions(final_prompt=True, final_context=30.0),
    "sentence": StreamingOptions(sentence_ends=True),
    "no-early": StreamingOptions(early_finals=False),
    "budget0.6": StreamingOptions(partial_budget=0.6),
    "one-decoder": StreamingOptions(),  # with ENGINES below: decodes one at a time on every core
}
# What a variant changes in the engine rather than in its options.
ENGINES: dict[str, dict[str, int]] = {"one-decoder": {"decoders": 1}}


@dataclass(frozen=True)
class Utterance:
    start: float
    end: float
    text: str


@dataclass(frozen=True)
class Track:
    """One speaker's microphone: audio and what they said when."""

    name: str
    language: Language  # what the stream is opened with ("auto" detects it)
    audio: np.ndarray
    utterances: tuple[Utterance, ...]
    spoken: str = "en"  # what the speaker speaks: the normalisation that scores them


Meeting = list[Track]


def spaced(name: str, clips: list[Recording], pause: float = 1.5) -> Track:
    parts, utterances, clock = [silence(0.5)], [], 0.5
    for clip in clips:
        utterances.append(Utterance(clock, clock + clip.seconds, clip.transcript))
        parts += [clip.audio, silence(pause)]
        clock += clip.seconds + pause
    return Track(name, "en", np.concatenate(parts), tuple(utterances))


def english() -> list[Meeting]:
    return [[spaced("librivox", recordings.librivox()), spaced("cards", recordings.cards())]]


def from_set(meeting: object, language: Language | None = None) -> Meeting:
    """A meeting of Visio's French test set (tests/speech/data/french) as tracks;
    ``language`` overrides each speaker's own (e.g. "auto")."""
    from tests.speech.meetings import Meeting as SetMeeting

    assert isinstance(meeting, SetMeeting)
    return [
        Track(
            f"{meeting.name}/{speaker.id}",
            language or speaker.language,  # type: ignore[arg-type]
            speaker.track,
            tuple(Utterance(u.start, u.end, u.text) for u in meeting.utterances_of(speaker.id)),
            speaker.language,
        )
        for speaker in meeting.speakers
    ]


def french() -> list[Meeting]:
    from tests.speech.meetings import french_meetings

    return [from_set(meeting) for meeting in french_meetings()]


def mixed(language: Language) -> list[Meeting]:
    from tests.speech.meetings import mixed_meeting

    return [from_set(mixed_meeting(), language)]


# --- accuracy, in virtual time ---------------------------------------------------------------


def replay(engine: WhisperRecogniser, meeting: Meeting) -> dict[str, list[Caption]]:
    """Every track of a meeting through its own stream, decoding whatever is due each 100 ms."""
    captions: dict[str, list[Caption]] = {track.name: [] for track in meeting}
    streams = [
        engine.open_stream(track.language, None, captions[track.name].append) for track in meeting
    ]
    longest = max(track.audio.size for track in meeting)
    for offset in range(0, longest, CHUNK):
        for stream, track in zip(streams, meeting, strict=True):
            if offset < track.audio.size:
                stream.feed(track.audio[offset : offset + CHUNK])
        engine.run_until_idle()
    for stream in streams:
        stream.close()
    engine.run_until_idle()
    return captions


def finals_text(captions: list[Caption]) -> str:
    return " ".join(c.text for c in captions if c.kind == "final" and c.text)


def offline_text(engine: WhisperRecogniser, model: str, track: Track) -> str:
    whisper = engine._model(model).whisper
    segments, _ = whisper.transcribe(
        track.audio,
        language=None if track.language == "auto" else track.language,
        beam_size=5,
        vad_filter=True,
    )
    return " ".join(segment.text.strip() for segment in segments)


@dataclass
class Score:
    errors: int = 0
    words: int = 0

    def add(self, reference: str, hypothesis: str, language: str) -> None:
        errors, words = word_errors(reference, hypothesis, language)
        self.errors += errors
        self.words += words

    def __str__(self) -> str:
        return f"{100 * self.errors / max(1, self.words):.1f} %"


def accuracy(
    catalog: ModelCatalog, model: str, data: list[Meeting], variants: list[str]
) -> dict[str, dict[str, str]]:
    """Rows: per speaker and overall, the live finals' WER per variant and the offline WER."""
    table: dict[str, dict[str, str]] = {}
    totals: dict[str, Score] = {}
    offline_total = Score()
    for meeting in data:
        for variant in variants:
            engine = WhisperRecogniser(
                catalog, default_model=model, english_model=model, options=VARIANTS[variant]
            )
            engine.start(thread=False)
            captions = replay(engine, meeting)
            for track in meeting:
                reference = " ".join(u.text for u in track.utterances)
                score = Score()
                score.add(reference, finals_text(captions[track.name]), track.spoken)
                cell = str(score)
                if track.language == "auto":  # and how many finals were in the right language
                    finals = [c for c in captions[track.name] if c.kind == "final" and c.text]
                    right = sum(c.language == track.spoken for c in finals)
                    cell += f" {right}/{len(finals)}"
                table.setdefault(track.name, {})[variant] = cell
                totals.setdefault(variant, Score()).add(
                    reference, finals_text(captions[track.name]), track.spoken
                )
            if variant == variants[0]:
                for track in meeting:
                    reference = " ".join(u.text for u in track.utterances)
                    score = Score()
                    hypothesis = offline_text(engine, model, track)
                    score.add(reference, hypothesis, track.spoken)
                    offline_total.add(reference, hypothesis, track.spoken)
                    table[track.name]["offline"] = str(score)
            engine.close()
    overall = {variant: str(score) for variant, score in totals.items()}
    overall["offline"] = str(offline_total)
    table["ALL"] = overall
    return table


# --- capacity, in real time ------------------------------------------------------------------


class Timeline:
    def __init__(self) -> None:
        self.items: list[tuple[float, Caption]] = []
        self.lock = threading.Lock()

    def __call__(self, caption: Caption) -> None:
        with self.lock:
            self.items.append((time.monotonic(), caption))


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def feed(stream: object, audio: np.ndarray, t0: float) -> None:
    for offset in range(0, audio.size, 320):
        stream.feed(audio[offset : offset + 320])  # type: ignore[attr-defined]
        time.sleep(max(0.0, t0 + (offset + 320) / RATE - time.monotonic()))


def real_time(
    engine: WhisperRecogniser, track: Track, count: int
) -> tuple[list[float], list[float], int, int]:
    """``count`` speakers saying ``track`` at once (shifted by a quarter second each): final
    lags (end of an utterance → its final), partial delays (end of a word → first shown),
    utterances with a final, utterances said."""
    timelines = [Timeline() for _ in range(count)]
    streams = [engine.open_stream(track.language, None, t) for t in timelines]
    t0 = time.monotonic() + 0.1
    threads = [
        threading.Thread(target=feed, args=(s, track.audio, t0 + 0.25 * i))
        for i, s in enumerate(streams)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for stream in streams:
        stream.close()
    for stream in streams:
        stream.finished.wait(60)  # type: ignore[attr-defined]
    lags: list[float] = []
    delays: list[float] = []
    captioned = 0
    for index, timeline in enumerate(timelines):
        start = t0 + 0.25 * index
        finals = [(t, c) for t, c in timeline.items if c.kind == "final" and c.text]
        for utterance in track.utterances:
            if any(
                c.start < utterance.end + 0.3 and c.end > utterance.start - 0.3 for _, c in finals
            ):
                captioned += 1
        # A final's lag: from the end of its last word to its arrival (a final may hold several
        # sentences said with short pauses between them).
        lags += [t - (start + c.end) for t, c in finals]
        for arrival, caption in finals:
            for word in caption.words:
                shown = next(
                    (
                        t
                        for t, c in timeline.items
                        if c.segment_id == caption.segment_id and word.text in c.text
                    ),
                    arrival,
                )
                delays.append(shown - (start + word.end))
    return lags, delays, captioned, count * len(track.utterances)


def capacity(
    catalog: ModelCatalog,
    models: list[str],
    track_for: Callable[[str], Track],
    variants: list[str],
    max_speakers: int,
) -> dict[str, dict[str, str]]:
    table: dict[str, dict[str, str]] = {}
    for model in models:
        track = track_for(model)
        for variant in variants:
            engine = WhisperRecogniser(
                catalog,
                default_model=model,
                english_model=model,
                options=VARIANTS[variant],
                **ENGINES.get(variant, {}),
            )
            engine.start()
            engine.preload(model)
            kept = 0
            detail = ""
            for count in range(1, max_speakers + 1):
                lags, delays, captioned, said = real_time(engine, track, count)
                ok = captioned == said and pct(lags, 90) <= 1.5 and pct(delays, 90) <= 2.5
                print(
                    f"  {model} {variant}: {count} speakers: {captioned}/{said} utterances, "
                    f"final lag median {pct(lags, 50):.2f} p90 {pct(lags, 90):.2f} s, "
                    f"partial delay p90 {pct(delays, 90):.2f} s -> "
                    f"{'keeps up' if ok else 'falls behind'}",
                    flush=True,
                )
                if count == 1:
                    detail = f"{pct(lags, 50):.2f} / {pct(lags, 90):.2f} s"
                if ok and kept == count - 1:
                    kept = count  # every count up to here kept up; later ones still measured
            engine.close()
            row = table.setdefault(f"{model} ({track.language})", {})
            row[variant] = str(kept)
            table.setdefault("  1 speaker: final lag median / p90", {})[variant] = detail
    return table


def print_table(title: str, table: dict[str, dict[str, str]]) -> None:
    columns: list[str] = []
    for row in table.values():
        columns += [c for c in row if c not in columns]
    width = max(len(k) for k in table) + 2
    print(f"\n{title}\n" + "".ljust(width) + "".join(c.ljust(11) for c in columns))
    for key, row in table.items():
        print(key.ljust(width) + "".join(row.get(c, "").ljust(11) for c in columns))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", choices=["accuracy", "capacity"])
    parser.add_argument("--variants", nargs="+", default=["before", "after"])
    parser.add_argument("--languages", nargs="+", default=["en", "fr", "auto"])
    parser.add_argument("--models", nargs="+", default=["whisper-tiny.en", "whisper-base"])
    parser.add_argument("--max-speakers", type=int, default=6)
    args = parser.parse_args()
    catalog = ModelCatalog(Path(tempfile.mkdtemp(prefix="visio-bench-")))
    print(f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}", flush=True)
    if args.only != "capacity":
        for language in args.languages:
            data = {"en": english, "fr": french, "auto": lambda: mixed("auto")}[language]()
            model = "whisper-tiny.en" if language == "en" else "whisper-base"
            started = time.monotonic()
            table = accuracy(catalog, model, data, args.variants)
            print_table(
                f"WER of live finals ({language}, {model}; offline = whole tracks, beam 5) "
                f"[{time.monotonic() - started:.0f} s]",
                table,
            )
    if args.only != "accuracy":

        def track_for(model: str) -> Track:
            if model.endswith(".en") or "fr" not in args.languages:
                return spaced("librivox", recordings.librivox())
            return french()[0][0]  # the first French meeting's first speaker

        table = capacity(catalog, args.models, track_for, args.variants, args.max_speakers)
        print_table("Speakers kept up with on this machine (real time)", table)


if __name__ == "__main__":
    main()
