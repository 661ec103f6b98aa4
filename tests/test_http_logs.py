"""The server's log: one line per record whatever clients send, and no secret from a URL."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import httpx
import pytest

from tests.support import RunningServer
from visio.edge import logs


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    """Logging installed as `visio serve` installs it, writing to a string."""
    stream = io.StringIO()
    handler = logs.install("INFO", stream)
    yield stream
    logging.getLogger().removeHandler(handler)


def test_log_lines_escape_control_characters_from_client_text(log_stream: io.StringIO) -> None:
    """CR/LF, other controls and lone surrogates in a logged value are escaped: no forged line."""
    forged = "x\r\n2026-01-01 00:00:00,000 INFO visio: admin signed in\u2028\ud800"
    logging.getLogger("visio.auth.service").warning("sign-in through %s refused", forged)
    logging.getLogger("uvicorn.access").info(
        '%s - "%s %s HTTP/%s" %d', "127.0.0.1:1", "GET", "/a\r\nb", "1.1", 404
    )
    lines = log_stream.getvalue().splitlines()
    assert len(lines) == 2, lines
    assert "x\\x0d\\x0a2026-01-01" in lines[0]
    assert "\\u2028\\ud800" in lines[0]
    assert "/a\\x0d\\x0ab" in lines[1]


def test_log_lines_keep_tracebacks_indented(log_stream: io.StringIO) -> None:
    """An exception's text cannot start a line of its own either."""
    try:
        raise ValueError("bad\n2026-01-01 00:00:00,000 INFO visio: forged")
    except ValueError:
        logging.getLogger("visio").exception("failed")
    lines = log_stream.getvalue().splitlines()
    assert lines[0].endswith("visio: failed")
    assert all(line.startswith("    ") for line in lines[1:]), lines


def test_log_lines_are_bounded(log_stream: io.StringIO) -> None:
    """A huge value does not make a huge log line."""
    logging.getLogger("visio").info("path %s", "/" + "a" * 100_000)
    assert len(log_stream.getvalue()) < logs.MAX_MESSAGE_CHARS + 200


def test_access_log_redacts_secret_query_parameters_on_every_path(
    shared_server: RunningServer,
) -> None:
    """Invitation links, sign-in codes and states, tokens: never in the access log, on any path."""
    secrets = {
        "invitation": "vi_invitationsecret1",
        "code": "codesecret2",
        "state": "statesecret3",
        "token": "tokensecret4",
        "id_token_hint": "hintsecret5",
    }
    for path in ("/abc-defg-hij", "/api/v1/rooms/abc-defg-hij", "/auth/logout/done", "/"):
        httpx.get(f"{shared_server.url}{path}", params={**secrets, "lang": "fr"}, timeout=10)
    log = shared_server.log()
    assert "GET /abc-defg-hij?invitation=[redacted]" in log
    assert "lang=fr" in log
    for secret in secrets.values():
        assert secret not in log


def test_access_log_paths_are_truncated(shared_server: RunningServer) -> None:
    """An 8,000-character path is logged cut short."""
    httpx.get(f"{shared_server.url}/{'p' * 8000}", timeout=10)
    assert "p" * 1000 not in shared_server.log()
    assert "/" + "p" * (logs.MAX_LOGGED_PATH_CHARS - 1) + "…" in shared_server.log()


def test_log_of_a_path_with_crlf_holds_no_forged_line(shared_server: RunningServer) -> None:
    """A provider id or a path carrying CR/LF (percent-encoded in the URL) is logged escaped."""
    forged = "2026-01-01 00:00:00,000 INFO visio.audit: audit auth.login success actor=admin"
    for path in (f"/auth/x%0D%0A{forged}/login", f"/api/v1/rooms/x%0D%0A{forged}"):
        httpx.get(f"{shared_server.url}{path.replace(' ', '%20')}", timeout=10)
    assert not any(line.startswith("2026-01-01") for line in shared_server.log().splitlines())
