"""A client of Kyutai's streaming speech-to-text server (moshi-server, delayed-streams-modeling).

This is the recogniser for GPU deployments, the one La Suite's Visio uses. The protocol, as the
server implements it (``/api/asr-streaming``, header ``kyutai-api-key``), is binary WebSocket frames
holding MessagePack maps tagged by ``type``:

* client → server: ``Audio`` {pcm: float32 list, 24 kHz mono, 1920 samples (80 ms) per frame},
  ``Marker`` {id}; the server returns the marker once all audio before it is transcribed.
* server → client: ``Word`` {text, start_time}, ``EndWord`` {stop_time}, ``Step`` {step_idx, prs,
  buffered_pcm} once per 80 ms frame, ``Marker`` {id}, ``Error`` {message}, ``Ready``.

Kyutai's model streams words, not utterances: this client groups words into captions, and closes
an utterance (a final) when no word has come for ``pause`` seconds of audio.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from typing import Any

import msgpack
import numpy as np
from numpy.typing import NDArray
from websockets.asyncio.client import ClientConnection, connect

from visio.speech.recogniser import Caption, CaptionSink, Language, StreamLoad, Word

log = logging.getLogger(__name__)

SAMPLE_RATE = 24000
FRAME = 1920  # samples per Audio message: one 80 ms step of the model
_STEP_SECONDS = FRAME / SAMPLE_RATE


class KyutaiStream:
    """One speaker streamed to the Kyutai server over its own WebSocket."""

    def __init__(
        self,
        url: str,
        api_key: str | None,
        language: Language,
        sink: CaptionSink,
        pause: float,
        delay: float,
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self._url = url
        self._api_key = api_key
        self._language = "fr" if language == "fr" else "en"
        self._sink = sink
        self._pause = pause
        self._delay = delay
        self._word_open = False
        self._loop = loop
        self._audio: asyncio.Queue[NDArray[np.float32] | None] = asyncio.Queue()
        self._prefix = uuid.uuid4().hex[:8]
        self._segments = 0
        self._words: list[Word] = []
        self._clock = 0.0
        self._task = loop.create_task(self._run())
        self.error: str | None = None

    # --- any thread ---------------------------------------------------------------------------
    def feed(self, pcm: NDArray[np.float32], spoken_at: float | None = None) -> None:
        self._loop.call_soon_threadsafe(self._audio.put_nowait, np.asarray(pcm, np.float32))

    def close(self) -> None:
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._audio.put_nowait, None)

    def load(self) -> StreamLoad:
        # Nothing is dropped here and the server does the decoding: no figures to report yet.
        return StreamLoad()

    async def wait_closed(self) -> None:
        """Until every caption is delivered (after ``close``)."""
        await asyncio.shield(self._task)

    # --- the loop -------------------------------------------------------------------------------
    async def _run(self) -> None:
        headers = {"kyutai-api-key": self._api_key} if self._api_key else {}
        try:
            async with connect(self._url, additional_headers=headers, max_size=None) as ws:
                sender = asyncio.create_task(self._send(ws))
                try:
                    await self._receive(ws)
                finally:
                    sender.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await sender
        except Exception as exc:
            self.error = str(exc)
            log.error("Kyutai STT stream to %s failed: %s", self._url, exc)
        self._finish()

    async def _send(self, ws: ClientConnection) -> None:
        pending = np.zeros(0, dtype=np.float32)
        while True:
            chunk = await self._audio.get()
            if chunk is None:
                break
            pending = np.concatenate([pending, chunk])
            while pending.size >= FRAME:
                await ws.send(_pack({"type": "Audio", "pcm": pending[:FRAME].tolist()}))
                pending = pending[FRAME:]
        if pending.size:
            padded = np.zeros(FRAME, np.float32)
            padded[: pending.size] = pending
            await ws.send(_pack({"type": "Audio", "pcm": padded.tolist()}))
        # The model answers with a delay: a marker, then silence, flushes the last words out.
        await ws.send(_pack({"type": "Marker", "id": 1}))
        silence = np.zeros(FRAME, np.float32).tolist()
        for _ in range(int(5.0 / _STEP_SECONDS)):
            await ws.send(_pack({"type": "Audio", "pcm": silence}))
        await asyncio.sleep(30)  # the receiver ends the connection once the marker is back

    async def _receive(self, ws: ClientConnection) -> None:
        async for raw in ws:
            if isinstance(raw, str):
                continue
            message: dict[str, Any] = msgpack.unpackb(raw, raw=False)
            kind = message.get("type")
            if kind == "Word":
                start = float(message["start_time"])
                self._words.append(Word(str(message["text"]), start, start))
                self._word_open = True
                self._partial()
            elif kind == "EndWord" and self._words:
                last = self._words[-1]
                self._words[-1] = Word(last.text, last.start, float(message["stop_time"]))
                self._word_open = False
                self._partial()
            elif kind == "Step":
                # Audio time the model has decided on: what it received, less its delay.
                self._clock = (int(message["step_idx"]) + 1) * _STEP_SECONDS - self._delay
                quiet = self._clock - self._words[-1].end if self._words else 0.0
                if self._words and not self._word_open and quiet > self._pause:
                    self._final()
            elif kind == "Marker":
                return
            elif kind == "Error":
                raise RuntimeError(f"Kyutai server error: {message.get('message')}")

    def _segment_id(self) -> str:
        return f"{self._prefix}-{self._segments + 1}"

    def _caption(self, kind: str) -> Caption:
        words = tuple(self._words)
        text = " ".join(w.text for w in words)
        return Caption(
            self._segment_id(),
            "final" if kind == "final" else "partial",
            text,
            self._language,
            words[0].start,
            max(w.end for w in words),
            words,
        )

    def _partial(self) -> None:
        self._sink(self._caption("partial"))

    def _final(self) -> None:
        self._sink(self._caption("final"))
        self._segments += 1
        self._words = []

    def _finish(self) -> None:
        if self._words:
            self._final()


def _pack(message: dict[str, Any]) -> bytes:
    packed = msgpack.packb(message, use_single_float=True)
    assert isinstance(packed, bytes)
    return packed


class KyutaiRecogniser:
    """Kyutai STT behind the :class:`~visio.speech.recogniser.Recogniser` interface.

    Streams must be opened from the asyncio loop they will run on (the worker's).
    """

    sample_rate = SAMPLE_RATE

    def __init__(
        self, url: str, api_key: str | None = None, pause: float = 0.8, delay: float = 0.5
    ) -> None:
        self.url = url
        self.api_key = api_key
        self.pause = pause
        self.delay = delay  # the model's answer delay: 0.5 s for stt-1b-en_fr, 2.5 s for 2.6b
        self._streams: list[KyutaiStream] = []

    def open_stream(
        self, language: Language, model: str | None, sink: CaptionSink, translate: bool = False
    ) -> KyutaiStream:
        if translate:
            raise ValueError("the Kyutai recogniser does not translate")
        stream = KyutaiStream(
            self.url,
            self.api_key,
            language,
            sink,
            self.pause,
            self.delay,
            asyncio.get_running_loop(),
        )
        self._streams.append(stream)
        return stream

    def close(self) -> None:
        for stream in self._streams:
            stream.close()
        self._streams.clear()
