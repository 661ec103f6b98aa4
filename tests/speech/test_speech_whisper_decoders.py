"""Decodes side by side: the embedded recogniser hands finals to one decoder thread per core,
delivers each speaker's finals in the order they were said whatever order their decodes end in,
and never decodes an early final the speaker went on after."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.speech.recordings import Recording, silence
from tests.speech.test_speech_whisper_streaming import Collector, quietest_point
from tests.support import wait_until
from visio.speech import whisper as whisper_module
from visio.speech.models import ModelCatalog
from visio.speech.scoring import word_error_rate
from visio.speech.whisper import WhisperRecogniser


@dataclass
class Decode:
    thread: str
    seconds: float  # audio decoded (the longest window of the batch)
    final: bool
    started: float
    ended: float


class DecodeLog:
    """Every real decode the recogniser runs: which thread, when, of how much audio. A final's
    decode of audio longer than ``slow_above`` seconds first waits ``delay`` seconds (a decoder
    that happens to be slower on it: another process took the core)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.decodes: list[Decode] = []
        self.lock = threading.Lock()
        self.slow_above = float("inf")
        self.delay = 0.0
        real = whisper_module.decode_batch

        def logged(model: Any, audios: list[np.ndarray], *args: Any, **kwargs: Any) -> Any:
            started = time.monotonic()
            longest = max(a.size for a in audios) / 16000
            final = bool(kwargs.get("final", args[1] if len(args) > 1 else False))
            if final and longest > self.slow_above:
                time.sleep(self.delay)
            try:
                return real(model, audios, *args, **kwargs)
            finally:
                decode = Decode(
                    threading.current_thread().name, longest, final, started, time.monotonic()
                )
                with self.lock:
                    self.decodes.append(decode)

        monkeypatch.setattr(whisper_module, "decode_batch", logged)

    def finals(self) -> list[Decode]:
        with self.lock:
            return [d for d in self.decodes if d.final]


@pytest.fixture
def decodes(monkeypatch: pytest.MonkeyPatch) -> DecodeLog:
    return DecodeLog(monkeypatch)


@pytest.fixture
def two_decoders(model_cache: Path) -> Iterator[WhisperRecogniser]:
    recogniser = WhisperRecogniser(ModelCatalog(model_cache), cpu_threads=2)
    assert recogniser.decoders == 2  # one per core on CPU
    recogniser.start()
    recogniser.preload("whisper-tiny.en")
    yield recogniser
    recogniser.close()


def test_two_speakers_finishing_together_are_decoded_side_by_side(
    two_decoders: WhisperRecogniser, decodes: DecodeLog, librivox: list[Recording]
) -> None:
    """Two people end a sentence at the same moment: their finals are decoded at the same time
    on two decoder threads (not one after the other, nor in one batch), and both are right.
    Each final's decode is made to last at least a second, so that the two overlap however
    busy the machine is, if the recogniser runs them at once."""
    decodes.slow_above, decodes.delay = 0.0, 1.0
    clips = [librivox[1], librivox[4]]
    collectors = [Collector(), Collector()]
    streams = [two_decoders.open_stream("en", None, c) for c in collectors]
    for stream, clip in zip(streams, clips, strict=True):
        stream.feed(np.concatenate([silence(0.3), clip.audio, silence(1.5)]))
    wait_until(
        lambda: all(c.finals() for c in collectors), 60, "no final for one of the two speakers"
    )
    for stream in streams:
        stream.close()
    for collector, clip in zip(collectors, clips, strict=True):
        [final] = collector.finals()
        assert word_error_rate(clip.transcript, final.text) <= 0.3, final.text
    finals = decodes.finals()
    assert len(finals) == 2, finals  # one decode each: not one batch of two
    first, second = sorted(finals, key=lambda d: d.started)
    assert first.thread != second.thread, finals
    assert second.started < first.ended, f"decoded one after the other: {finals}"


def test_a_speakers_finals_arrive_in_the_order_they_were_said(
    two_decoders: WhisperRecogniser, decodes: DecodeLog, librivox: list[Recording]
) -> None:
    """One speaker's two sentences reach the recogniser at once (a decoder that fell behind):
    their finals are decoded side by side, the first one slower, so the second sentence's
    decode ends first. The captions still come in the order the sentences were said."""
    first, second = librivox[0], librivox[1]  # 5.7 s and 3.0 s
    decodes.slow_above, decodes.delay = 4.5, 2.0
    collector = Collector()
    stream = two_decoders.open_stream("en", None, collector)
    stream.feed(
        np.concatenate([silence(0.3), first.audio, silence(1.5), second.audio, silence(1.5)])
    )
    wait_until(lambda: len(collector.finals()) >= 2, 60, "two finals for two sentences")
    stream.close()
    slow, fast = sorted(decodes.finals(), key=lambda d: -d.seconds)
    assert fast.ended < slow.ended, "the test meant the second sentence's decode to end first"
    texts = [c.text for c in collector.finals()]
    assert word_error_rate(first.transcript, texts[0]) <= 0.3, texts
    assert word_error_rate(second.transcript, texts[1]) <= 0.3, texts


def test_an_early_final_the_speaker_went_on_after_is_never_decoded(
    model_cache: Path, decodes: DecodeLog, librivox: list[Recording]
) -> None:
    """A 0.7 s breath inside a sentence makes an early final at 0.5 s; the speaker goes on
    before any decoder took it (the audio arrives all at once): it is dropped undecoded, and
    the sentence is decoded once, whole."""
    recogniser = WhisperRecogniser(ModelCatalog(model_cache), cpu_threads=2)
    recogniser.start()
    try:
        sentence = librivox[0]
        cut = quietest_point(sentence.audio, 3.2, 4.2)
        audio = np.concatenate(
            [silence(0.3), sentence.audio[:cut], silence(0.7), sentence.audio[cut:], silence(1.5)]
        )
        collector = Collector()
        stream = recogniser.open_stream("en", None, collector)
        stream.feed(audio)
        wait_until(lambda: collector.finals(), 60, "no final for the sentence")
        stream.close()
        assert stream.finished.wait(30)
        [final] = collector.finals()
        assert word_error_rate(sentence.transcript, final.text) <= 0.2, final.text
        assert len(decodes.finals()) == 1, decodes.finals()
    finally:
        recogniser.close()
