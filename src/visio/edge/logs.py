"""Log lines that cannot be forged or used to leak secrets.

Client text reaches the log in many places (a URL path, a provider id, a user agent). Every
record is formatted by :class:`OneLineFormatter`, which escapes control characters (so CR/LF in
a value cannot start a fake log line) and bounds the message's length; uvicorn's access log
additionally goes through :class:`AccessLogFilter`, which redacts secret-bearing query
parameters (invitation links, sign-in codes and states, tokens) on every path and truncates the
path.
"""

from __future__ import annotations

import logging
from typing import Final, TextIO
from urllib.parse import parse_qsl, urlencode

MAX_MESSAGE_CHARS: Final = 4000
MAX_LOGGED_PATH_CHARS: Final = 300
REDACTED: Final = "[redacted]"
SECRET_PARAMETER_PARTS: Final = (
    "invitation",
    "code",
    "state",
    "token",
    "secret",
    "password",
    "key",
    "nonce",
    "verifier",
    "hint",
    "ticket",
    "signature",
)
"""A query parameter whose name holds one of these is logged without its value."""

_ESCAPES: Final[dict[int, str]] = {
    code: f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    for code in (
        *range(0x00, 0x20),
        *range(0x7F, 0xA0),
        0x2028,
        0x2029,
        *range(0xD800, 0xE000),
    )
}


def escape_controls(text: str) -> str:
    """``text`` with control characters, line separators and lone surrogates written as
    escapes (``\\r`` → ``\\x0d``), so that it stays on one line and can always be encoded."""
    return text.translate(_ESCAPES)


def truncate(text: str, limit: int) -> str:
    """At most ``limit`` characters, saying how many were cut."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}…[{len(text) - limit} more]"


class OneLineFormatter(logging.Formatter):
    """Each record on one line: the message's control characters escaped, its length bounded.
    A traceback keeps its lines, each indented so none can pass for a record of its own."""

    def format(self, record: logging.LogRecord) -> str:
        # Everything after the first line is a traceback or a stack (possibly cached raw on the
        # record by another handler): indent it.
        first, _, traceback = super().format(record).partition("\n")
        if not traceback:
            return first
        indented = ("    " + escape_controls(line) for line in traceback.splitlines())
        return "\n".join([first, *indented])

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = truncate(escape_controls(record.message), MAX_MESSAGE_CHARS)
        return super().formatMessage(record)


def redact_query(path: str) -> str:
    """``/abc-defg-hij?invitation=vi_…&lang=fr`` → ``/abc-defg-hij?invitation=[redacted]&lang=fr``
    (the query's secret values replaced, on any path)."""
    base, separator, query = path.partition("?")
    if not separator:
        return path
    pairs = [
        (name, REDACTED if _is_secret(name) else value)
        for name, value in parse_qsl(query, keep_blank_values=True)
    ]
    return f"{base}?{urlencode(pairs, safe='[]')}"


def _is_secret(name: str) -> bool:
    lowered = name.lower()
    return any(part in lowered for part in SECRET_PARAMETER_PARTS)


class AccessLogFilter(logging.Filter):
    """For uvicorn's access log (args: client, method, path, HTTP version, status): secret query
    values redacted and the path truncated, on every path."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            path = truncate(redact_query(args[2]), MAX_LOGGED_PATH_CHARS)
            record.args = (*args[:2], path, *args[3:])
        return True


def install(level: str, stream: TextIO) -> logging.Handler:
    """Send every log record to ``stream`` through the one-line formatter and filter uvicorn's
    access log; return the handler."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(OneLineFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level)
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, AccessLogFilter) for f in access.filters):
        access.addFilter(AccessLogFilter())
    return handler
