"""The embedded streaming recogniser on real recorded speech, silence and noise."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np

from tests.speech.recordings import Recording, babble_noise, silence, white_noise
from tests.support import wait_until
from visio.speech.models import ModelCatalog
from visio.speech.recogniser import Caption
from visio.speech.scoring import word_error_rate
from visio.speech.vad import WINDOW
from visio.speech.whisper import StreamingOptions, WhisperRecogniser


class Collector:
    """Captions with the monotonic time they arrived."""

    def __init__(self) -> None:
        self.captions: list[tuple[float, Caption]] = []
        self.lock = threading.Lock()

    def __call__(self, caption: Caption) -> None:
        with self.lock:
            self.captions.append((time.monotonic(), caption))

    def finals(self) -> list[Caption]:
        return [c for _, c in self.captions if c.kind == "final"]


def feed_in_real_time(stream: object, audio: np.ndarray, start: float) -> None:
    """Feed 20 ms at a time at the pace of a live microphone (the pacing is the scenario)."""
    for offset in range(0, audio.size, 320):  # 20 ms, like RTP
        stream.feed(audio[offset : offset + 320])  # type: ignore[attr-defined]
        time.sleep(max(0.0, start + (offset + 320) / 16000 - time.monotonic()))


def test_streaming_partials_while_speaking_then_stable_finals(
    whisper: WhisperRecogniser, librivox: list[Recording]
) -> None:
    """Two sentences with a pause: partials during each, then one final each close to the transcript."""
    first, second = librivox[0], librivox[1]
    audio = np.concatenate([silence(0.5), first.audio, silence(1.5), second.audio, silence(1.5)])
    collector = Collector()
    stream = whisper.open_stream("en", None, collector)
    start = time.monotonic()
    feed_in_real_time(stream, audio, start)
    wait_until(
        lambda: len(collector.finals()) >= 2,
        timeout=30,
        message=lambda: f"finals after the second pause: {[c.text for c in collector.finals()]}",
    )
    stream.close()

    finals = collector.finals()
    assert len(finals) == 2, [c.text for c in finals]
    assert finals[0].segment_id != finals[1].segment_id
    for final, recording in zip(finals, (first, second), strict=True):
        assert word_error_rate(recording.transcript, final.text) <= 0.25, final.text
        assert final.words and final.words[0].start <= final.words[-1].end
        assert " ".join(w.text for w in final.words) == final.text
    # Word timings are on the stream's clock: the second sentence starts after the first + pause.
    assert 0.3 < finals[0].start < 1.2
    assert finals[1].start > 0.5 + first.seconds + 1.0
    # Partials arrive while the person is still speaking, under the same segment id. How many
    # and how soon depends on the CPU: bench.speech prints the partial delay.
    first_speech_ends = start + 0.5 + first.seconds
    early = [
        c
        for t, c in collector.captions
        if c.kind == "partial" and c.segment_id == finals[0].segment_id and t < first_speech_ends
    ]
    assert early, "no partial caption while the first sentence was being spoken"
    # Each segment's captions end with exactly one final, after its partials.
    for final in finals:
        kinds = [c.kind for _, c in collector.captions if c.segment_id == final.segment_id]
        assert kinds[-1] == "final" and kinds.count("final") == 1


def test_streaming_silence_and_noise_produce_no_text(whisper: WhisperRecogniser) -> None:
    """Ten seconds each of silence, hiss and room-like noise are all listened to, and give no
    caption at all."""
    collector = Collector()
    stream = whisper.open_stream("en", None, collector)
    audio = np.concatenate([silence(10), white_noise(10, level=0.02), babble_noise(10, level=0.05)])
    for offset in range(0, audio.size, 16000):
        stream.feed(audio[offset : offset + 16000])
    stream.close()
    assert stream.finished.wait(timeout=60), "the recogniser never finished the stream"
    assert stream.clock >= audio.size - WINDOW, (
        f"the recogniser listened to {stream.clock} of {audio.size} samples"
    )
    assert [c.text for _, c in collector.captions if c.text] == []


def test_streaming_close_flushes_speech_in_progress(
    whisper: WhisperRecogniser, librivox: list[Recording]
) -> None:
    """Closing a stream mid-sentence still delivers a final for what was said."""
    collector = Collector()
    stream = whisper.open_stream("en", None, collector)
    stream.feed(librivox[4].audio)
    assert not stream.finished.is_set()
    stream.close()
    assert stream.finished.wait(timeout=60), "the recogniser never finished the stream"
    assert word_error_rate(librivox[4].transcript, collector.finals()[0].text) <= 0.3


def quietest_point(audio: np.ndarray, start: float, end: float) -> int:
    """The sample at the centre of the quietest 50 ms between two times (between two words)."""
    frames = [
        (float(np.sqrt(np.mean(audio[i : i + 800] ** 2))), i + 400)
        for i in range(int(start * 16000), int(end * 16000) - 800, 160)
    ]
    return min(frames)[1]


def replay(recogniser: WhisperRecogniser, audio: np.ndarray) -> list[Caption]:
    """One stream fed 100 ms at a time, decoding whatever is due in between (virtual time)."""
    captions: list[Caption] = []
    stream = recogniser.open_stream("en", None, captions.append)
    for offset in range(0, audio.size, 1600):
        stream.feed(audio[offset : offset + 1600])
        recogniser.run_until_idle()
    stream.close()
    recogniser.run_until_idle()
    return [c for c in captions if c.kind == "final" and c.text]


def test_a_breath_inside_a_sentence_does_not_cut_it_but_a_pause_between_sentences_does(
    model_cache: Path, librivox: list[Recording]
) -> None:
    """A 0.7 s pause in the middle of a sentence (at its quietest point between two words)
    leaves one final for the whole sentence; a 1.2 s pause between two sentences gives two."""
    recogniser = WhisperRecogniser(ModelCatalog(model_cache), cpu_threads=2)
    recogniser.start(thread=False)
    try:
        first, second = librivox[0], librivox[1]
        cut = quietest_point(first.audio, 3.2, 4.2)
        breath = np.concatenate(
            [silence(0.5), first.audio[:cut], silence(0.7), first.audio[cut:], silence(1.5)]
        )
        finals = replay(recogniser, breath)
        assert len(finals) == 1, [c.text for c in finals]
        assert word_error_rate(first.transcript, finals[0].text) < 0.2, finals[0].text

        two = np.concatenate([silence(0.5), first.audio, silence(1.2), second.audio, silence(1.5)])
        finals = replay(recogniser, two)
        assert len(finals) == 2, [c.text for c in finals]
    finally:
        recogniser.close()


def test_finals_with_their_speakers_text_as_context_decode_in_one_batch(
    model_cache: Path, librivox: list[Recording]
) -> None:
    """With ``final_prompt`` on, two streams whose speakers have said different amounts before
    are decoded in the same cycle (CTranslate2 batches only equal-length contexts: they are
    decoded in groups); each gets its finals, in order."""
    recogniser = WhisperRecogniser(
        ModelCatalog(model_cache), cpu_threads=2, options=StreamingOptions(final_prompt=True)
    )
    recogniser.start(thread=False)
    try:
        # Both say librivox[1] at the same moment, after saying different things.
        firsts = [librivox[0].audio, librivox[2].audio]
        lead = max(a.size for a in firsts) / 16000 + 0.5
        tracks = [
            np.concatenate(
                [silence(lead - a.size / 16000), a, silence(1.5), librivox[1].audio, silence(1.5)]
            )
            for a in firsts
        ]
        captions: list[list[Caption]] = [[], []]
        streams = [recogniser.open_stream("en", None, c.append) for c in captions]
        for offset in range(0, tracks[0].size, 1600):
            for stream, track in zip(streams, tracks, strict=True):
                stream.feed(track[offset : offset + 1600])
            recogniser.run_until_idle()
        for stream in streams:
            stream.close()
        recogniser.run_until_idle()
        for mine, said in zip(captions, ([0, 1], [2, 1]), strict=True):
            finals = [c.text for c in mine if c.kind == "final" and c.text]
            assert len(finals) == 2, finals
            for text, index in zip(finals, said, strict=True):
                assert word_error_rate(librivox[index].transcript, text) < 0.4, text
    finally:
        recogniser.close()


def captions_as_heard(
    model_cache: Path, audio: np.ndarray, options: StreamingOptions
) -> list[tuple[float, Caption]]:
    """Each caption with the seconds of audio fed when it came (virtual time, 100 ms steps)."""
    recogniser = WhisperRecogniser(ModelCatalog(model_cache), cpu_threads=2, options=options)
    recogniser.start(thread=False)
    shown: list[tuple[float, Caption]] = []
    heard = [0.0]
    try:
        stream = recogniser.open_stream("en", None, lambda c: shown.append((heard[0], c)))
        for offset in range(0, audio.size, 1600):
            stream.feed(audio[offset : offset + 1600])
            heard[0] = (offset + 1600) / 16000
            recogniser.run_until_idle()
    finally:
        recogniser.close()
    return shown


def test_at_a_pause_the_early_finals_words_are_shown_before_the_pause_decides(
    model_cache: Path, librivox: list[Recording]
) -> None:
    """At 0.5 s of pause the utterance's final is decoded early; its words are shown at once
    as the utterance's partial (the pause may still turn out to be a breath), so the last
    words do not wait for the pause to reach 1 s. Held back (``show_early`` off), nothing new
    shows while the pause goes on."""
    sentence = librivox[0]
    audio = np.concatenate([silence(0.5), sentence.audio, silence(1.5)])
    for show_early in (True, False):
        shown = captions_as_heard(model_cache, audio, StreamingOptions(show_early=show_early))
        [(final_at, final)] = [(at, c) for at, c in shown if c.kind == "final"]
        assert word_error_rate(sentence.transcript, final.text) <= 0.25, final.text
        # The final ends the utterance at 1.0 s of pause; the early decode ran at 0.5 s, and
        # partials stop at 0.25 s: what shows in the last 0.65 s is the early final or nothing.
        in_pause = [c for at, c in shown if c.kind == "partial" and at > final_at - 0.65]
        if show_early:
            before = [c for at, c in shown if c.kind == "partial" and at <= final_at - 0.3]
            assert before and before[-1].text == final.text, (before[-1:], final.text)
            assert len(in_pause) <= 1
        else:
            assert in_pause == [], [c.text for c in in_pause]


def test_late_finals_make_partials_rarer_step_by_step_and_on_time_ones_bring_them_back(
    model_cache: Path,
) -> None:
    """The partial rate adapts to load: each final later than ``partials_pause_lag`` halves it
    (to one in eight at most), each final on time doubles it back; a final later than
    ``partials_stop_lag`` stops partials for 10 s."""
    recogniser = WhisperRecogniser(ModelCatalog(model_cache))
    steps = []
    for lag in (2.0, 2.0, 2.0, 2.0, 1.3, 0.5, 0.5, 0.5):
        recogniser._adapt_partials(lag, now=100.0)
        steps.append(recogniser.partial_slowdown)
    assert steps == [2.0, 4.0, 8.0, 8.0, 8.0, 4.0, 2.0, 1.0]
    assert recogniser._no_partials_until == 0.0
    recogniser._adapt_partials(3.5, now=100.0)
    assert recogniser._no_partials_until == 110.0
