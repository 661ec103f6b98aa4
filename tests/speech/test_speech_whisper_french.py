"""The embedded streaming recogniser on Visio's held-out French meetings (tests/speech/data/french).

Each speaker's track goes through its own stream exactly as the worker feeds it, replayed in
virtual time (every decode done as if the CPU kept up, so the result does not depend on how busy
the machine is); the finals are scored against what was said, and against the same model
transcribing each whole track offline with beam search.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from bench.speech import VARIANTS

from tests.speech.meetings import Meeting, french_meetings, mixed_meeting
from tests.speech.recordings import babble_noise, silence, white_noise
from visio.speech.models import ModelCatalog
from visio.speech.recogniser import Caption, Language
from visio.speech.scoring import normalise_words, word_errors
from visio.speech.whisper import WhisperRecogniser, decode_batch

CHUNK = 1600  # 100 ms


@pytest.fixture(scope="module")
def meeting() -> Meeting:
    return min(french_meetings(), key=lambda m: m.seconds)  # the shortest keeps the test short


def replay(
    recogniser: WhisperRecogniser, tracks: list[np.ndarray], language: Language = "fr"
) -> list[list[Caption]]:
    captions: list[list[Caption]] = [[] for _ in tracks]
    streams = [recogniser.open_stream(language, None, c.append) for c in captions]
    for offset in range(0, max(t.size for t in tracks), CHUNK):
        for stream, track in zip(streams, tracks, strict=True):
            stream.feed(track[offset : offset + CHUNK])
        recogniser.run_until_idle()
    for stream in streams:
        stream.close()
    recogniser.run_until_idle()
    return captions


def test_french_finals_far_better_than_before_and_near_the_offline_error_rate(
    whisper_base: WhisperRecogniser, meeting: Meeting, model_cache: Path
) -> None:
    """Live finals of a French meeting: at most three quarters of the errors the recogniser
    made before issue 8 (greedy finals, every half-second pause ending an utterance), and not
    far from what the same model gets on each whole track offline; partials shown while
    people speak; utterances follow sentences, not breaths.

    The issue's goal (live at most 1.5 times offline) is measured over the whole French set by
    ``bench.speech``, and it depends on the CPU the int8 decoder runs on: 1.43 times on one
    machine, 1.63 times on another with AVX-512 (docs/benchmarks.md). On one meeting of about
    140 words the ratio swings by more than that, so it is not asserted here.
    """
    captions = replay(whisper_base, [speaker.track for speaker in meeting.speakers])
    old = WhisperRecogniser(ModelCatalog(model_cache), cpu_threads=2, options=VARIANTS["before"])
    old.start(thread=False)
    try:
        before = replay(old, [speaker.track for speaker in meeting.speakers])
    finally:
        old.close()
    live = earlier = offline = words = 0
    whisper = whisper_base._model("whisper-base").whisper
    for speaker, mine, theirs in zip(meeting.speakers, captions, before, strict=True):
        reference = meeting.transcript(speaker.id)
        finals = [c for c in mine if c.kind == "final" and c.text]
        errors, count = word_errors(reference, " ".join(c.text for c in finals), "fr")
        live, words = live + errors, words + count
        old_finals = " ".join(c.text for c in theirs if c.kind == "final" and c.text)
        earlier += word_errors(reference, old_finals, "fr")[0]
        segments, _ = whisper.transcribe(speaker.track, language="fr", beam_size=5, vad_filter=True)
        errors, _ = word_errors(reference, " ".join(s.text for s in segments), "fr")
        offline += errors
        partials = {c.segment_id for c in mine if c.kind == "partial"}
        assert len(partials & {c.segment_id for c in finals}) >= len(finals) / 2, speaker.id
        # Never more finals than sentences: a breath inside a sentence does not cut it in two.
        assert len(finals) <= len(meeting.utterances_of(speaker.id)), speaker.id
    figures = {"live": live / words, "before": earlier / words, "offline": offline / words}
    assert live <= 0.75 * earlier, figures
    assert live / words <= 2.25 * offline / words + 0.02, figures


def test_french_stream_says_nothing_on_silence_and_noise(whisper_base: WhisperRecogniser) -> None:
    """No caption from a French stream that hears only silence, hiss and room noise."""
    (captions,) = replay(
        whisper_base, [np.concatenate([silence(5), white_noise(10, 0.02), babble_noise(10, 0.05)])]
    )
    assert [c.text for c in captions if c.text] == []


def test_auto_language_captions_each_speaker_in_their_own_language(
    whisper_base: WhisperRecogniser,
) -> None:
    """A French meeting on "auto" where one person speaks English: their finals come in
    English, everyone else's in French, and each is scored in its language."""
    meeting = mixed_meeting()
    captions = replay(whisper_base, [speaker.track for speaker in meeting.speakers], "auto")
    errors = words = 0
    for speaker, mine in zip(meeting.speakers, captions, strict=True):
        finals = [c for c in mine if c.kind == "final" and c.text]
        right = [c for c in finals if c.language == speaker.language]
        assert len(right) >= 0.8 * len(finals), (speaker.id, [c.language for c in finals])
        text = " ".join(c.text for c in finals)
        e, n = word_errors(meeting.transcript(speaker.id), text, speaker.language)
        errors, words = errors + e, words + n
    assert errors / words < 0.25, errors / words  # scored per speaker in their own language


def test_a_long_french_final_is_decoded_to_its_last_word(whisper_base: WhisperRecogniser) -> None:
    """Eight seconds of French, two sentences said in one breath group: the final (beam search)
    and a partial (greedy) both reach "s'il vous plaît" at its end. French takes about five
    tokens a second; the decoder used to stop at half the tokens it was allowed, cutting such
    finals after "S'" (found on this meeting's track)."""
    meeting = next(m for m in french_meetings() if m.name == "formation-bordeaux")
    said = [u for u in meeting.utterances_of("nadia") if u.start > 50]
    assert said[-1].text.endswith("s'il vous plaît."), said[-1].text
    track = meeting.speaker("nadia").track
    audio = track[int((said[0].start - 0.2) * 16000) : int((said[-1].end + 0.3) * 16000)]
    assert audio.size / 16000 > 7.5
    model = whisper_base._model("whisper-base")
    mel = replace(whisper_base.options, final_context=30.0, mel_padding=True)  # bench variant
    for final, options in (
        (True, whisper_base.options),
        (False, whisper_base.options),
        (True, mel),
    ):
        (hypothesis,) = decode_batch(model, [audio], ["fr"], final, options)
        assert hypothesis.rejected is None, hypothesis
        assert normalise_words(hypothesis.text, "fr")[-3:] == ["il", "vous", "plaît"], (
            final,
            options,
            hypothesis.text,
        )


def test_a_short_reply_whisper_is_unsure_of_still_gets_its_final(
    whisper_base: WhisperRecogniser,
) -> None:
    """Claire's "Une dizaine de jours, pas plus." (2 s, an accented voice): Whisper is unsure of
    the words (average log-probability about -1.3) but sure it is speech (no-speech 0.02). It
    gets a final in the caption history; it used to get nothing, refused on the words alone."""
    meeting = next(m for m in french_meetings() if m.name == "point-hebdo")
    (reply,) = [u for u in meeting.utterances_of("claire") if u.text.startswith("Une dizaine")]
    track = meeting.speaker("claire").track
    (captions,) = replay(whisper_base, [track[int((reply.start - 3) * 16000) :]])
    finals = [c for c in captions if c.kind == "final" and c.text]
    assert len(finals) == 1, finals
    assert 2.5 <= finals[0].start and finals[0].end <= 3.5 + reply.end - reply.start, finals[0]
