"""The one small interface every speech recogniser implements.

A recogniser takes one stream of mono audio per speaker and calls a sink with captions: partial
text that is refined while the person speaks, then one final text per utterance. The sink may be
called from any thread (recognisers decode off the event loop); callers marshal it where they need.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, Protocol

import numpy as np
from numpy.typing import NDArray

CaptionKind = Literal["partial", "final"]
Language = Literal["fr", "en", "auto"]


@dataclass(frozen=True)
class Word:
    """One recognised word and when it was spoken, in seconds on the stream's clock."""

    text: str
    start: float
    end: float


@dataclass(frozen=True)
class Caption:
    """Recognised speech for one utterance (``segment_id``), partial or final.

    A final with empty ``text`` withdraws the utterance's partials (it was not speech after all).
    """

    segment_id: str
    kind: CaptionKind
    text: str
    language: str
    start: float
    end: float
    words: tuple[Word, ...] = field(default=())
    translation: str = ""
    """The text in English, on finals of streams opened with ``translate`` and spoken in
    another language."""


CaptionSink = Callable[[Caption], None]


@dataclass(frozen=True)
class StreamLoad:
    """How well a recogniser keeps up with one stream (for logs and the worker's ``pong``)."""

    dropped_seconds: float = 0.0
    """Audio never recognised since the stream started: it came too late to be worth decoding
    (the decoder had fallen behind) or overflowed the stream's queue."""
    backlog_seconds: float = 0.0
    """Age of the oldest audio still waiting for the recogniser, now, from when it was spoken."""
    decode_errors: int = 0
    """Decodes of this stream that failed (their audio is lost)."""
    final_lag_seconds: float = 0.0
    """From the end of the last utterance being spoken to its final: how far behind the worker
    is (a few tenths of a second when it keeps up)."""


class RecognitionStream(Protocol):
    """One speaker's audio going into a recogniser."""

    def feed(self, pcm: NDArray[np.float32], spoken_at: float | None = None) -> None:
        """Queue mono float32 PCM at the recogniser's ``sample_rate``; never waits on decoding.
        ``spoken_at``: when it was spoken (``time.monotonic()``; default: now), for audio that
        waited on its way here (in a socket's buffer while the worker was held up)."""

    def close(self) -> None:
        """End the stream: speech still pending is decoded and delivered as a final."""

    def load(self) -> StreamLoad:
        """Audio dropped and backlog so far; callable from any thread."""


class Recogniser(Protocol):
    """A speech recogniser shared by the streams of one worker."""

    @property
    def sample_rate(self) -> int:
        """The rate, in Hz, that ``RecognitionStream.feed`` expects."""

    def open_stream(
        self, language: Language, model: str | None, sink: CaptionSink, translate: bool = False
    ) -> RecognitionStream:
        """Start recognising one speaker; ``model`` None means the recogniser's default;
        ``translate``: finals also in English (recognisers that cannot raise ValueError)."""

    def close(self) -> None:
        """Stop decoding and release the model."""
