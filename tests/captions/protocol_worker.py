"""A minimal speech worker for testing the app server's side of the worker protocol.

It speaks docs/speech.md over a real WebSocket, binds real UDP ports and records the RTP packets
Janus forwards to it; it recognises nothing (the real worker is `visio speech-worker`).
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import pylibsrtp
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.support import wait_until
from visio.speech.worker import srtp_session


@dataclass
class ReceivedStream:
    stream_id: str
    language: str
    sock: socket.socket
    srtp_key: str | None = None
    packets: list[tuple[float, int, int]] = field(default_factory=list)
    """(arrival time, payload type, sequence number) of each RTP packet."""
    authenticated: int = 0
    """Packets that decrypted and authenticated with the stream's SRTP key."""
    stopped: bool = False
    translate: bool = False
    """Whether ``stream.start`` asked for finals in English too."""


class ProtocolWorker:
    """Connects to a Visio server as a speech worker and records streams and their RTP."""

    def __init__(
        self,
        ws_url: str,
        secret: str,
        worker_id: str = "test-worker",
        capacity: int = 8,
        translates: bool = True,
    ) -> None:
        self.translates = translates
        """False: refuse ``translate`` streams with ``stream.error``, as a worker whose
        recogniser cannot translate does."""
        self.ws: ClientConnection = connect(
            ws_url, additional_headers={"Authorization": f"Bearer {secret}"}
        ).__enter__()
        self.ws.send(
            json.dumps(
                {
                    "type": "hello",
                    "version": 1,
                    "worker_id": worker_id,
                    "host": "127.0.0.1",
                    "capacity": capacity,
                    "models": ["test"],
                }
            )
        )
        welcome = json.loads(self.ws.recv(timeout=5))
        assert welcome == {"type": "welcome", "worker_id": worker_id}
        self.streams: dict[str, ReceivedStream] = {}
        self.refused_translation = False
        self._lock = threading.Lock()
        self._closed = False
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        try:
            self._serve()
        except (ConnectionClosed, OSError):
            if not self._closed:  # close() ends the socket under the reader: that is no error
                raise

    def _serve(self) -> None:
        while not self._closed:
            try:
                message: dict[str, Any] = json.loads(self.ws.recv())
            except Exception:
                return
            if message["type"] == "ping":
                self.ws.send(json.dumps({"type": "pong"}))
            elif message["type"] == "stream.start" and (
                message.get("translate") and not self.translates
            ):
                self.refused_translation = True
                self.ws.send(
                    json.dumps(
                        {
                            "type": "stream.error",
                            "stream_id": message["stream_id"],
                            "message": "model whisper-tiny.en only knows English, it cannot "
                            "translate",
                        }
                    )
                )
            elif message["type"] == "stream.start":
                sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                sock.bind(("127.0.0.1", 0))
                srtp = message.get("srtp")
                stream = ReceivedStream(
                    message["stream_id"],
                    message["language"],
                    sock,
                    srtp["key"] if srtp else None,
                    translate=message.get("translate", False),
                )
                with self._lock:
                    self.streams[stream.stream_id] = stream
                threading.Thread(target=self._receive_rtp, args=(stream,), daemon=True).start()
                self.ws.send(
                    json.dumps(
                        {
                            "type": "stream.ready",
                            "stream_id": stream.stream_id,
                            "port": sock.getsockname()[1],
                        }
                    )
                )
            elif message["type"] == "stream.stop":
                with self._lock:
                    stopping = self.streams.get(message["stream_id"])
                if stopping is not None:
                    stopping.stopped = True

    def _receive_rtp(self, stream: ReceivedStream) -> None:
        session = srtp_session(stream.srtp_key) if stream.srtp_key else None
        try:
            stream.sock.settimeout(0.5)
        except OSError:  # closed by close() before this thread started
            return
        while not self._closed:
            try:
                data = stream.sock.recv(2048)
            except TimeoutError:
                continue
            except OSError:
                return
            if len(data) >= 12:
                payload_type = data[1] & 0x7F
                (sequence,) = struct.unpack("!H", data[2:4])
                stream.packets.append((time.monotonic(), payload_type, sequence))
                if session is not None:
                    try:
                        session.unprotect(data)
                    except pylibsrtp.Error:
                        continue
                    stream.authenticated += 1

    def send_caption(
        self,
        stream_id: str,
        text: str,
        kind: str = "final",
        language: str = "en",
        translation: str | None = None,
    ) -> None:
        caption = {
            "type": "caption",
            "stream_id": stream_id,
            "segment_id": "s1",
            "kind": kind,
            "text": text,
            "language": language,
            "start": 0.0,
            "end": 0.5 * len(text.split()),
            "words": [{"text": w, "start": 0.0, "end": 0.5} for w in text.split()],
        }
        if translation is not None:
            caption["translation"] = translation
        self.ws.send(json.dumps(caption))

    def active_streams(self) -> list[ReceivedStream]:
        with self._lock:
            return [s for s in self.streams.values() if not s.stopped]

    def wait_for_streams(self, count: int, timeout: float = 20) -> list[ReceivedStream]:
        """Until ``count`` streams are active and each has received more than 20 RTP packets."""

        def ready() -> list[ReceivedStream]:
            active = self.active_streams()
            return (
                active if len(active) >= count and all(len(s.packets) > 20 for s in active) else []
            )

        return wait_until(
            ready,
            timeout,
            lambda: (
                f"expected {count} streams with RTP, got "
                f"{[(s.stream_id, len(s.packets)) for s in self.active_streams()]}"
            ),
        )

    def wait_quiet(self, streams: list[ReceivedStream], quiet: float, timeout: float) -> None:
        """Until no RTP packet has arrived on ``streams`` for ``quiet`` seconds."""

        def last_arrival() -> float:
            return max((s.packets[-1][0] for s in streams if s.packets), default=0.0)

        wait_until(
            lambda: time.monotonic() - last_arrival() >= quiet,
            timeout,
            lambda: f"RTP still arriving on {[s.stream_id for s in streams]}",
        )

    def close(self) -> None:
        self._closed = True
        self.ws.close()
        with self._lock:
            streams = list(self.streams.values())
        for stream in streams:
            stream.sock.close()
