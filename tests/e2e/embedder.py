"""A second web site for the embedding tests: docs/embed-example.html served from its own origin
(a plain HTTP server on another port, reached as ``localhost`` while Visio is ``127.0.0.1``, so
that the two are neither same-origin nor same-site, as an intranet and Visio are)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.support import ROOT, free_port

EXAMPLE_PAGE = ROOT / "docs" / "embed-example.html"
EXAMPLE_VISIO_URL = "https://visio.example.gouv.fr"
"""The address the example page names; the test site serves it with the test server's."""
FORGER_PAGE = b"<!doctype html><title>Another site</title><p>Another site's frame</p>"


@dataclass(frozen=True)
class Site:
    """One embedding site: its origin (what VISIO_FRAME_ANCESTORS lists, or does not)."""

    origin: str

    @property
    def example_url(self) -> str:
        return f"{self.origin}/"

    @property
    def forger_url(self) -> str:
        return f"{self.origin}/forger.html"


def reserve_site() -> Site:
    """An origin for a site started later (Visio must know it before it starts)."""
    return Site(f"http://localhost:{free_port()}")


@contextmanager
def serve_site(site: Site, visio_url: str) -> Iterator[Site]:
    """Serve the example page (pointing at ``visio_url``) and a bare page at ``site``'s origin."""
    example = EXAMPLE_PAGE.read_bytes().replace(EXAMPLE_VISIO_URL.encode(), visio_url.encode())
    pages = {"/": example, "/forger.html": FORGER_PAGE}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = pages.get(self.path.split("?", 1)[0])
            self.send_response(200 if body is not None else 404)
            self.send_header("content-type", "text/html; charset=utf-8")
            self.send_header("cache-control", "no-store")
            self.end_headers()
            self.wfile.write(body or b"not found")

        def log_message(self, format: str, *args: object) -> None:
            pass  # quiet: pytest shows the test's own output

    port = int(site.origin.rsplit(":", 1)[1])
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
