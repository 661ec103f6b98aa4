"""The embedded recogniser with more speakers than the CPU can decode in time: it sheds late work
and keeps captioning everyone, instead of falling ever further behind."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from tests.speech.recordings import Recording, silence
from tests.speech.test_speech_whisper_streaming import Collector
from tests.support import wait_until
from visio.speech.models import ModelCatalog
from visio.speech.whisper import StreamingOptions, WhisperRecogniser

SPEAKERS = 4
SENTENCES = 6  # per speaker, 3 s each with a 1 s pause
SPEED = 4.0  # audio fed this many times faster than real time: far more than 2 cores decode
# A huge value turns shedding off: what the recogniser did before it shed anything.
MAX_LAG = float(os.environ.get("VISIO_TEST_MAX_LAG", "2.0"))


@pytest.fixture
def overloaded(model_cache: Path) -> Iterator[WhisperRecogniser]:
    recogniser = WhisperRecogniser(
        ModelCatalog(model_cache), cpu_threads=2, options=StreamingOptions(max_lag=MAX_LAG)
    )
    recogniser.start()
    recogniser.preload("whisper-tiny.en")
    yield recogniser
    recogniser.close()


def time_one_round_of_finals(recogniser: WhisperRecogniser, audio: np.ndarray) -> float:
    """Seconds this machine, now, takes to decode one final for each speaker."""
    collector = Collector()
    stream = recogniser.open_stream("en", None, collector)
    stream.feed(np.concatenate([audio, silence(1.0)]))
    wait_until(lambda: collector.finals(), 60, "no final for one speaker alone")
    before = recogniser.decode_seconds
    streams = [recogniser.open_stream("en", None, collector) for _ in range(SPEAKERS)]
    for each in streams:
        each.feed(np.concatenate([audio, silence(1.0)]))
    wait_until(
        lambda: len(collector.finals()) >= 1 + SPEAKERS, 120, "no final for each of the speakers"
    )
    for each in [stream, *streams]:
        each.close()
    return recogniser.decode_seconds - before


def test_overloaded_recogniser_keeps_captioning_every_speaker(
    overloaded: WhisperRecogniser, librivox: list[Recording]
) -> None:
    """Four people talking at once, faster than the decoder can keep up with: each one's last
    sentence is still captioned soon after it is said (not after everything they said before
    it), and the audio skipped to get there is counted."""
    clips = [librivox[1], librivox[4]]  # 3.0 s and 3.3 s
    round_of_finals = time_one_round_of_finals(overloaded, clips[0].audio)

    programs: list[np.ndarray] = []
    last_starts: list[float] = []
    for index in range(SPEAKERS):
        parts = [silence(0.2 + 0.3 * index)]
        for sentence in range(SENTENCES):
            parts += [clips[sentence % 2].audio, silence(1.0)]
        last_starts.append(sum(p.size for p in parts[:-2]) / 16000)
        parts.append(silence(0.5))
        programs.append(np.concatenate(parts))
    collectors = [Collector() for _ in range(SPEAKERS)]
    streams = [overloaded.open_stream("en", None, c) for c in collectors]
    start = time.monotonic()
    longest = max(p.size for p in programs)
    for offset in range(0, longest, 320):  # 20 ms packets, SPEED times faster than real time
        for stream, program in zip(streams, programs, strict=True):
            if offset < program.size:
                stream.feed(program[offset : offset + 320])
        time.sleep(max(0.0, start + (offset + 320) / 16000 / SPEED - time.monotonic()))
    said = time.monotonic()

    def last_sentence_captioned(index: int) -> float | None:
        for arrived, caption in collectors[index].captions:
            if caption.kind == "final" and caption.text and caption.end > last_starts[index]:
                return arrived
        return None

    # Without shedding, each speaker's last final waits for all SENTENCES rounds of finals.
    budget = 3.5 * round_of_finals + 5
    try:
        wait_until(
            lambda: all(last_sentence_captioned(i) for i in range(SPEAKERS)),
            budget,
            lambda: (
                f"last sentences captioned: {[last_sentence_captioned(i) for i in range(SPEAKERS)]}"
                f", {time.monotonic() - said:.1f} s after they were said; a round of finals "
                f"takes {round_of_finals:.1f} s"
            ),
        )
        loads = [stream.load() for stream in streams]
    finally:
        for stream in streams:
            stream.close()
    assert all(load.dropped_seconds > 0 for load in loads), loads
