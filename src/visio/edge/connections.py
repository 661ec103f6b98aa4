"""Connections that cannot starve the server: a bound on how long a client may take to send a
request's headers (and on their size), and on how many connections one address may hold.

uvicorn times out idle keep-alive connections, but not a client that sends its headers one byte
at a time (slowloris), nor one that connects and says nothing; 1,100 such connections exhausted
the server's file descriptors. :func:`guarded_http_protocol` makes a subclass of uvicorn's
httptools protocol that

- closes a connection whose request headers are not complete ``header_timeout`` seconds after
  the connection opened or the request began (``408``), or exceed ``max_header_bytes`` (``431``);
- answers ``503`` and closes at once a new connection from an address that already holds
  ``max_per_client`` open connections (HTTP or WebSocket); other addresses are served as usual.

uvicorn's own options do not cover this: ``limit_concurrency`` answers 503 to everyone once the
total is reached (the attacker's connections count too), ``timeout_keep_alive`` only runs between
requests, and ``h11_max_incomplete_event_size`` bounds header bytes for h11 only (Visio runs
httptools, which has no bound).

The address is the TCP peer's: behind a reverse proxy every connection comes from the proxy, so
raise the per-client limit there (or let the proxy enforce it).
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


@dataclass
class ConnectionLimits:
    """The bounds, and the count of open connections per client address (one per server)."""

    header_timeout: float
    max_per_client: int
    max_header_bytes: int = 64 * 1024
    open_by_client: Counter[str] = field(default_factory=Counter)


def _refusal(status: str, code: str, message: str) -> bytes:
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    return (
        f"HTTP/1.1 {status}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    ).encode() + body


TOO_MANY_CONNECTIONS = _refusal(
    "503 Service Unavailable",
    "too_many_connections",
    "your address holds too many connections to this server; close some and retry",
)
HEADERS_TOO_SLOW = _refusal(
    "408 Request Timeout", "request_timeout", "the request's headers took too long to arrive"
)
HEADERS_TOO_LARGE = _refusal(
    "431 Request Header Fields Too Large",
    "headers_too_large",
    "the request's headers are too large",
)


def guarded_http_protocol(limits: ConnectionLimits) -> type[HttpToolsProtocol]:
    """uvicorn's HTTP protocol (httptools) with ``limits`` enforced; pass it as ``http=``."""

    class GuardedHttpProtocol(HttpToolsProtocol):
        _client_key: str | None = None
        _refused = False
        _header_deadline: asyncio.TimerHandle | None = None
        _header_bytes = 0
        _reading_headers = False

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            peer = transport.get_extra_info("peername")
            key = str(peer[0]) if isinstance(peer, tuple) and peer else "unknown"
            if limits.open_by_client[key] >= limits.max_per_client:
                self._refused = True
                transport.write(TOO_MANY_CONNECTIONS)
                transport.close()
                return
            limits.open_by_client[key] += 1
            self._client_key = key
            super().connection_made(transport)
            self._await_headers()

        def connection_lost(self, exc: Exception | None) -> None:
            if self._refused:  # nothing was set up
                return
            self._release()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            if self._reading_headers:
                self._header_bytes += len(data)
            super().data_received(data)
            # Still no end of headers after this many bytes (a body after them does not count).
            if self._reading_headers and self._header_bytes > limits.max_header_bytes:
                self._refuse(HEADERS_TOO_LARGE)

        def on_message_begin(self) -> None:
            super().on_message_begin()
            if not self._reading_headers:  # the next request on a kept-alive connection
                self._await_headers()

        def on_headers_complete(self) -> None:
            self._reading_headers = False
            self._cancel_deadline()
            super().on_headers_complete()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._header_bytes = 0

        def handle_websocket_upgrade(self) -> None:
            super().handle_websocket_upgrade()
            upgraded: Any = self.transport.get_protocol()
            if upgraded is self:
                return
            # The WebSocket protocol owns the connection from now on: it stays counted until
            # that protocol sees it close.
            closed = upgraded.connection_lost

            def connection_lost(exc: Exception | None) -> None:
                self._release()
                closed(exc)

            upgraded.connection_lost = connection_lost

        def _await_headers(self) -> None:
            self._reading_headers = True
            self._header_bytes = 0
            self._cancel_deadline()
            self._header_deadline = self.loop.call_later(
                limits.header_timeout, self._refuse, HEADERS_TOO_SLOW
            )

        def _refuse(self, reply: bytes) -> None:
            self._cancel_deadline()
            if not self.transport.is_closing():
                self.transport.write(reply)
                self.transport.close()

        def _cancel_deadline(self) -> None:
            if self._header_deadline is not None:
                self._header_deadline.cancel()
                self._header_deadline = None

        def _release(self) -> None:
            self._cancel_deadline()
            key, self._client_key = self._client_key, None
            if key is not None:
                limits.open_by_client[key] -= 1
                if limits.open_by_client[key] <= 0:
                    del limits.open_by_client[key]

    return GuardedHttpProtocol
