from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.mail.smtp import SmtpServer


@pytest.fixture(autouse=True)
async def _client_sockets_closed() -> AsyncIterator[None]:
    """After a test, keep its event loop turning until every socket it opened is closed.

    A TLS connection ends with a close_notify exchange that finishes after Visio's ``send``
    has returned; the test's event loop is closed right after the test, and a socket still in
    that exchange would never be closed: its "unclosed transport" warning would then fail
    whichever test the garbage collector happens to run in. (Autouse, so it is torn down after
    the ``smtp_server`` fixture, whose stop closes the server's side.)"""
    yield
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while True:
        # a selector event loop keeps its transports by file descriptor, and a closed one has
        # let go of its socket (asyncio offers no public list of a loop's connections)
        transports = getattr(loop, "_transports", {})
        still_open = [t for t in list(transports.values()) if getattr(t, "_sock", None) is not None]
        if not still_open:
            return
        assert loop.time() < deadline, f"sockets still open 10 s after the test: {still_open}"
        await asyncio.sleep(0.01)


@pytest.fixture
def smtp_server(tmp_path: Path) -> Iterator[SmtpServer]:
    """A real SMTP server requiring STARTTLS and AUTH."""
    server = SmtpServer(tmp_path, "starttls")
    server.start()
    yield server
    server.stop()
