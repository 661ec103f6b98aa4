"""``visio speech-worker``: takes streams from the app server, captions them, sends captions back.

One asyncio loop holds the WebSocket to the app server and the UDP sockets that receive each
stream's RTP. Depacketizing and Opus decoding (tens of microseconds per 20 ms packet) run on the
loop; recognition runs on the recogniser's own thread, and captions come back through
``call_soon_threadsafe``. See docs/speech.md for the protocol.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import socket
import time
from dataclasses import dataclass
from typing import cast

import pylibsrtp
from pydantic import ValidationError
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from visio.backoff import Backoff
from visio.speech.audio import OPUS_RATE, OpusDepacketizer
from visio.speech.protocol import (
    BEHIND_SECONDS,
    CaptionMessage,
    CaptionWord,
    Hello,
    Ping,
    Pong,
    StreamError,
    StreamReady,
    StreamStart,
    StreamStop,
    Welcome,
    WorkerLoad,
    WorkerMessage,
    server_message,
)
from visio.speech.recogniser import Caption, Recogniser, RecognitionStream, StreamLoad
from visio.speech.rtp import ReorderBuffer, RtpError, RtpPacket, SpeakingClock

log = logging.getLogger(__name__)

RECEIVE_BUFFER = 4 * 1024 * 1024
"""Bytes of RTP a stream's socket holds while the worker's event loop is held up (a loaded CPU,
a long decode holding the interpreter). The kernel's default (about 200 kB) holds some 4 s of a
microphone's packets; beyond that it drops them, and the speech in them is gone. Linux caps this
at ``net.core.rmem_max``."""
LOOP_STALL = 1.0
"""An event loop held up this long (seconds) is logged: RTP waits in the socket buffers."""


def srtp_session(key: str) -> pylibsrtp.Session:
    """An SRTP session that decrypts and authenticates the stream Janus sends us."""
    policy = pylibsrtp.Policy(
        key=base64.b64decode(key),
        ssrc_type=pylibsrtp.Policy.SSRC_ANY_INBOUND,
        srtp_profile=pylibsrtp.Policy.SRTP_PROFILE_AES128_CM_SHA1_80,
    )
    return pylibsrtp.Session(policy=policy)


@dataclass(frozen=True)
class WorkerIdentity:
    """What a worker announces in its ``hello``."""

    worker_id: str
    host: str
    capacity: int
    models: list[str]


class _StreamReceiver(asyncio.DatagramProtocol):
    """One stream's UDP port: RTP in, PCM to the recogniser."""

    def __init__(self, start: StreamStart, recognition: RecognitionStream, rate: int) -> None:
        self.start = start
        self.recognition = recognition
        self.reorder = ReorderBuffer()
        self.depacketizer = OpusDepacketizer(rate)
        self.speaking = SpeakingClock(OPUS_RATE)
        self.transport: asyncio.DatagramTransport | None = None
        self.packets = 0
        self.rejected = 0
        self.audio_seconds = 0.0  # PCM handed to the recogniser, gap filling included
        self.opened_at = time.monotonic()
        self.last_packet_at: float | None = None
        self.srtp = srtp_session(start.srtp.key) if start.srtp else None
        self.reported = StreamLoad()  # the load last logged
        self.reported_lost = 0  # RTP losses and rejections last logged
        self.reported_rejected = 0
        self.silent = False  # no packet for a whole log interval (logged once per silence)

    @property
    def lost(self) -> int:
        return self.reorder.lost

    def quiet_for(self, now: float) -> float:
        """Seconds since the last packet (since the stream opened, if none came)."""
        return now - (self.last_packet_at if self.last_packet_at is not None else self.opened_at)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | bytes, int]) -> None:
        if self.srtp is not None:
            try:
                data = self.srtp.unprotect(data)
            except pylibsrtp.Error:  # not ours, tampered with, or replayed
                self.rejected += 1
                return
        try:
            packet = RtpPacket.parse(data)
        except RtpError:
            self.rejected += 1
            return
        if packet.payload_type != self.start.payload_type:
            self.rejected += 1
            return
        self.packets += 1
        self.last_packet_at = arrived = time.monotonic()
        for ready in self.reorder.push(packet):
            spoken_at = self.speaking.spoken_at(ready, arrived)
            try:
                pcm = self.depacketizer.decode(ready)
            except Exception as exc:  # a corrupt payload must not end the stream
                self.rejected += 1
                log.debug("stream %s: undecodable Opus packet: %s", self.start.stream_id, exc)
                continue
            if pcm.size:
                self.audio_seconds += pcm.size / self.depacketizer.rate
                self.recognition.feed(pcm, spoken_at)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()
        self.recognition.close()


class SpeechWorker:
    """Connects to the app server, keeps connecting, and serves the streams it is given."""

    def __init__(
        self,
        server_url: str,
        secret: str,
        identity: WorkerIdentity,
        recogniser: Recogniser,
        max_backoff: float = 30.0,
        load_log_interval: float = 5.0,
    ) -> None:
        self.server_url = server_url
        self.secret = secret
        self.identity = identity
        self.recogniser = recogniser
        self.max_backoff = max_backoff
        self.load_log_interval = load_log_interval
        self.streams: dict[str, _StreamReceiver] = {}
        self.connected = asyncio.Event()
        # What streams that ended had dropped and failed: the totals in ``load`` never go down.
        self._retired_dropped = 0.0
        self._retired_errors = 0
        self._retired_packets = 0
        self._retired_lost = 0
        self._retired_rejected = 0
        self.loop_stalls = 0
        self._small_buffer_logged = False

    def load(self) -> WorkerLoad:
        """Audio dropped and decodes failed since the worker started, and its backlog now."""
        receivers = list(self.streams.values())
        loads = [receiver.recognition.load() for receiver in receivers]
        now = time.monotonic()
        return WorkerLoad(
            dropped_seconds=round(
                self._retired_dropped + sum(load.dropped_seconds for load in loads), 3
            ),
            backlog_seconds=round(max((load.backlog_seconds for load in loads), default=0.0), 3),
            decode_errors=self._retired_errors + sum(load.decode_errors for load in loads),
            streams=len(loads),
            final_lag_seconds=round(
                max((load.final_lag_seconds for load in loads), default=0.0), 3
            ),
            rtp_packets=self._retired_packets + sum(r.packets for r in receivers),
            rtp_lost=self._retired_lost + sum(r.lost for r in receivers),
            rtp_rejected=self._retired_rejected + sum(r.rejected for r in receivers),
            silent_streams=sum(r.quiet_for(now) >= self.load_log_interval for r in receivers),
        )

    def log_losses(self) -> None:
        """Log each stream that lost audio since the last call (called every few seconds, so
        an overloaded worker writes one line per stream per interval, not one per utterance)."""
        for stream_id, receiver in self.streams.items():
            load = receiver.recognition.load()
            dropped = load.dropped_seconds - receiver.reported.dropped_seconds
            errors = load.decode_errors - receiver.reported.decode_errors
            if dropped > 0 or errors > 0:
                log.warning(
                    "stream %s: %.1f s of audio not captioned (%d failed decodes) in the last "
                    "%.0f s; backlog %.1f s: this worker cannot keep up with its %d streams",
                    stream_id,
                    dropped,
                    errors,
                    self.load_log_interval,
                    load.backlog_seconds,
                    len(self.streams),
                )
            receiver.reported = load
            self._log_rtp(stream_id, receiver)
        lag = self.load().final_lag_seconds
        if lag > BEHIND_SECONDS:
            log.warning(
                "finals come %.1f s after speech ends: this worker cannot keep up with its "
                "%d streams (add workers, or a smaller model)",
                lag,
                len(self.streams),
            )

    def _log_rtp(self, stream_id: str, receiver: _StreamReceiver) -> None:
        """Warn of a stream whose packets stopped coming (once, until they come back), and of
        packets lost or refused since the last call."""
        quiet = receiver.quiet_for(time.monotonic())
        if quiet >= self.load_log_interval and not receiver.silent:
            receiver.silent = True
            log.warning(
                "stream %s: no RTP packet for %.0f s (%d received since it started): this "
                "microphone's audio is not reaching the worker",
                stream_id,
                quiet,
                receiver.packets,
            )
        elif quiet < self.load_log_interval and receiver.silent:
            receiver.silent = False
            log.info("stream %s: RTP packets arrive again", stream_id)
        lost = receiver.lost - receiver.reported_lost
        rejected = receiver.rejected - receiver.reported_rejected
        if lost > 0 or rejected > 0:
            log.warning(
                "stream %s: %d RTP packets lost and %d rejected in the last %.0f s",
                stream_id,
                lost,
                rejected,
                self.load_log_interval,
            )
        receiver.reported_lost, receiver.reported_rejected = receiver.lost, receiver.rejected

    def _retire(self, receiver: _StreamReceiver) -> None:
        load = receiver.recognition.load()
        self._retired_dropped += load.dropped_seconds
        self._retired_errors += load.decode_errors
        self._retired_packets += receiver.packets
        self._retired_lost += receiver.lost
        self._retired_rejected += receiver.rejected
        lossy = receiver.lost or receiver.rejected or load.dropped_seconds or not receiver.packets
        log.log(
            logging.WARNING if lossy else logging.INFO,
            "stream %s ends: %d RTP packets (%d lost, %d rejected), %.1f s of audio heard over "
            "%.1f s (%.1f s of it silence for holes in the RTP timeline), %.1f s not captioned",
            receiver.start.stream_id,
            receiver.packets,
            receiver.lost,
            receiver.rejected,
            receiver.audio_seconds,
            time.monotonic() - receiver.opened_at,
            receiver.depacketizer.gap_seconds,
            load.dropped_seconds,
        )
        receiver.close()

    async def run(self) -> None:
        """Serve until cancelled, reconnecting with exponential backoff (and jitter)."""
        backoff = Backoff(initial=0.5, maximum=self.max_backoff, jitter=0.2)
        while True:
            welcomed = False
            try:
                async with connect(
                    self.server_url,
                    additional_headers={"Authorization": f"Bearer {self.secret}"},
                    open_timeout=10,
                    ping_interval=20,
                    ping_timeout=20,
                ) as websocket:
                    welcomed = await self._session(websocket)
            except InvalidStatus as exc:
                code = exc.response.status_code
                hint = " (check VISIO_SPEECH_WORKER_SECRET)" if code in (401, 403) else ""
                log.error("app server refused the speech worker: HTTP %s%s", code, hint)
            except (OSError, InvalidHandshake, ConnectionClosed, TimeoutError) as exc:
                log.warning("speech worker connection to %s lost: %s", self.server_url, exc)
            finally:
                self.connected.clear()
                self._close_streams()
                await asyncio.sleep(0)  # let the UDP transports finish closing
            if welcomed:
                backoff.reset()
            wait = backoff.next_delay()
            log.info("reconnecting to the app server in %.1f s", wait)
            await asyncio.sleep(wait)

    async def _session(self, websocket: ClientConnection) -> bool:
        outbox: asyncio.Queue[WorkerMessage] = asyncio.Queue()
        identity = self.identity
        hello = Hello(
            worker_id=identity.worker_id,
            host=identity.host,
            capacity=identity.capacity,
            models=identity.models,
        )
        await websocket.send(hello.model_dump_json())
        first = server_message.validate_json(await websocket.recv())
        if not isinstance(first, Welcome):
            raise ConnectionClosed(None, None)
        log.info("speech worker %s welcomed by %s", first.worker_id, self.server_url)
        self.connected.set()
        sender = asyncio.create_task(self._send_loop(websocket, outbox))
        watcher = asyncio.create_task(self._watch_losses())
        stalls = asyncio.create_task(self._watch_loop())
        try:
            async for raw in websocket:
                try:
                    message = server_message.validate_json(raw)
                except ValidationError as exc:
                    log.warning("ignoring an invalid message from the app server: %s", exc)
                    continue
                if isinstance(message, Ping):
                    outbox.put_nowait(Pong(load=self.load()))
                elif isinstance(message, StreamStart):
                    await self._start_stream(message, outbox)
                elif isinstance(message, StreamStop):
                    receiver = self.streams.pop(message.stream_id, None)
                    if receiver is not None:
                        self._retire(receiver)
        finally:
            sender.cancel()
            watcher.cancel()
            stalls.cancel()
            # asyncio.wait, not a suppressed await: a cancellation of this task (the worker is
            # stopping) must not be swallowed with theirs.
            await asyncio.wait({sender, watcher, stalls})
        return True

    async def _watch_losses(self) -> None:
        while True:
            await asyncio.sleep(self.load_log_interval)
            self.log_losses()

    def _enlarge_receive_buffer(self, transport: asyncio.DatagramTransport, stream_id: str) -> None:
        sock = transport.get_extra_info("socket")
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
            granted = sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF) // 2  # Linux doubles
        except OSError as exc:
            granted, reason = 0, str(exc)
        else:
            reason = "raise net.core.rmem_max"
        if granted < RECEIVE_BUFFER and not self._small_buffer_logged:
            self._small_buffer_logged = True  # once: every stream gets the same
            log.warning(
                "stream %s: UDP receive buffer of %d bytes, not %d (%s): RTP will be lost "
                "whenever the worker is held up for a few seconds",
                stream_id,
                granted,
                RECEIVE_BUFFER,
                reason,
            )

    async def _watch_loop(self, tick: float = 0.1) -> None:
        """Log when the event loop that receives RTP was held up (packets then wait in the
        sockets' buffers, and beyond them are lost)."""
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(tick)
            stalled = loop.time() - before - tick
            if stalled >= LOOP_STALL:
                self.loop_stalls += 1
                log.warning(
                    "the speech worker's event loop was held up for %.1f s with %d streams: "
                    "their RTP waited in the socket buffers",
                    stalled,
                    len(self.streams),
                )

    async def _send_loop(
        self, websocket: ClientConnection, outbox: asyncio.Queue[WorkerMessage]
    ) -> None:
        while True:
            message = await outbox.get()
            await websocket.send(message.model_dump_json())

    async def _start_stream(self, start: StreamStart, outbox: asyncio.Queue[WorkerMessage]) -> None:
        stream_id = start.stream_id
        if stream_id in self.streams:
            self._retire(self.streams.pop(stream_id))  # the server restarts it: start afresh
        if len(self.streams) >= self.identity.capacity:
            outbox.put_nowait(StreamError(stream_id=stream_id, message="worker at capacity"))
            return
        loop = asyncio.get_running_loop()

        def deliver(caption: Caption) -> None:
            message = CaptionMessage(
                stream_id=stream_id,
                segment_id=caption.segment_id,
                kind=caption.kind,
                text=caption.text,
                language=caption.language,
                start=round(caption.start, 3),
                end=round(caption.end, 3),
                words=[
                    CaptionWord(text=w.text, start=round(w.start, 3), end=round(w.end, 3))
                    for w in caption.words
                ],
                translation=caption.translation,
            )
            with contextlib.suppress(RuntimeError):  # the loop is gone: the worker is stopping
                loop.call_soon_threadsafe(outbox.put_nowait, message)

        try:
            recognition = self.recogniser.open_stream(
                start.language, start.model, deliver, translate=start.translate
            )
        except ValueError as exc:
            outbox.put_nowait(StreamError(stream_id=stream_id, message=str(exc)))
            return
        receiver = _StreamReceiver(start, recognition, self.recogniser.sample_rate)
        try:
            transport, _ = await loop.create_datagram_endpoint(
                lambda: receiver, local_addr=(self.identity.host, 0)
            )
        except OSError as exc:
            recognition.close()
            outbox.put_nowait(StreamError(stream_id=stream_id, message=f"no UDP port: {exc}"))
            return
        port = transport.get_extra_info("sockname")[1]
        self._enlarge_receive_buffer(transport, stream_id)
        self.streams[stream_id] = receiver
        log.info(
            "stream %s (%s%s) listening on %s:%s",
            stream_id,
            start.language,
            ", with English" if start.translate else "",
            self.identity.host,
            port,
        )
        outbox.put_nowait(StreamReady(stream_id=stream_id, port=port))

    def _close_streams(self) -> None:
        for receiver in self.streams.values():
            self._retire(receiver)
        self.streams.clear()
