"""A real HTTP server that receives webhooks, for the tests: it records every request and
answers with the statuses a test scripts for a path (200 once the script is used up)."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook


@dataclass(frozen=True)
class Received:
    at: float
    """time.monotonic() when the request arrived."""
    path: str
    headers: dict[str, str]
    body: bytes
    answered: int

    def verify(self, secret: str) -> Any:
        """The JSON body, once the Standard Webhooks library accepts its signature."""
        return Webhook(secret).verify(self.body, self.headers)


class Receiver:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._received: list[Received] = []
        self._scripts: dict[str, deque[int]] = defaultdict(deque)
        self._locations: dict[str, str] = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(length)
                with receiver._lock:
                    script = receiver._scripts[self.path]
                    status = script.popleft() if script else 200
                    receiver._received.append(
                        Received(
                            time.monotonic(),
                            self.path,
                            {k.lower(): v for k, v in self.headers.items()},
                            body,
                            status,
                        )
                    )
                self.send_response(status)
                if self.path in receiver._locations:
                    self.send_header("location", receiver._locations[self.path])
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def do_GET(self) -> None:
                with receiver._lock:
                    receiver._received.append(
                        Received(
                            time.monotonic(),
                            self.path,
                            {k.lower(): v for k, v in self.headers.items()},
                            b"",
                            200,
                        )
                    )
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *_: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def answer(self, path: str, *statuses: int) -> None:
        """The next requests to ``path`` get these statuses, in order; then 200."""
        with self._lock:
            self._scripts[path].extend(statuses)

    def redirect(self, path: str, location: str) -> None:
        """Answers to ``path`` carry this Location header."""
        with self._lock:
            self._locations[path] = location

    def received(self, path: str) -> list[Received]:
        with self._lock:
            return [r for r in self._received if r.path == path]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
