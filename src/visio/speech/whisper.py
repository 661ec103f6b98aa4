"""The embedded recogniser: faster-whisper (CTranslate2, int8 on CPU) made to stream.

Whisper decodes whole windows, not streams. The known recipe turns it into live captions:

* Silero VAD cuts each speaker's audio into utterances; silence is never decoded at all.
* While someone speaks, the growing utterance is re-decoded (a *partial*). Words on which two
  consecutive decodes agree are committed and never change again in later partials; the tail
  after them is shown too, as the best guess so far.
* At the pause, the whole utterance is decoded once more with the full 30 s encoder window
  (the *final*).
* Guards against Whisper's hallucinations on noise: no-speech probability, average log
  probability, compression ratio and a cap on tokens per second of audio.

One decoder thread serves every stream of the process, so a worker with several speakers shares
one model in memory and never oversubscribes the CPU. Finals go first; then partials, the
speaker who has waited longest first, decoded together in one batch.

When the decoder cannot keep up (more speakers than the CPU allows), it sheds work instead of
falling ever further behind: of a speaker's utterances waiting for their final, only the newest
is decoded; older ones that ended more than ``max_lag`` seconds ago are settled undecoded (their
agreed partial words, if any, become their final). A stream's queue holds at most
``max_backlog`` seconds. What is shed is counted per stream
(:meth:`_WhisperStream.load`), so that the worker can log it and report it to the server.
"""

from __future__ import annotations

import logging
import string
import threading
import time
import uuid
import zlib
from collections import deque
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
_PUNCTUATION = set(string.punctuation) | {"¿", "¡", "«", "»", "…"}


@dataclass(frozen=True)
class StreamingOptions:
    """How the embedded recogniser trades delay, accuracy and CPU."""

    partial_interval: float = 0.3  # seconds of new speech between two partial decodes of a stream
    partial_context: float = 10.0  # encoder window for partials, seconds (30 = Whisper's full one)
    min_silence: float = 0.5  # a pause this long ends the utterance
    speech_pad: float = 0.2  # audio kept before speech starts and after it stops
    min_speech: float = 0.25  # shorter bursts of "speech" are dropped undecoded
    max_utterance: float = 20.0  # longer utterances are cut into several finals
    vad_threshold: float = 0.5
    final_beam_size: int = 1
    max_batch: int = 8
    no_speech_threshold: float = 0.6
    logprob_threshold: float = -1.0
    compression_ratio_threshold: float = 2.4
    max_tokens_per_second: float = 7.0
    max_lag: float = 4.0  # older finals of a speaker with newer ones waiting are shed (too late)
    max_backlog: float = 30.0  # audio queued beyond this, per stream, is dropped (oldest first)


@dataclass
class Hypothesis:
    """One decode's result for one audio window (times relative to the window's start)."""

    text: str
    words: list[Word]
    language: str
    rejected: str | None = None


@dataclass
class _Job:
    stream: _WhisperStream
    audio: NDArray[np.float32]
    final: bool
    segment_id: str
    offset: float  # the window's start on the stream's clock, seconds
    language: str | None  # None: detect
    heard_at: float = 0.0  # monotonic time the window's last audio reached the recogniser


@dataclass
class _LoadedModel:
    name: str
    whisper: Any  # faster_whisper.WhisperModel (untyped library)
    multilingual: bool
    tokenizers: dict[str, Any] = field(default_factory=dict)

    def tokenizer(self, language: str) -> Any:
        from faster_whisper.tokenizer import Tokenizer

        if language not in self.tokenizers:
            self.tokenizers[language] = Tokenizer(
                self.whisper.hf_tokenizer,
                self.multilingual,
                task="transcribe",
                language=language if self.multilingual else "en",
            )
        return self.tokenizers[language]


def _normalise(word: str) -> str:
    return "".join(ch for ch in word.lower() if ch not in _PUNCTUATION)


def _compression_ratio(text: str) -> float:
    data = text.encode("utf-8")
    return len(data) / max(1, len(zlib.compress(data)))


class _WhisperStream:
    """One speaker: VAD state, the current utterance and its partial-decode state.

    ``feed`` and ``close`` are called from the caller's thread; everything else runs on the
    decoder thread only.
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
        self._inbox: deque[tuple[NDArray[np.float32], float]] = deque()  # (pcm, arrival time)
        self._heard_at = 0.0  # arrival time of the audio being ingested
        self.closing = False
        self.finished = threading.Event()
        """Set once the stream is closed and its last caption delivered (or there was none)."""
        self.dropped_samples = 0  # written by the decoder thread only
        self.decode_errors = 0
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
        self.partial_sent = False
        self.detected_language: str | None = None

    # --- caller's thread -------------------------------------------------------------------
    def feed(self, pcm: NDArray[np.float32]) -> None:
        self._inbox.append((np.asarray(pcm, dtype=np.float32), time.monotonic()))
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
        )

    # --- decoder thread --------------------------------------------------------------------
    @property
    def utterance_samples(self) -> int:
        return sum(chunk.size for chunk in self.utterance)

    def ingest(self) -> list[_Job]:
        """Run VAD over queued audio; returns the finals of utterances that just ended."""
        jobs: list[_Job] = []
        opts = self._engine.options
        negative = max(opts.vad_threshold - 0.15, 0.01)
        self._drop_overflow()
        while self._inbox:
            pcm, self._heard_at = self._inbox.popleft()
            windows, probabilities = self.vad.feed(pcm)
            for index, probability in enumerate(probabilities):
                window = windows[index * WINDOW : (index + 1) * WINDOW]
                self.clock += WINDOW
                if not self.utterance:
                    if probability >= opts.vad_threshold:
                        self._begin(window)
                    else:
                        self._recent.append(window)
                    continue
                self.utterance.append(window)
                if probability >= opts.vad_threshold:
                    self.speech_samples += WINDOW
                    self.silence_samples = 0
                elif probability < negative:
                    self.silence_samples += WINDOW
                if self.silence_samples >= opts.min_silence * SAMPLE_RATE:
                    jobs.extend(self._end(trailing_silence=self.silence_samples))
                elif self.utterance_samples >= opts.max_utterance * SAMPLE_RATE:
                    jobs.extend(self._end(trailing_silence=0))
        if self.closing and self.utterance:
            jobs.extend(self._end(trailing_silence=self.silence_samples))
        return jobs

    def _drop_overflow(self) -> None:
        """Keep at most ``max_backlog`` seconds queued: the oldest audio goes first (the decoder
        is stuck or far behind; what is dropped would be captioned far too late anyway)."""
        limit = int(self._engine.options.max_backlog * SAMPLE_RATE)
        queued = sum(pcm.size for pcm, _ in self._inbox)
        dropped = 0
        while queued > limit and self._inbox:
            pcm, _ = self._inbox.popleft()
            queued -= pcm.size
            dropped += pcm.size
        if dropped:
            self.dropped_samples += dropped
            self.clock += dropped  # the stream's clock keeps to the speaker's
            if self.utterance:  # what was heard of it lost its middle: let it go
                self.dropped_samples += self.utterance_samples
                self.utterance = []
                if self.partial_sent:
                    self.emit_final(Hypothesis("", [], self.language_hint or "en"), 0.0)

    def late(self, job: _Job) -> None:
        """The decoder reached this final too late: count its audio as dropped and settle the
        utterance without decoding it (its agreed partial words, or a withdrawal)."""
        self.dropped_samples += job.audio.size
        self.on_final(job, Hypothesis("", [], job.language or "en", rejected="late"))

    def _begin(self, window: NDArray[np.float32]) -> None:
        self.utterance = [*self._recent, window]
        self._recent.clear()
        self.utterance_start = self.clock - self.utterance_samples
        self.speech_samples = WINDOW
        self.silence_samples = 0
        self.segments += 1
        self.segment_id = f"{self.prefix}-{self.segments}"
        self.decoded_samples = 0
        self.waiting_since = time.monotonic()
        self.previous_words = []
        self.committed = []
        self.last_partial = ""
        self.partial_sent = False
        if self.language == "auto":
            self.detected_language = None

    def _end(self, trailing_silence: int) -> list[_Job]:
        opts = self._engine.options
        audio = np.concatenate(self.utterance)
        keep = audio.size - max(0, trailing_silence - self._pad)
        audio = audio[:keep]
        self.utterance = []
        if self.speech_samples < opts.min_speech * SAMPLE_RATE:
            if self.partial_sent:
                self.emit_final(Hypothesis("", [], self.language_hint or "en"), 0.0)
            return []
        return [
            _Job(
                self,
                audio,
                final=True,
                segment_id=self.segment_id,
                offset=self.utterance_start / SAMPLE_RATE,
                language=self.language_hint,
                heard_at=self._heard_at,
            )
        ]

    @property
    def language_hint(self) -> str | None:
        if self.language != "auto":
            return self.language
        return self.detected_language

    def partial_job(self) -> _Job | None:
        """A partial decode of the current utterance, when enough new speech has arrived."""
        opts = self._engine.options
        if not self.utterance or self.speech_samples < opts.min_speech * SAMPLE_RATE:
            return None
        length = self.utterance_samples
        if length - self.decoded_samples < opts.partial_interval * SAMPLE_RATE:
            return None
        return _Job(
            self,
            np.concatenate(self.utterance),
            final=False,
            segment_id=self.segment_id,
            offset=self.utterance_start / SAMPLE_RATE,
            language=self.language_hint,
        )

    def on_partial(self, job: _Job, hypothesis: Hypothesis) -> None:
        if job.segment_id != self.segment_id or not self.utterance:
            return  # the utterance ended while this partial was being decoded
        self.decoded_samples = job.audio.size
        self.waiting_since = time.monotonic()
        if self.language == "auto" and job.audio.size >= SAMPLE_RATE:
            self.detected_language = hypothesis.language
        if hypothesis.rejected:
            return
        words = [Word(w.text, w.start + job.offset, w.end + job.offset) for w in hypothesis.words]
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
        shown = self.committed + tail
        text = " ".join(w.text for w in shown)
        if not text or text == self.last_partial:
            return
        self.last_partial = text
        self.partial_sent = True
        self.sink(
            Caption(
                self.segment_id,
                "partial",
                text,
                hypothesis.language,
                shown[0].start,
                shown[-1].end,
                tuple(shown),
            )
        )

    def on_final(self, job: _Job, hypothesis: Hypothesis) -> None:
        if hypothesis.rejected and job.segment_id == self.segment_id and self.committed:
            # The final decode was refused but two partial decodes agreed on these words.
            hypothesis = Hypothesis(
                " ".join(w.text for w in self.committed),
                [Word(w.text, w.start - job.offset, w.end - job.offset) for w in self.committed],
                hypothesis.language,
            )
        self.emit_final(hypothesis, job.offset, job.segment_id)

    def emit_final(self, hypothesis: Hypothesis, offset: float, segment_id: str = "") -> None:
        segment_id = segment_id or self.segment_id
        words = tuple(Word(w.text, w.start + offset, w.end + offset) for w in hypothesis.words)
        text = "" if hypothesis.rejected else hypothesis.text
        if text and words:
            text = " ".join(w.text for w in words)
        if not text and not self.partial_sent:
            return
        if not text:
            words = ()
        start = words[0].start if words else offset
        end = words[-1].end if words else offset
        self.partial_sent = False
        self.sink(Caption(segment_id, "final", text, hypothesis.language, start, end, words))


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
    ) -> None:
        self.catalog = catalog
        self.default_model = default_model
        self.english_model = english_model
        self.options = options or StreamingOptions()
        self.cpu_threads = cpu_threads
        self._streams: list[_WhisperStream] = []
        self._lock = threading.Lock()
        self._wakeup = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._models: dict[str, _LoadedModel] = {}
        self._vad: SileroVad | None = None
        self.decode_seconds = 0.0  # compute spent decoding, for benchmarks

    # --- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        """Start the decoder thread."""
        self._vad = SileroVad()
        self._thread = threading.Thread(target=self._run, name="whisper-decoder", daemon=True)
        self._thread.start()

    def preload(self, *names: str) -> None:
        """Load (and verify) models now rather than at their first stream; blocks."""
        for name in names:
            self._model(name)

    def close(self) -> None:
        self._stopping = True
        self.wake()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def wake(self) -> None:
        self._wakeup.set()

    # --- streams ---------------------------------------------------------------------------
    def choose_model(self, language: Language, model: str | None) -> str:
        """The model for a stream: the one asked for, else the English one for English."""
        if model is not None:
            if model not in self.catalog.names():
                raise ValueError(f"unknown model {model!r}")
            return model
        if language == "en" and self.english_model:
            return self.english_model
        return self.default_model

    def open_stream(
        self, language: Language, model: str | None, sink: CaptionSink
    ) -> _WhisperStream:
        if self._vad is None:
            raise RuntimeError("WhisperRecogniser.start() was not called")
        name = self.choose_model(language, model)
        if language != "en" and self.catalog.languages(name) == ("en",):
            raise ValueError(f"model {name} only knows English, the stream is {language!r}")
        stream = _WhisperStream(self, self._vad.stream(), language, name, sink)
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
        try:
            self._step()
        except Exception:
            log.exception("speech decoder flush failed")

    def _step(self) -> None:
        """Ingest audio, then run finals (all of them) or else one batch of partials."""
        with self._lock:
            streams = list(self._streams)
        finals: list[_Job] = []
        ended: list[_WhisperStream] = []
        for stream in streams:
            finals.extend(stream.ingest())
            if stream.closing and not stream.utterance:
                with self._lock:
                    self._streams.remove(stream)
                ended.append(stream)
        if finals:
            try:
                for batch in self._batches(self._shed(finals)):
                    self._decode(batch)
            finally:
                for stream in ended:
                    stream.finished.set()
            self.wake()
            return
        for stream in ended:
            stream.finished.set()
        partials = [job for stream in streams if (job := stream.partial_job()) is not None]
        partials.sort(key=lambda job: job.stream.waiting_since)
        if partials:
            self._decode(self._batches(partials)[0])
            self.wake()

    def _shed(self, finals: list[_Job]) -> list[_Job]:
        """The finals worth decoding now. A speaker with several utterances waiting (the decoder
        fell behind while they went on talking) gets the newest one decoded; the older ones, if
        they ended more than ``max_lag`` ago, are settled undecoded and counted as dropped. This
        bounds the work of a step to one final per stream, so the decoder catches up."""
        newest = {job.stream: job for job in finals}
        deadline = time.monotonic() - self.options.max_lag
        kept: list[_Job] = []
        for job in finals:
            if newest[job.stream] is not job and job.heard_at < deadline:
                job.stream.late(job)
            else:
                kept.append(job)
        return kept

    def _batches(self, jobs: list[_Job]) -> list[list[_Job]]:
        groups: dict[tuple[str, bool], list[_Job]] = {}
        for job in jobs:
            groups.setdefault((job.stream.model, job.final), []).append(job)
        size = self.options.max_batch
        return [
            group[i : i + size] for group in groups.values() for i in range(0, len(group), size)
        ]

    def _model(self, name: str) -> _LoadedModel:
        if name not in self._models:
            from faster_whisper import WhisperModel

            folder: Path = self.catalog.prepare(name)
            started = time.monotonic()
            whisper = WhisperModel(
                str(folder),
                device="cpu",
                compute_type="int8",
                cpu_threads=self.cpu_threads,
                num_workers=1,
                local_files_only=True,
            )
            log.info("loaded speech model %s in %.1f s", name, time.monotonic() - started)
            self._models[name] = _LoadedModel(name, whisper, whisper.model.is_multilingual)
        return self._models[name]

    def _decode(self, jobs: list[_Job]) -> None:
        if not jobs:
            return
        started = time.perf_counter()
        try:
            model = self._model(jobs[0].stream.model)
            hypotheses = decode_batch(
                model,
                [job.audio for job in jobs],
                [job.language for job in jobs],
                full_context=jobs[0].final,
                options=self.options,
            )
        except Exception:
            for job in jobs:
                job.stream.decode_errors += 1
                if job.final:
                    job.stream.dropped_samples += job.audio.size
            raise
        finally:
            self.decode_seconds += time.perf_counter() - started
        for job, hypothesis in zip(jobs, hypotheses, strict=True):
            try:
                if job.final:
                    job.stream.on_final(job, hypothesis)
                else:
                    job.stream.on_partial(job, hypothesis)
            except Exception:
                log.exception("caption delivery failed for segment %s", job.segment_id)


def _features(model: _LoadedModel, audio: NDArray[np.float32], frames: int) -> NDArray[np.float32]:
    padded = np.zeros(frames * _HOP, dtype=np.float32)
    padded[: min(audio.size, padded.size)] = audio[: padded.size]
    features = model.whisper.feature_extractor(padded, padding=0)
    out = np.zeros((features.shape[0], frames), dtype=np.float32)
    usable = min(frames, features.shape[1])
    out[:, :usable] = features[:, :usable]
    return out


def decode_batch(
    model: _LoadedModel,
    audios: list[NDArray[np.float32]],
    languages: list[str | None],
    full_context: bool,
    options: StreamingOptions,
) -> list[Hypothesis]:
    """Decode several windows (up to 30 s each) in one encoder and one decoder call.

    Partials use a shorter encoder window (``options.partial_context``) than the 30 s Whisper was
    trained on: several times cheaper, slightly less accurate, and refined by the final anyway.
    """
    import ctranslate2

    longest = max(audio.size for audio in audios) / SAMPLE_RATE
    if full_context:
        frames = _FULL_FRAMES
    else:
        seconds = max(options.partial_context, longest + 1.0)
        frames = min(_FULL_FRAMES, int(seconds * 100))
    features = np.stack([_features(model, audio, frames) for audio in audios])
    encoded = model.whisper.model.encode(ctranslate2.StorageView.from_array(features), to_cpu=False)

    resolved: list[str] = []
    if not model.multilingual:
        resolved = ["en"] * len(audios)
    else:
        detected: list[str] = []
        if any(language is None for language in languages):
            for scores in model.whisper.model.detect_language(encoded):
                detected.append(scores[0][0][2:-2])
        for index, language in enumerate(languages):
            resolved.append(language if language is not None else detected[index])

    tokenizers = [model.tokenizer(language) for language in resolved]
    prompts = [[*tok.sot_sequence, tok.no_timestamps] for tok in tokenizers]
    from faster_whisper.transcribe import get_suppressed_tokens

    suppressed = list(get_suppressed_tokens(tokenizers[0], (-1,)) or [])
    limits = [int(8 + options.max_tokens_per_second * a.size / SAMPLE_RATE) for a in audios]
    results = model.whisper.model.generate(
        encoded,
        prompts,
        beam_size=options.final_beam_size if full_context else 1,
        max_length=max(limits) + 4,
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
        length = max(1, len(tokens))
        avg_logprob = float(result.scores[0]) if result.scores else -10.0
        rejected = None
        if not text:
            rejected = "empty"
        elif len(tokens) > limits[index]:
            rejected = f"{len(tokens)} tokens for {audios[index].size / SAMPLE_RATE:.1f} s"
        elif _compression_ratio(text) > options.compression_ratio_threshold:
            rejected = "repetitive"
        elif avg_logprob < options.logprob_threshold:
            rejected = f"avg logprob {avg_logprob:.2f}"
        elif result.no_speech_prob > options.no_speech_threshold and avg_logprob < -0.5:
            rejected = f"no-speech {result.no_speech_prob:.2f}"
        del length
        hypotheses.append(Hypothesis(text, [], resolved[index], rejected))
        texts.append(tokens if rejected is None else [])
    _align(model, encoded, texts, audios, resolved, hypotheses)
    return hypotheses


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
