"""The speech workers connected to this app server, and which streams each one carries."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, Literal

from visio.speech.protocol import (
    BEHIND_SECONDS,
    CaptionMessage,
    Ping,
    Srtp,
    StreamError,
    StreamReady,
    StreamStart,
    StreamStop,
    Welcome,
    WorkerLoad,
)
from visio.tasks import BackgroundTasks

logger = logging.getLogger(__name__)

ServerMessage = Welcome | StreamStart | StreamStop | Ping
CaptionListener = Callable[[CaptionMessage], None]
LostListener = Callable[[], Coroutine[Any, Any, None]]


class CaptionsUnavailableError(Exception):
    """No speech worker can take another stream."""


@dataclass(eq=False)
class WorkerConnection:
    """One connected worker: where it listens and what it carries."""

    worker_id: str
    host: str
    capacity: int
    models: list[str]
    outbox: asyncio.Queue[ServerMessage | None] = field(default_factory=asyncio.Queue)
    streams: set[str] = field(default_factory=set)
    ready: dict[str, asyncio.Future[int]] = field(default_factory=dict)
    load: WorkerLoad | None = None
    """What the worker last said of its load (in ``pong``); None for workers that do not say."""

    @property
    def behind(self) -> bool:
        """Whether the worker said it cannot keep up (its finals come late)."""
        return self.load is not None and (
            self.load.final_lag_seconds > BEHIND_SECONDS
            or self.load.backlog_seconds > BEHIND_SECONDS
        )

    def send(self, message: ServerMessage) -> None:
        self.outbox.put_nowait(message)


@dataclass(eq=False)
class _Stream:
    stream_id: str
    on_caption: CaptionListener
    on_lost: LostListener
    worker: WorkerConnection | None = None


class SpeechWorkerPool:
    """Places audio streams on workers (least loaded first) and routes their captions back."""

    def __init__(self, ready_timeout: float = 15.0) -> None:
        self._workers: dict[str, WorkerConnection] = {}
        self._streams: dict[str, _Stream] = {}
        self._ready_timeout = ready_timeout
        self._background = BackgroundTasks("speech worker pool")
        self.stray_captions = 0
        """Captions for a stream this server no longer has (closed, or moved to another
        worker): nobody sees them."""
        self._last_stray: str | None = None

    @property
    def available(self) -> bool:
        return any(len(w.streams) < w.capacity for w in self._workers.values())

    def workers(self) -> list[WorkerConnection]:
        return list(self._workers.values())

    def register(self, worker: WorkerConnection) -> None:
        previous = self._workers.get(worker.worker_id)
        if previous is not None:
            self.unregister(previous)
        self._workers[worker.worker_id] = worker
        logger.info(
            "speech worker %s connected (%s, %d streams)",
            worker.worker_id,
            worker.host,
            worker.capacity,
        )

    def unregister(self, worker: WorkerConnection) -> None:
        """A worker left: its streams are handed back to their owners to place elsewhere."""
        if self._workers.get(worker.worker_id) is worker:
            del self._workers[worker.worker_id]
        worker.outbox.put_nowait(None)
        for future in worker.ready.values():
            if not future.done():
                future.set_exception(CaptionsUnavailableError("the speech worker went away"))
        orphans = [self._streams[s] for s in worker.streams if s in self._streams]
        worker.streams.clear()
        logger.warning("speech worker %s gone; %d streams to move", worker.worker_id, len(orphans))
        for stream in orphans:
            stream.worker = None
            self._background.spawn(stream.on_lost())

    async def open_stream(
        self,
        stream_id: str,
        language: Literal["fr", "en", "auto"],
        on_caption: CaptionListener,
        on_lost: LostListener,
        srtp: Srtp | None = None,
        translate: bool = False,
    ) -> tuple[str, int]:
        """Ask the least-loaded worker to take a stream (one that keeps up, if any does); return
        where Janus must send its RTP. ``translate``: finals also in English."""
        candidates = [w for w in self._workers.values() if len(w.streams) < w.capacity]
        if not candidates:
            raise CaptionsUnavailableError("no speech worker has room for another stream")
        worker = min(candidates, key=lambda w: (w.behind, len(w.streams) / w.capacity))
        if worker.behind:
            logger.warning(
                "speech worker %s takes stream %s although it cannot keep up: no other worker "
                "has room",
                worker.worker_id,
                stream_id,
            )
        stream = _Stream(stream_id, on_caption, on_lost, worker)
        self._streams[stream_id] = stream
        worker.streams.add(stream_id)
        ready: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        worker.ready[stream_id] = ready
        worker.send(
            StreamStart(stream_id=stream_id, language=language, srtp=srtp, translate=translate)
        )
        try:
            port = await asyncio.wait_for(ready, self._ready_timeout)
        except (TimeoutError, CaptionsUnavailableError) as exc:
            self.close_stream(stream_id)
            raise CaptionsUnavailableError(
                f"speech worker did not take the stream: {exc}"
            ) from None
        finally:
            worker.ready.pop(stream_id, None)
        return worker.host, port

    def close_stream(self, stream_id: str) -> None:
        stream = self._streams.pop(stream_id, None)
        if stream is None or stream.worker is None:
            return
        stream.worker.streams.discard(stream_id)
        stream.worker.send(StreamStop(stream_id=stream_id))

    def on_message(
        self, worker: WorkerConnection, message: StreamReady | CaptionMessage | StreamError
    ) -> None:
        stream = self._streams.get(message.stream_id)
        if stream is None or stream.worker is not worker:
            if isinstance(message, CaptionMessage):
                self.stray_captions += 1
                if self._last_stray != message.stream_id:  # once per stream
                    self._last_stray = message.stream_id
                    logger.warning(
                        "speech worker %s sent a caption for stream %s, which it no longer "
                        "carries: nobody sees it",
                        worker.worker_id,
                        message.stream_id,
                    )
            return
        if isinstance(message, StreamReady):
            future = worker.ready.get(message.stream_id)
            if future is not None and not future.done():
                future.set_result(message.port)
        elif isinstance(message, CaptionMessage):
            stream.on_caption(message)
        else:
            logger.warning(
                "speech worker %s dropped stream %s: %s",
                worker.worker_id,
                message.stream_id,
                message.message,
            )
            future = worker.ready.get(message.stream_id)
            if future is not None and not future.done():
                future.set_exception(CaptionsUnavailableError(message.message))
                return
            worker.streams.discard(message.stream_id)
            stream.worker = None
            self._background.spawn(stream.on_lost())
