"""The embedded recogniser: faster-whisper (CTranslate2, int8 on CPU) made to stream.

Whisper decodes whole windows, not streams. The known recipe turns it into live captions:

* Silero VAD cuts each speaker's audio into utterances; silence is never decoded at all.
  Utterances follow sentences, not breaths: a short pause (``min_silence``) ends one only where
  the words heard so far end a sentence, otherwise a longer one (``max_silence``) is needed; a
  long monologue ends at its next short pause past ``max_utterance`` and, failing that, at its
  quietest moment before Whisper's 30 s window is full (never mid-word if it can help it).
* While someone speaks, the growing utterance is re-decoded greedily (a *partial*). Words on
  which two consecutive decodes agree are committed and never change again in later partials;
  the tail after them is shown too, as the best guess so far.
* At the pause, the whole utterance is decoded once more with beam search (the *final*), on an
  encoder window fitted to the utterance rather than Whisper's 30 s (several times cheaper);
  a final caught in a decoding loop there is decoded again on the whole 30 s window.
* Guards against Whisper's hallucinations on noise: no-speech probability (with the words'
  average log probability), compression ratio, a repeated phrase and a cap on tokens per
  second of audio.
* On "auto", each speaker's language is detected per utterance, but changes only when the
  detection is confident (short utterances are easily mistaken).
* A stream may ask for its finals in English too (Whisper's translate task, on the same
  encoder output).

One scheduler thread serves every stream of the process and hands decodes to a few decoder
threads (one per core on CPU, each decode single-threaded: on 2 cores two such decodes side by side
finish in 0.55 s where one after the other on two threads take 1.24 s, docs/speech.md), so a
worker with several speakers shares one model in memory and never oversubscribes the CPU. Finals
go first, all of them, batched across speakers when more wait than decoders are free: none is
ever dropped, and each speaker's finals are delivered in the order they were said. Partials come
after, on the decoders finals leave free (one is kept for finals when there are two or more), the
speakers who waited longest first, as many in one batch as ``partial_budget`` allows; with more
speakers than the CPU can serve, partials come less often, and finals stay on time as long as
they can. A stream whose finals come late says so (:meth:`_WhisperStream.load`,
``final_lag_seconds``), and the worker reports it. Only a stream whose queue exceeds
``max_backlog`` seconds (a decoder stuck for that long) loses audio, counted as dropped.
"""

from __future__ import annotations

import logging
import queue
import string
import threading
import time
import uuid
import zlib
from collections import deque
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from visio.speech.models import ModelCatalog
from visio.speech.recogniser import Caption, CaptionSink, Language, StreamLoad, Word
from visio.speech.vad import SAMPLE_RATE, WINDOW, SileroVad, VadStream

log = logging.getLogger(__name__)

_FULL_FRAMES = 3000  # Whisper's 30 s encoder window, in 10 ms mel frames
_HOP = 160
_TEXT_CONTEXT = 448  # Whisper's decoder context, in tokens (prompt and text together)
_PUNCTUATION = set(string.punctuation) | {"¿", "¡", "«", "»", "…"}
_SENTENCE_ENDS = (".", "?", "!", "…")


@dataclass(frozen=True)
class StreamingOptions:
    """How the embedded recogniser trades delay, accuracy and CPU (docs/speech.md measures them)."""

    partial_interval: float = 0.3  # seconds of new speech between two partial decodes of a stream
    partial_context: float = 5.0  # shortest encoder window for partials, seconds
    partial_budget: float = 0.4  # seconds one batch of partials may take (fewer streams if slow)
    partial_quiet: float = 0.25  # no partial once a pause is this long (its final is near)
    partials_pause_lag: float = 1.5  # a final this late makes partials rarer...
    partials_stop_lag: float = 3.0  # ...and one this late stops them for 10 s
    show_early: bool = True  # an early final's text is shown at once, as a partial
    final_context: float = 10.0  # shortest encoder window for finals (30: Whisper's whole window)
    # How the encoder window is filled past the audio: with silent audio (openai-whisper's way)
    # or with zeros after the log-mel is normalised (faster-whisper's ``transcribe``). With
    # ``final_context=30`` the latter is 2 points better on the French set (24.8 % against
    # 26.9 %), at about 5.7 times the encoder's CPU per final; on 10 s windows it is worse.
    mel_padding: bool = False
    final_beam_size: int = 5
    final_prompt: bool = False  # the speaker's previous final as the decoder's context
    min_silence: float = 0.5  # at a pause this long the final is decoded (an early final)...
    max_silence: float = 1.0  # ...and at this long it ends the utterance
    sentence_ends: bool = False  # end at ``min_silence`` where the text ends with "." "?" "!"
    early_finals: bool = (
        True  # decode the final at ``min_silence`` (sooner, but wasted if they go on)
    )
    cut_silence: float = 0.2  # past ``max_utterance``, a pause this long ends the utterance
    speech_pad: float = 0.2  # audio kept before speech starts and after it stops
    min_speech: float = 0.25  # shorter bursts of "speech" are dropped undecoded
    max_utterance: float = 15.0  # longer utterances end at their next short pause...
    hard_max_utterance: float = 28.0  # ...and at this length at their quietest recent moment
    vad_threshold: float = 0.5
    max_batch: int = 8
    # A decode is refused as no speech when Whisper's no-speech probability is above this and
    # its words are less sure than ``logprob_threshold`` (average log probability per token).
    # Unsure words alone are kept: Silero already heard speech there, and accented French
    # said clearly scored -1.1 to -1.3 (three finals of the French set were lost to a bare
    # -1.0 cut, no-speech 0.02 each).
    no_speech_threshold: float = 0.6
    logprob_threshold: float = -0.5
    compression_ratio_threshold: float = 2.4
    max_tokens_per_second: float = 7.0
    language_switch_confidence: float = 0.8  # "auto": a speaker's language changes only when sure
    auto_languages: tuple[str, ...] = ("fr", "en")  # what "auto" chooses from (empty: any)
    max_backlog: float = 300.0  # audio queued beyond this, per stream, is dropped (oldest first)


@dataclass
class Hypothesis:
    """One decode's result for one audio window (times relative to the window's start)."""

    text: str
    words: list[Word]
    language: str
    rejected: str | None = None
    looped: bool = False  # rejected as a decoding loop (repeats), which a wider window may avoid
    translation: str = ""  # the text in English, when asked for and spoken in another language


@dataclass
class _Job:
    stream: _WhisperStream
    audio: NDArray[np.float32]
    final: bool
    segment_id: str
    offset: float  # the window's start on the stream's clock, seconds
    language: str | None  # None: detect
    spoken_at: float = 0.0  # monotonic time the window's last audio was spoken
    prompt: str = ""  # text said before, as the decoder's context
    early: bool = False  # decoded at a short pause, before the utterance is known to end
    prior: str | None = None  # the language the speaker spoke last, when ``language`` is None
    order: int = 0  # a final's place among its stream's finals: results are delivered in order


@dataclass
class _Done:
    """One batch's decode, as a decoder thread hands it back to the scheduler."""

    jobs: list[_Job]
    hypotheses: list[Hypothesis] | None  # None: the decode failed (``error``)
    error: BaseException | None
    seconds: float  # the decode's wall time
    at: float  # monotonic time it was done


@dataclass
class _Work:
    """A batch's decode as a decoder thread runs it: everything it reads was copied from the
    jobs when it was handed over, so it never reads a stream the scheduler is changing."""

    engine: WhisperRecogniser
    model: _LoadedModel
    jobs: list[_Job]
    audios: list[NDArray[np.float32]]
    languages: list[str | None]
    prompts: list[str]
    priors: list[str | None]
    translate: list[bool]

    def run(self) -> None:
        started = time.perf_counter()
        hypotheses: list[Hypothesis] | None = None
        error: BaseException | None = None
        try:
            final = self.jobs[0].final
            options = self.engine.options
            hypotheses = decode_batch(
                self.model,
                self.audios,
                self.languages,
                final=final,
                options=options,
                prompts=self.prompts,
                priors=self.priors,
                translate=self.translate,
            )
            if final:
                self._retry_loops(hypotheses)
        except Exception as failure:
            error = failure
        seconds = time.perf_counter() - started
        self.engine._done.put(_Done(self.jobs, hypotheses, error, seconds, time.monotonic()))
        self.engine.wake()

    def _retry_loops(self, hypotheses: list[Hypothesis]) -> None:
        """Finals caught in a decoding loop on a short window get decoded once more with
        Whisper's whole 30 s window, where short utterances loop less."""
        again = [i for i, h in enumerate(hypotheses) if h.looped]
        options = self.engine.options
        if not again or options.final_context >= _FULL_FRAMES / 100:
            return
        retried = decode_batch(
            self.model,
            [self.audios[i] for i in again],
            [hypotheses[i].language for i in again],
            final=True,
            options=options,
            prompts=[self.prompts[i] for i in again],
            window=_FULL_FRAMES / 100,
            translate=[self.translate[i] for i in again],
        )
        for index, hypothesis in zip(again, retried, strict=True):
            hypotheses[index] = hypothesis


@dataclass
class _LoadedModel:
    name: str
    whisper: Any  # faster_whisper.WhisperModel (untyped library)
    multilingual: bool
    tokenizers: dict[str, Any] = field(default_factory=dict)

    def tokenizer(self, language: str, task: str = "transcribe") -> Any:
        from faster_whisper.tokenizer import Tokenizer

        key = f"{language}/{task}"
        if key not in self.tokenizers:
            self.tokenizers[key] = Tokenizer(
                self.whisper.hf_tokenizer,
                self.multilingual,
                task=task,
                language=language if self.multilingual else "en",
            )
        return self.tokenizers[key]


def _normalise(word: str) -> str:
    return "".join(ch for ch in word.lower() if ch not in _PUNCTUATION)


def _ends_sentence(text: str) -> bool:
    return text.rstrip("\"»)' ").endswith(_SENTENCE_ENDS)


def _compression_ratio(text: str) -> float:
    data = text.encode("utf-8")
    return len(data) / max(1, len(zlib.compress(data)))


class _WhisperStream:
    """One speaker: VAD state, the current utterance and its partial-decode state.

    ``feed`` and ``close`` are called from the caller's thread; everything else runs on the
    scheduler thread only (decoder threads see a job's audio, never the stream).
    """

    def __init__(
        self,
        engine: WhisperRecogniser,
        vad: VadStream,
        language: Language,
        model: str,
        sink: CaptionSink,
    ) -> None:
        self._engine = engine
        self._inbox: deque[tuple[NDArray[np.float32], float]] = deque()  # (pcm, spoken at)
        # Samples put in the inbox by ``feed`` and taken out by the decoder thread: each count is
        # written by one thread only, so their difference is what waits, without walking the
        # inbox while the other thread appends to it.
        self._fed_samples = 0
        self._taken_samples = 0
        self._spoken_at = 0.0  # when the audio being ingested was spoken
        self.closing = False
        self.finished = threading.Event()
        """Set once the stream is closed and its last caption delivered (or there was none)."""
        self.dropped_samples = 0  # written by the decoder thread only
        self.decode_errors = 0
        self.final_lag = 0.0  # end of the last final's speech → its decode done, seconds
        self.vad = vad
        self.language: Language = language
        self.model = model
        self.sink = sink
        self.prefix = uuid.uuid4().hex[:8]
        self.segments = 0
        self.clock = 0  # samples the VAD has judged, so far: how much audio was listened to
        opts = engine.options
        self._pad = int(opts.speech_pad * SAMPLE_RATE)
        self._recent: deque[NDArray[np.float32]] = deque(maxlen=max(1, self._pad // WINDOW + 1))
        self.utterance: list[NDArray[np.float32]] = []
        self.utterance_start = 0  # sample index on the stream clock
        self.speech_samples = 0
        self.silence_samples = 0
        self.segment_id = ""
        self.decoded_samples = 0  # utterance length at the last partial decode
        self.waiting_since = 0.0  # monotonic time the oldest undecoded speech arrived
        self.previous_words: list[Word] = []
        self.committed: list[Word] = []
        self.last_partial = ""
        self.translate = False  # finals spoken in another language come with English text
        self.shown: set[str] = set()  # segments with partials on screen and no final yet
        # On "auto": the language of the speaker's last final, and of the current utterance as
        # its first long enough partial heard it.
        self.spoken_language: str | None = None
        self.utterance_language: str | None = None
        self.previous_text = ""  # the speaker's last final, the context of the next (optional)
        self.probabilities: list[float] = []  # the VAD's, per window of the utterance
        self.early: _Job | None = None  # a final decoded at a short pause (see _early_final)
        self.early_result: Hypothesis | None = None
        self.partial_running = False  # one partial decode at a time per stream
        self._finals_made = 0
        self._next_final = 0  # the order of the next final to deliver
        self._held: dict[int, tuple[_Job, Hypothesis | None]] = {}  # decoded before an earlier one

    # --- caller's thread -------------------------------------------------------------------
    def feed(self, pcm: NDArray[np.float32], spoken_at: float | None = None) -> None:
        when = time.monotonic() if spoken_at is None else spoken_at
        audio = np.asarray(pcm, dtype=np.float32)
        self._inbox.append((audio, when))
        self._fed_samples += audio.size
        self._engine.wake()

    def close(self) -> None:
        self.closing = True
        self._engine.wake()

    def load(self) -> StreamLoad:
        try:
            oldest = self._inbox[0][1]
        except IndexError:  # nothing waiting (or the decoder just took it)
            backlog = 0.0
        else:
            backlog = max(0.0, time.monotonic() - oldest)
        return StreamLoad(
            dropped_seconds=self.dropped_samples / SAMPLE_RATE,
            backlog_seconds=backlog,
            decode_errors=self.decode_errors,
            final_lag_seconds=self.final_lag,
        )

    # --- scheduler thread ------------------------------------------------------------------
    @property
    def outstanding(self) -> int:
        """Finals made and not yet delivered (waiting, being decoded, or held for order)."""
        return self._finals_made - self._next_final

    @property
    def utterance_samples(self) -> int:
        return sum(chunk.size for chunk in self.utterance)

    def ingest(self, jobs: list[_Job]) -> None:
        """Run VAD over queued audio; adds the finals of utterances that just ended to ``jobs``
        (as they end: should a later window fail, the finals before it are not lost)."""
        opts = self._engine.options
        negative = max(opts.vad_threshold - 0.15, 0.01)
        self._drop_overflow()
        for _ in range(len(self._inbox)):  # what is queued now: a step always ends
            pcm, self._spoken_at = self._inbox.popleft()
            self._taken_samples += pcm.size
            windows, probabilities = self.vad.feed(pcm)
            for index, probability in enumerate(probabilities):
                window = windows[index * WINDOW : (index + 1) * WINDOW]
                self.clock += WINDOW
                if not self.utterance:
                    if probability >= opts.vad_threshold:
                        self._begin(window, probability)
                    else:
                        self._recent.append(window)
                    continue
                self.utterance.append(window)
                self.probabilities.append(probability)
                if probability >= opts.vad_threshold:
                    self.speech_samples += WINDOW
                    self.silence_samples = 0
                    self.early = self.early_result = None  # they go on: no early final
                elif probability < negative:
                    self.silence_samples += WINDOW
                if self.silence_samples >= self._pause_that_ends() * SAMPLE_RATE:
                    if self.early is not None and self.early_result is not None:
                        self._settle(self.early, self.early_result)
                    elif self.early is not None:
                        # The early final is still waiting or being decoded (the decoder is
                        # behind): its decode is of the same audio and becomes the final.
                        self.early.early = False
                        self.utterance, self.probabilities = [], []
                        self.early = self.early_result = None
                    else:
                        jobs.extend(self._end(trailing_silence=self.silence_samples))
                elif self.utterance_samples >= opts.hard_max_utterance * SAMPLE_RATE:
                    jobs.extend(self._cut())
                elif (
                    opts.early_finals
                    and self.silence_samples >= opts.min_silence * SAMPLE_RATE
                    and not self.early
                ):
                    jobs.extend(self._early_final())
        if self.closing and self.utterance:
            jobs.extend(self._end(trailing_silence=self.silence_samples))

    def _drop_overflow(self) -> None:
        """Keep at most ``max_backlog`` seconds queued: the oldest audio goes first (the decoder
        is stuck or far behind; what is dropped would be captioned far too late anyway)."""
        limit = int(self._engine.options.max_backlog * SAMPLE_RATE)
        queued = self._fed_samples - self._taken_samples
        dropped = 0
        while queued > limit and self._inbox:
            pcm, _ = self._inbox.popleft()
            self._taken_samples += pcm.size
            queued -= pcm.size
            dropped += pcm.size
        if dropped:
            self.dropped_samples += dropped
            self.clock += dropped  # the stream's clock keeps to the speaker's
            if self.utterance:  # what was heard of it lost its middle: let it go
                self.dropped_samples += self.utterance_samples
                self.utterance = []
                self.probabilities = []
                if self.segment_id in self.shown:
                    self.emit_final(Hypothesis("", [], self.language_hint or "en"), 0.0)

    def _pause_that_ends(self) -> float:
        """How long a pause ends the current utterance, in seconds. Utterances follow sentences,
        not breaths: a short pause ends one only where the words heard so far end a sentence;
        a long monologue ends at its next short pause."""
        opts = self._engine.options
        if self.utterance_samples >= opts.max_utterance * SAMPLE_RATE:
            return opts.cut_silence
        if opts.sentence_ends and _ends_sentence(self.last_partial):
            return opts.min_silence
        return opts.max_silence

    def _begin(self, window: NDArray[np.float32], probability: float) -> None:
        self._start([*self._recent, window], [0.0] * len(self._recent) + [probability])
        self._recent.clear()

    def _start(self, windows: list[NDArray[np.float32]], probabilities: list[float]) -> None:
        opts = self._engine.options
        self.utterance = windows
        self.probabilities = probabilities
        self.utterance_start = self.clock - self.utterance_samples
        self.speech_samples = WINDOW * sum(p >= opts.vad_threshold for p in probabilities)
        self.silence_samples = 0
        self.segments += 1
        self.segment_id = f"{self.prefix}-{self.segments}"
        self.decoded_samples = 0
        self.waiting_since = time.monotonic()
        self.previous_words = []
        self.committed = []
        self.last_partial = ""
        self.utterance_language = None
        self.early = self.early_result = None

    def _early_final(self) -> list[_Job]:
        """A short pause: decode the final now, keeping the utterance open. The result is held,
        and used as it is if the pause grows to ``max_silence`` (no second decode, so the final
        comes right then), or forgotten if the speaker goes on. With ``sentence_ends``, a
        result ending with a full stop ends the utterance at once."""
        if self.speech_samples < self._engine.options.min_speech * SAMPLE_RATE:
            return []
        audio = np.concatenate(self.utterance)
        audio = audio[: audio.size - max(0, self.silence_samples - self._pad)]
        self.early = self._final_job(audio)
        self.early.early = True
        return [self.early]

    def _settle(self, job: _Job, hypothesis: Hypothesis) -> None:
        """End the utterance with an early final's result."""
        keep = self.utterance[-(self._pad // WINDOW + 1) :]
        self.utterance, self.probabilities = [], []
        self.early = self.early_result = None
        self._recent.extend(keep)
        self.on_final(job, hypothesis, early=False)

    def _final_job(self, audio: NDArray[np.float32]) -> _Job:
        self._finals_made += 1
        return _Job(
            self,
            audio,
            final=True,
            segment_id=self.segment_id,
            offset=self.utterance_start / SAMPLE_RATE,
            language=None if self.language == "auto" else self.language,
            prior=self.utterance_language or self.spoken_language,
            spoken_at=self._spoken_at,
            prompt=self.previous_text if self._engine.options.final_prompt else "",
            order=self._finals_made - 1,
        )

    def forgotten(self, job: _Job) -> bool:
        """An early final the speaker went on after: its result would be thrown away."""
        return job.early and job is not self.early

    def deliver_final(self, job: _Job, hypothesis: Hypothesis | None) -> None:
        """A final's decode is done (``None``: it failed). Finals decoded side by side can end in
        any order; each is delivered once those said before it are."""
        self._held[job.order] = (job, hypothesis)
        while self._next_final in self._held:
            job, result = self._held.pop(self._next_final)
            self._next_final += 1
            if result is None:
                self.decode_errors += 1
                self.dropped_samples += job.audio.size
                continue
            try:
                self.on_final(job, result)
            except Exception:
                log.exception("caption delivery failed for segment %s", job.segment_id)

    def _end(self, trailing_silence: int) -> list[_Job]:
        opts = self._engine.options
        audio = np.concatenate(self.utterance)
        keep = audio.size - max(0, trailing_silence - self._pad)
        audio = audio[:keep]
        self.utterance = []
        self.probabilities = []
        self.early = self.early_result = None
        if self.speech_samples < opts.min_speech * SAMPLE_RATE:
            if self.segment_id in self.shown:
                self.emit_final(Hypothesis("", [], self.language_hint or "en"), 0.0)
            return []
        return [self._final_job(audio)]

    def _cut(self) -> list[_Job]:
        """An utterance about to outgrow Whisper's window with no pause in it: end it at its
        quietest moment of the last two seconds (between words, most likely), and go on with
        the rest as the next utterance."""
        search = min(len(self.probabilities) - 1, int(2 * SAMPLE_RATE) // WINDOW)
        recent = self.probabilities[-search:]
        split = len(self.probabilities) - search + int(np.argmin(recent)) + 1
        rest, rest_probabilities = self.utterance[split:], self.probabilities[split:]
        self.utterance, self.probabilities = self.utterance[:split], self.probabilities[:split]
        jobs = self._end(trailing_silence=0)
        self._start(rest, rest_probabilities)
        return jobs

    @property
    def language_hint(self) -> str | None:
        if self.language != "auto":
            return self.language
        return self.utterance_language

    def partial_job(self) -> _Job | None:
        """A partial decode of the current utterance, when enough new speech has arrived."""
        opts = self._engine.options
        if not self.utterance or self.speech_samples < opts.min_speech * SAMPLE_RATE:
            return None
        if self.partial_running:
            return None
        if self.silence_samples >= opts.partial_quiet * SAMPLE_RATE:
            return None  # a pause: nothing new to show, and the final is on its way
        length = self.utterance_samples
        interval = opts.partial_interval * self._engine.partial_slowdown
        if length - self.decoded_samples < interval * SAMPLE_RATE:
            return None
        return _Job(
            self,
            np.concatenate(self.utterance),
            final=False,
            segment_id=self.segment_id,
            offset=self.utterance_start / SAMPLE_RATE,
            language=self.language_hint,
            prior=self.spoken_language,
        )

    def on_partial(self, job: _Job, hypothesis: Hypothesis) -> None:
        if job.segment_id != self.segment_id or not self.utterance:
            return  # the utterance ended while this partial was being decoded
        self.decoded_samples = job.audio.size
        self.waiting_since = time.monotonic()
        if self.language == "auto" and job.audio.size >= SAMPLE_RATE:
            self.utterance_language = hypothesis.language
        if hypothesis.rejected:
            return
        words = _shifted(hypothesis.words, job.offset)
        # Local agreement: words two consecutive decodes agree on are committed for good.
        agreed = 0
        for old, new in zip(self.previous_words, words, strict=False):
            if _normalise(old.text) != _normalise(new.text):
                break
            agreed += 1
        consistent = all(
            _normalise(old.text) == _normalise(new.text)
            for old, new in zip(self.committed, words, strict=False)
        )
        if consistent and agreed > len(self.committed):
            self.committed = self.committed + words[len(self.committed) : agreed]
        self.previous_words = words
        if self.committed:
            # After the committed words comes whatever the new decode heard after them.
            boundary = self.committed[-1].end - 0.05
            tail = (
                words[len(self.committed) :]
                if consistent
                else [w for w in words if w.start >= boundary]
            )
        else:
            tail = words
        self._show_partial(self.committed + tail, hypothesis.language)

    def _show_partial(self, words: list[Word], language: str) -> None:
        text = " ".join(w.text for w in words)
        if not text or text == self.last_partial:
            return
        self.last_partial = text
        self.shown.add(self.segment_id)
        self.sink(
            Caption(
                self.segment_id,
                "partial",
                text,
                language,
                words[0].start,
                words[-1].end,
                tuple(words),
            )
        )

    def on_final(self, job: _Job, hypothesis: Hypothesis, early: bool = True) -> None:
        if early and job.early:
            if job is not self.early:
                return  # the speaker went on, or the utterance ended another way meanwhile
            if self._engine.options.sentence_ends and _ends_sentence(hypothesis.text):
                self._settle(job, hypothesis)
            else:
                self.early_result = hypothesis
                if self._engine.options.show_early:
                    self._show_early(job, hypothesis)
            return
        if hypothesis.rejected and job.segment_id == self.segment_id and self.committed:
            # The final decode was refused but two partial decodes agreed on these words.
            hypothesis = Hypothesis(
                " ".join(w.text for w in self.committed),
                _shifted(self.committed, -job.offset),
                hypothesis.language,
            )
        elif hypothesis.rejected:
            # No caption for it: noise taken for speech, most often; if people say they were
            # not captioned, this line says what the guards saw.
            log.info(
                "segment %s: %.1f s of audio at %.1f s gave no caption: its final was refused (%s)",
                job.segment_id,
                job.audio.size / SAMPLE_RATE,
                job.offset,
                hypothesis.rejected,
            )
        self.emit_final(hypothesis, job.offset, job.segment_id)

    def _show_early(self, job: _Job, hypothesis: Hypothesis) -> None:
        """The early final's words, shown as the utterance's partial while the pause decides
        whether they end it: the last words appear half a second sooner, in the beam's text."""
        if not hypothesis.rejected:
            self._show_partial(_shifted(hypothesis.words, job.offset), hypothesis.language)

    def emit_final(self, hypothesis: Hypothesis, offset: float, segment_id: str = "") -> None:
        segment_id = segment_id or self.segment_id
        words = tuple(_shifted(hypothesis.words, offset))
        text = "" if hypothesis.rejected else hypothesis.text
        if text and words:
            text = " ".join(w.text for w in words)
        if not text and segment_id not in self.shown:
            return
        if not text:
            words = ()
        start = words[0].start if words else offset
        end = words[-1].end if words else offset
        self.shown.discard(segment_id)
        if text:
            self.previous_text = text
            self.spoken_language = hypothesis.language
        translation = hypothesis.translation if text else ""
        self.sink(
            Caption(segment_id, "final", text, hypothesis.language, start, end, words, translation)
        )


class WhisperRecogniser:
    """faster-whisper behind the :class:`~visio.speech.recogniser.Recogniser` interface.

    ``start`` loads nothing by itself: models are loaded (and hash-checked) on the decoder thread
    the first time a stream asks for them, or up front with ``preload``.
    """

    sample_rate = SAMPLE_RATE

    def __init__(
        self,
        catalog: ModelCatalog,
        default_model: str = "whisper-base",
        english_model: str | None = "whisper-tiny.en",
        options: StreamingOptions | None = None,
        cpu_threads: int = 2,
        french_model: str | None = None,
        device: str = "cpu",
        decoders: int | None = None,
    ) -> None:
        self.catalog = catalog
        self.default_model = default_model
        self.english_model = english_model
        self.french_model = french_model
        self.device = device  # "cpu" (int8) or "cuda" (int8 weights, float16 compute)
        self.options = options or StreamingOptions()
        self.cpu_threads = cpu_threads
        # Decodes side by side, each on its own core: Whisper's small matrices gain nothing from
        # a second thread per decode (base, one 5 s French final: 0.48 s on one thread, 0.59 s
        # on two), and two decodes at once take the time of one. A GPU batches instead.
        self.decoders = decoders or (max(1, cpu_threads) if device == "cpu" else 1)
        self._pool: ThreadPoolExecutor | None = None
        self._done: queue.SimpleQueue[_Done] = queue.SimpleQueue()
        self._waiting: list[_Job] = []  # finals no decoder was free for, oldest first
        self._running = 0  # batches being decoded
        self._ending: list[_WhisperStream] = []  # closed streams with finals not yet delivered
        self._streams: list[_WhisperStream] = []
        self._lock = threading.Lock()
        self._wakeup = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._models: dict[str, _LoadedModel] = {}
        self._vad: SileroVad | None = None
        self.decode_seconds = 0.0  # compute spent decoding, for benchmarks
        self._partial_cost = 0.1  # seconds one stream adds to a batch of partials (moving mean)
        self._no_partials_until = 0.0  # monotonic time; partials wait while finals are late
        self.partial_slowdown = 1.0  # partial_interval times this: 1, 2, 4, 8 as finals are late
        self._virtual_time = False  # see run_until_idle

    # --- lifecycle -------------------------------------------------------------------------
    def start(self, thread: bool = True) -> None:
        """Start the decoder thread; without one (``thread=False``), whoever feeds the streams
        decodes by calling :meth:`run_until_idle` (benchmarks replaying audio in virtual time)."""
        self._vad = SileroVad()
        self._virtual_time = not thread
        if thread:
            self._pool = ThreadPoolExecutor(self.decoders, thread_name_prefix="whisper-decode")
            self._thread = threading.Thread(target=self._run, name="whisper-decoder", daemon=True)
            self._thread.start()

    def run_until_idle(self) -> None:
        """Decode everything that is due now, on the caller's thread (no decoder thread). This
        is virtual time: the adaptations to load (partial budget, partials paused while finals
        are late) are off, so that the result does not depend on how busy the machine is."""
        if self._thread is not None:
            raise RuntimeError("the decoder thread is running")
        while self._step():
            pass

    def preload(self, *names: str) -> None:
        """Load (and verify) models now rather than at their first stream; blocks."""
        for name in names:
            self._model(name)

    def close(self) -> None:
        self._stopping = True
        self.wake()
        if self._thread is not None:
            self._thread.join(timeout=30)
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)

    def wake(self) -> None:
        self._wakeup.set()

    # --- streams ---------------------------------------------------------------------------
    def choose_model(self, language: Language, model: str | None) -> str:
        """The model for a stream: the one asked for, else the language's own (English, French),
        else the default."""
        if model is not None:
            if model not in self.catalog.names():
                raise ValueError(f"unknown model {model!r}")
            return model
        if language == "en" and self.english_model:
            return self.english_model
        if language == "fr" and self.french_model:
            return self.french_model
        return self.default_model

    def open_stream(
        self, language: Language, model: str | None, sink: CaptionSink, translate: bool = False
    ) -> _WhisperStream:
        if self._vad is None:
            raise RuntimeError("WhisperRecogniser.start() was not called")
        name = self.choose_model(language, model)
        if language != "en" and self.catalog.languages(name) == ("en",):
            raise ValueError(f"model {name} only knows English, the stream is {language!r}")
        if translate and language != "en" and self.catalog.languages(name) == ("en",):
            raise ValueError(f"model {name} only knows English, it cannot translate")
        stream = _WhisperStream(self, self._vad.stream(), language, name, sink)
        stream.translate = translate
        with self._lock:
            self._streams.append(stream)
        self.wake()
        return stream

    # --- decoder thread --------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stopping:
            self._wakeup.wait(timeout=0.1)
            self._wakeup.clear()
            try:
                self._step()
            except Exception:
                log.exception("speech decoder step failed")
                time.sleep(0.2)
        with self._lock:
            streams = list(self._streams)
        for stream in streams:  # flush what was said before the worker stopped
            stream.closing = True
        deadline = time.monotonic() + 25
        while time.monotonic() < deadline:
            try:
                self._step()
            except Exception:
                log.exception("speech decoder flush failed")
                break
            if not self._running and not self._waiting:
                break
            self._wakeup.wait(timeout=0.1)
            self._wakeup.clear()

    def _step(self) -> bool:
        """Deliver finished decodes, ingest audio, then give the free decoders the finals (all
        of them, never dropped) or else partials; False when there was nothing to do."""
        busy = self._collect()
        with self._lock:
            streams = list(self._streams)
        finals: list[_Job] = []
        for stream in streams:
            try:
                stream.ingest(finals)
            except Exception:  # one stream's fault must not cost the others their finals
                stream.decode_errors += 1
                log.exception("speech stream %s: listening to its audio failed", stream.prefix)
            if stream.closing and not stream.utterance:
                with self._lock:
                    self._streams.remove(stream)
                self._ending.append(stream)
        self._waiting += finals
        if self._waiting:
            if self._start_finals():
                busy = True
                self.wake()  # decoders the finals left free take partials at the next step
        elif self._partials_allowed():
            busy = self._start_partials(streams) or busy
        for stream in [s for s in self._ending if not s.outstanding]:
            self._ending.remove(stream)
            stream.finished.set()
            busy = True
        return busy

    def _free(self) -> int:
        """Decoders with nothing to do (in virtual time, decodes run one by one on the caller)."""
        return 1 if self._pool is None else self.decoders - self._running

    def _start_finals(self) -> bool:
        """Hand the waiting finals to the free decoders, spread over them (several in a batch
        only when more wait than decoders are free); early finals the speaker went on after
        are forgotten undecoded."""
        for job in [j for j in self._waiting if j.stream.forgotten(j)]:
            self._waiting.remove(job)
            job.stream.deliver_final(job, Hypothesis("", [], "", rejected="forgotten"))
        free = self._free()
        if not self._waiting or free <= 0:
            return False
        batches = self._batches(self._waiting, parts=free)  # in virtual time, free is 1
        started = batches[:free] if self._pool is not None else batches
        self._waiting = [job for batch in batches[len(started) :] for job in batch]
        for batch in started:
            self._submit(batch)
        return True

    def _partials_allowed(self) -> bool:
        if self._virtual_time:
            return True
        return time.monotonic() >= self._no_partials_until  # else finals are late: they go first

    def _start_partials(self, streams: list[_WhisperStream]) -> bool:
        """One batch of partials per free decoder, keeping one decoder for finals when there
        are several: the speakers who waited longest first, as many as the partial budget
        allows (with more speakers than the CPU serves in time, each one's partials come less
        often)."""
        free = self._free() - (1 if self.decoders > 1 and self._pool is not None else 0)
        if free <= 0:
            return False
        partials = [job for stream in streams if (job := stream.partial_job()) is not None]
        if not partials:
            return False
        partials.sort(key=lambda job: job.stream.waiting_since)
        fits = max(1, int(self.options.partial_budget / self._partial_cost))
        if self._virtual_time:
            fits = len(partials)
        for batch in self._batches(partials[:fits], parts=free)[:free]:
            for job in batch:
                job.stream.partial_running = True
            self._submit(batch)
        return True

    def _batches(self, jobs: list[_Job], parts: int = 1) -> list[list[_Job]]:
        """Jobs grouped by model and kind, each group cut into ``parts`` batches (or more, of at
        most ``max_batch``)."""
        groups: dict[tuple[str, bool], list[_Job]] = {}
        for job in jobs:
            groups.setdefault((job.stream.model, job.final), []).append(job)
        batches: list[list[_Job]] = []
        for group in groups.values():
            count = max(min(parts, len(group)), -(-len(group) // self.options.max_batch))
            size = -(-len(group) // count)
            batches += [group[i : i + size] for i in range(0, len(group), size)]
        return batches

    def _model(self, name: str) -> _LoadedModel:
        if name not in self._models:
            from faster_whisper import WhisperModel

            folder: Path = self.catalog.prepare(name)
            started = time.monotonic()
            whisper = WhisperModel(
                str(folder),
                device=self.device,
                compute_type="int8" if self.device == "cpu" else "int8_float16",
                cpu_threads=max(1, self.cpu_threads // self.decoders),
                num_workers=self.decoders,
                local_files_only=True,
            )
            log.info("loaded speech model %s in %.1f s", name, time.monotonic() - started)
            self._models[name] = _LoadedModel(name, whisper, whisper.model.is_multilingual)
        return self._models[name]

    def _submit(self, jobs: list[_Job]) -> None:
        """Decode a batch on a decoder thread (in virtual time: now, on this one); its result
        comes back through ``_done`` to this thread, which alone touches the streams."""
        self._running += 1
        try:
            model = self._model(jobs[0].stream.model)
        except Exception as error:  # a model that cannot load fails its batch like a decode
            self._done.put(_Done(jobs, None, error, 0.0, time.monotonic()))
            self._collect()
            return
        work = _Work(
            self,
            model,
            jobs,
            audios=[job.audio for job in jobs],
            languages=[job.language for job in jobs],
            prompts=[job.prompt for job in jobs],
            priors=[job.prior for job in jobs],
            translate=[job.final and job.stream.translate for job in jobs],
        )
        if self._pool is None:
            work.run()
            self._collect()
        else:
            self._pool.submit(work.run)

    def _collect(self) -> bool:
        """Deliver the decodes the decoder threads have finished; False when there were none."""
        collected = False
        while True:
            try:
                done = self._done.get_nowait()
            except queue.Empty:
                return collected
            collected = True
            self._running -= 1
            self.decode_seconds += done.seconds
            jobs = done.jobs
            if done.error is not None:
                kind = "finals" if jobs[0].final else "partials"
                log.error(
                    "speech decoder: %d %s failed to decode",
                    len(jobs),
                    kind,
                    exc_info=done.error,
                )
            if not jobs[0].final:
                self._partial_cost = 0.7 * self._partial_cost + 0.3 * done.seconds / len(jobs)
            for index, job in enumerate(jobs):
                hypothesis = None if done.hypotheses is None else done.hypotheses[index]
                if not job.final:
                    job.stream.partial_running = False
                    if hypothesis is None:
                        job.stream.decode_errors += 1
                        continue
                    try:
                        job.stream.on_partial(job, hypothesis)
                    except Exception:
                        log.exception("caption delivery failed for segment %s", job.segment_id)
                    continue
                job.stream.final_lag = done.at - job.spoken_at
                if not self._virtual_time:
                    self._adapt_partials(job.stream.final_lag, done.at)
                job.stream.deliver_final(job, hypothesis)
            self.wake()

    def _adapt_partials(self, lag: float, now: float) -> None:
        """Partials give way to finals as the CPU runs short: a late final halves how often
        partials come (down to one in eight), finals on time bring them back step by step, and
        a final far too late stops them for 10 s so every cycle goes to finals."""
        opts = self.options
        if lag > opts.partials_stop_lag:
            self._no_partials_until = now + 10.0
        if lag > opts.partials_pause_lag:
            self.partial_slowdown = min(8.0, self.partial_slowdown * 2)
        elif lag < 0.8 * opts.partials_pause_lag:
            self.partial_slowdown = max(1.0, self.partial_slowdown / 2)


def _shifted(words: Sequence[Word], seconds: float) -> list[Word]:
    """``words`` with their times moved by ``seconds`` (a decode's window ↔ the stream's clock)."""
    return [Word(w.text, w.start + seconds, w.end + seconds) for w in words]


def _features(model: _LoadedModel, audio: NDArray[np.float32], frames: int) -> NDArray[np.float32]:
    padded = np.zeros(frames * _HOP, dtype=np.float32)
    padded[: min(audio.size, padded.size)] = audio[: padded.size]
    return _fitted(model.whisper.feature_extractor(padded, padding=0), frames)


def _mel_padded(
    model: _LoadedModel, audio: NDArray[np.float32], frames: int
) -> NDArray[np.float32]:
    """The audio's log-mel, normalised on the audio alone, then zeros up to ``frames``."""
    return _fitted(model.whisper.feature_extractor(audio)[:, :-1], frames)


def _fitted(features: NDArray[np.float32], frames: int) -> NDArray[np.float32]:
    """``features`` cut or padded with zeros to exactly ``frames`` columns."""
    out = np.zeros((features.shape[0], frames), dtype=np.float32)
    usable = min(frames, features.shape[1])
    out[:, :usable] = features[:, :usable]
    return out


def decode_batch(
    model: _LoadedModel,
    audios: list[NDArray[np.float32]],
    languages: list[str | None],
    final: bool,
    options: StreamingOptions,
    prompts: list[str] | None = None,
    priors: list[str | None] | None = None,
    window: float | None = None,
    translate: list[bool] | None = None,
) -> list[Hypothesis]:
    """Decode several windows (up to 30 s each) in one encoder and one decoder call.

    ``languages``: None detects the language; then a ``priors`` entry (what the speaker spoke
    before) is kept unless the detection is confident it changed. ``prompts``: text said before
    each window, given to the decoder as context. ``translate``: which windows also need an
    English translation (when not spoken in English).

    The encoder window is the audio plus a second, at least ``options.final_context`` seconds
    for finals and ``options.partial_context`` for partials, rather than Whisper's 30 s: the
    encoder's cost grows faster than its window (measured in docs/benchmarks.md), and most
    utterances are a few seconds long (``window`` overrides it). Finals use beam search;
    partials decode greedily.
    """
    import ctranslate2

    longest = max(audio.size for audio in audios) / SAMPLE_RATE
    shortest = window or (options.final_context if final else options.partial_context)
    frames = min(_FULL_FRAMES, int(max(shortest, longest + 1.0) * 100))
    fill = _mel_padded if options.mel_padding else _features
    features = np.stack([fill(model, audio, frames) for audio in audios])
    encoded = model.whisper.model.encode(ctranslate2.StorageView.from_array(features), to_cpu=False)

    priors = priors or [None] * len(audios)
    resolved: list[str] = []
    if not model.multilingual:
        resolved = ["en"] * len(audios)
    else:
        detected: list[tuple[str, float]] = []
        if any(language is None for language in languages):
            allowed = set(options.auto_languages)
            for scores in model.whisper.model.detect_language(encoded):
                ranked = [(token[2:-2], float(p)) for token, p in scores]
                detected.append(
                    next((lp for lp in ranked if lp[0] in allowed), ranked[0])
                    if allowed
                    else ranked[0]
                )
        for index, language in enumerate(languages):
            if language is None:
                guess, confidence = detected[index]
                prior = priors[index]
                sure = confidence >= options.language_switch_confidence
                language = guess if prior is None or sure else prior
            resolved.append(language)

    tokenizers = [model.tokenizer(language) for language in resolved]
    requests: list[list[int]] = []
    starts: list[int] = []  # tokens of context before each request's start of transcript
    for index, tok in enumerate(tokenizers):
        context = (prompts or [""] * len(audios))[index].strip()
        before = [tok.sot_prev, *tok.encode(" " + context)[-100:]] if context else []
        requests.append([*before, *tok.sot_sequence, tok.no_timestamps])
        starts.append(len(before))
    from faster_whisper.transcribe import get_suppressed_tokens

    suppressed = list(get_suppressed_tokens(tokenizers[0], (-1,)) or [])
    limits = [int(8 + options.max_tokens_per_second * a.size / SAMPLE_RATE) for a in audios]
    results = _generate(
        model,
        encoded,
        requests,
        starts,
        beam_size=options.final_beam_size if final else 1,
        max_length=_max_length(max(limits) + 4, max(len(r) for r in requests)),
        return_scores=True,
        return_no_speech_prob=True,
        suppress_blank=True,
        suppress_tokens=suppressed,
    )
    hypotheses: list[Hypothesis] = []
    texts: list[list[int]] = []
    for index, result in enumerate(results):
        tokens = [t for t in result.sequences_ids[0] if t < tokenizers[index].eot]
        text = tokenizers[index].decode(tokens).strip()
        avg_logprob = float(result.scores[0]) if result.scores else -10.0
        rejected = None
        looped = True
        if not text:
            rejected = "empty"
        elif len(tokens) > limits[index]:
            rejected = f"{len(tokens)} tokens for {audios[index].size / SAMPLE_RATE:.1f} s"
        elif _compression_ratio(text) > options.compression_ratio_threshold:
            rejected = "repetitive"
        elif _repeats_itself(tokens):
            rejected = "repeats a phrase"
        else:
            looped = False
            if (
                result.no_speech_prob > options.no_speech_threshold
                and avg_logprob < options.logprob_threshold
            ):
                rejected = f"no-speech {result.no_speech_prob:.2f}, avg logprob {avg_logprob:.2f}"
        looped = looped and rejected != "empty"
        hypotheses.append(Hypothesis(text, [], resolved[index], rejected, looped))
        texts.append(tokens if rejected is None else [])
    _align(model, encoded, texts, audios, resolved, hypotheses)
    wanted = [
        i
        for i, hypothesis in enumerate(hypotheses)
        if (translate or [False] * len(audios))[i]
        and model.multilingual
        and hypothesis.rejected is None
        and hypothesis.language != "en"
    ]
    if wanted:
        _translate(model, encoded, wanted, resolved, limits, hypotheses)
    return hypotheses


def _generate(
    model: _LoadedModel, encoded: Any, requests: list[list[int]], starts: list[int], **kwargs: Any
) -> list[Any]:
    """CTranslate2 decodes a batch only if the start-of-transcript token is at the same place in
    every request: requests whose context (``starts``: tokens before it) differs in length are
    decoded in groups of equal length, and the results put back in order."""
    groups: dict[int, list[int]] = {}
    for index, start in enumerate(starts):
        groups.setdefault(start, []).append(index)
    if len(groups) == 1:
        return list(model.whisper.model.generate(encoded, requests, **kwargs))
    results: list[Any] = [None] * len(requests)
    for members in groups.values():
        for index, result in zip(
            members,
            model.whisper.model.generate(
                _rows(encoded, members, len(requests)), [requests[i] for i in members], **kwargs
            ),
            strict=True,
        ):
            results[index] = result
    return results


def _rows(encoded: Any, rows: list[int], total: int) -> Any:
    """The encoder output of some windows of a batch of ``total`` (all of it when all)."""
    import ctranslate2

    if len(rows) == total:
        return encoded
    return ctranslate2.StorageView.from_array(np.ascontiguousarray(np.array(encoded)[rows]))


def _translate(
    model: _LoadedModel,
    encoded: Any,
    wanted: list[int],
    languages: list[str],
    limits: list[int],
    hypotheses: list[Hypothesis],
) -> None:
    """English text for the windows in ``wanted``: Whisper's translate task, decoded greedily
    from the encoder output the transcription already computed."""

    subset = _rows(encoded, wanted, len(hypotheses))
    tokenizers = [model.tokenizer(languages[i], "translate") for i in wanted]
    requests = [[*tok.sot_sequence, tok.no_timestamps] for tok in tokenizers]
    results = model.whisper.model.generate(
        subset,
        requests,
        beam_size=1,
        max_length=_max_length(max(limits[i] for i in wanted) + 8, max(map(len, requests))),
        suppress_blank=True,
    )
    for index, tok, result in zip(wanted, tokenizers, results, strict=True):
        tokens = [t for t in result.sequences_ids[0] if t < tok.eot]
        hypotheses[index].translation = tok.decode(tokens).strip()


def _max_length(tokens: int, prompt: int) -> int:
    """CTranslate2's ``max_length`` for Whisper that lets ``tokens`` of text come after a prompt
    of ``prompt`` tokens. Its Whisper generates at most half of ``max_length`` and at most
    ``max_length`` less the prompt (measured with 4.8: 80 gave 40 tokens; 60 after a 35-token
    prompt gave 26), so a bare ``tokens + prompt`` cut long French finals mid-sentence."""
    return min(_TEXT_CONTEXT, max(2 * tokens, tokens + prompt))


def _repeats_itself(tokens: list[int]) -> bool:
    """Whether the text ends by saying a phrase of three tokens or more twice in a row: a
    decoding loop (people rarely repeat a whole phrase at once; "very, very" is shorter)."""
    for size in range(3, len(tokens) // 2 + 1):
        if tokens[-size:] == tokens[-2 * size : -size]:
            return True
    return False


def _align(
    model: _LoadedModel,
    encoded: Any,
    texts: list[list[int]],
    audios: list[NDArray[np.float32]],
    languages: list[str],
    hypotheses: list[Hypothesis],
) -> None:
    """Word timings from the decoder's cross-attention (faster-whisper's alignment heads)."""
    import ctranslate2

    wanted = [i for i, tokens in enumerate(texts) if tokens]
    if not wanted:
        return
    by_language: dict[str, list[int]] = {}
    for index in wanted:
        by_language.setdefault(languages[index], []).append(index)
    whole = len(by_language) == 1 and len(wanted) == len(texts)
    array = np.zeros(0) if whole else np.array(encoded)
    for language, indices in by_language.items():
        subset = encoded if whole else ctranslate2.StorageView.from_array(array[indices])
        alignments = model.whisper.find_alignment(
            model.tokenizer(language),
            [texts[i] for i in indices],
            subset,
            [min(_FULL_FRAMES, audios[i].size // _HOP) for i in indices],
        )
        for index, words in zip(indices, alignments, strict=True):
            hypotheses[index].words = _join_pieces(
                [(w["word"], float(w["start"]), float(w["end"])) for w in words]
            )


def _join_pieces(pieces: list[tuple[str, float, float]]) -> list[Word]:
    """Words from alignment pieces: a piece not starting with a space (a hyphenated tail, a
    comma) belongs to the word before it, so the words joined by spaces give the text back."""
    words: list[Word] = []
    for raw, start, end in pieces:
        text = raw.strip()
        if not text:
            continue
        if words and (not raw.startswith(" ") or all(ch in _PUNCTUATION for ch in text)):
            last = words[-1]
            words[-1] = Word(last.text + text, last.start, max(last.end, end))
        else:
            words.append(Word(text, start, end))
    return words
