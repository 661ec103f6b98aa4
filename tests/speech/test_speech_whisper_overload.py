"""The embedded recogniser with more speakers than the CPU can decode in time: it falls behind
but loses nothing (every utterance gets its final), skips partials rather than delay finals, and
says how far behind it is."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from tests.speech.recordings import Recording, silence
from tests.speech.test_speech_whisper_streaming import Collector
from tests.support import wait_until
from visio.speech.models import ModelCatalog
from visio.speech.scoring import word_error_rate
from visio.speech.whisper import StreamingOptions, WhisperRecogniser

SPEAKERS = 4
SENTENCES = 6  # per speaker, 3 s each with a 1 s pause
OVERLOAD = 3.0  # audio fed this many times faster than this machine decodes it, now


@pytest.fixture
def overloaded(model_cache: Path) -> Iterator[WhisperRecogniser]:
    recogniser = WhisperRecogniser(ModelCatalog(model_cache), cpu_threads=2)
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


def test_overloaded_recogniser_captions_every_utterance_and_reports_its_lag(
    overloaded: WhisperRecogniser, librivox: list[Recording]
) -> None:
    """Four people talking at once, faster than the decoder can keep up with: every sentence
    of every speaker still gets its final (late, but none dropped), and each stream reports
    how late its finals come."""
    clips = [librivox[1], librivox[4]]  # 3.0 s and 3.3 s
    round_of_finals = time_one_round_of_finals(overloaded, clips[0].audio)

    programs: list[np.ndarray] = []
    for index in range(SPEAKERS):
        parts = [silence(0.2 + 0.3 * index)]
        for sentence in range(SENTENCES):
            parts += [clips[sentence % 2].audio, silence(1.0)]
        parts.append(silence(0.5))
        programs.append(np.concatenate(parts))
    # One round (a sentence and its pause from every speaker) lasts about 4 s of audio; feed it
    # OVERLOAD times faster than a round of finals decodes, measured now (a quiet machine decodes
    # fast: a fixed speed would not overload it, and the lag asserted below would not appear).
    round_of_audio = (clips[0].audio.size + clips[1].audio.size) / 2 / 16000 + 1.0
    speed = max(6.0, OVERLOAD * round_of_audio / round_of_finals)
    collectors = [Collector() for _ in range(SPEAKERS)]
    streams = [overloaded.open_stream("en", None, c) for c in collectors]
    start = time.monotonic()
    longest = max(p.size for p in programs)
    for offset in range(0, longest, 320):  # 20 ms packets, `speed` times faster than real time
        for stream, program in zip(streams, programs, strict=True):
            if offset < program.size:
                stream.feed(program[offset : offset + 320])
        time.sleep(max(0.0, start + (offset + 320) / 16000 / speed - time.monotonic()))
    said = time.monotonic()
    lags = [0.0]

    def finals(index: int) -> list[str]:
        return [text for text in (c.text for c in collectors[index].finals()) if text]

    def all_captioned() -> bool:
        lags.extend(stream.load().final_lag_seconds for stream in streams)
        return all(len(finals(i)) >= SENTENCES for i in range(SPEAKERS))

    try:
        wait_until(
            all_captioned,
            SENTENCES * 2 * round_of_finals + 30,
            lambda: (
                f"finals per speaker: {[len(finals(i)) for i in range(SPEAKERS)]} of "
                f"{SENTENCES}, {time.monotonic() - said:.1f} s after the last was said; a round "
                f"of finals takes {round_of_finals:.1f} s"
            ),
        )
        loads = [stream.load() for stream in streams]
    finally:
        for stream in streams:
            stream.close()
    for index in range(SPEAKERS):
        for sentence, text in enumerate(finals(index)[:SENTENCES]):
            assert word_error_rate(clips[sentence % 2].transcript, text) < 0.3, (index, text)
    assert all(load.dropped_seconds == 0 for load in loads), loads
    # Fed three times faster than it decodes, six rounds deep, the decoder ends about four rounds
    # behind: the streams must say they were at least one round late.
    assert max(lags) > round_of_finals, (round_of_finals, lags)


def test_a_queue_fed_while_the_decoder_counts_it_loses_nothing(model_cache: Path) -> None:
    """The decoder keeps count of the audio waiting in a stream's queue (to drop the oldest
    beyond ``max_backlog``) while the receiving thread appends to that queue. Walking the queue
    to count it raised "deque mutated during iteration" under load, which lost the finals of
    every stream in that decoder step (found in the busy-meeting browser test beside
    `stress-ng`). Here a thread feeds tiny chunks as fast as it can while the decoder steps:
    no step fails, and the overflow is counted as dropped."""
    recogniser = WhisperRecogniser(
        ModelCatalog(model_cache), options=StreamingOptions(max_backlog=0.5)
    )
    recogniser.start(thread=False)
    stream = recogniser.open_stream("en", None, lambda caption: None)
    stop = threading.Event()

    def feeding() -> None:
        chunk = np.zeros(16, dtype=np.float32)
        while not stop.is_set():
            stream.feed(chunk)

    feeder = threading.Thread(target=feeding)
    feeder.start()
    try:
        deadline = time.monotonic() + 3.0
        while time.monotonic() < deadline:
            recogniser.run_until_idle()
    finally:
        stop.set()
        feeder.join()
    load = stream.load()
    assert load.decode_errors == 0
    assert load.dropped_seconds > 0  # the feeder outran the VAD: the oldest audio went


def test_a_stream_that_fails_costs_no_other_stream_its_final(
    model_cache: Path, librivox: list[Recording], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two speakers' audio ingested in the same decoder step, and the second stream's voice
    detection fails once (a fault injected here). The first speaker's final still comes; the
    failure is counted on the second stream, which goes on listening."""
    recogniser = WhisperRecogniser(ModelCatalog(model_cache), cpu_threads=2)
    recogniser.start(thread=False)
    first, second = Collector(), Collector()
    speaker = recogniser.open_stream("en", None, first)
    broken = recogniser.open_stream("en", None, second)
    detect = broken.vad.feed
    faults = iter([RuntimeError("injected fault")])

    def failing_once(pcm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        fault = next(faults, None)
        if fault is not None:
            raise fault
        return detect(pcm)

    monkeypatch.setattr(broken.vad, "feed", failing_once)
    speaker.feed(np.concatenate([librivox[2].audio, silence(1.5)]))
    broken.feed(silence(0.5))
    recogniser.run_until_idle()
    [final] = first.finals()
    assert word_error_rate(librivox[2].transcript, final.text) <= 0.3, final.text
    assert broken.load().decode_errors == 1
    broken.feed(np.concatenate([librivox[2].audio, silence(1.5)]))
    recogniser.run_until_idle()
    assert len(second.finals()) == 1
