"""The origins listed in ``VISIO_FRAME_ANCESTORS``, checked and written the way browsers write
them (``event.origin``, CSP source expressions), so that one comparison of strings decides."""

from __future__ import annotations

import re
from typing import Any, Final

_ORIGIN: Final = re.compile(
    r"(?P<scheme>https?)://"
    r"(?P<host>\[::1\]|[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*)"
    r"(?::(?P<port>\d{1,5}))?"
)
LOOPBACK_HOSTS: Final = frozenset({"localhost", "127.0.0.1", "[::1]"})
"""Hosts a browser treats as secure over plain http: allowed with ``http://`` for development."""
_DEFAULT_PORTS: Final = {"https": 443, "http": 80}


def embedding_origin(value: Any) -> str:
    """One origin allowed to embed Visio, normalised (lower case, no default port); raise
    ``ValueError`` saying what is wrong: a path, a wildcard, plain http on a real host."""
    example = "an origin such as https://intranet.example.gouv.fr (scheme://host[:port])"
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not {example}")
    match = _ORIGIN.fullmatch(value.strip().lower())
    if match is None:
        raise ValueError(f"{value!r} is not {example}: no path, no wildcard, no trailing slash")
    scheme, host, port = match["scheme"], match["host"], match["port"]
    if scheme == "http" and host not in LOOPBACK_HOSTS:
        raise ValueError(
            f"{value!r} must use https (plain http is allowed only for localhost, 127.0.0.1 "
            "and [::1], for development)"
        )
    if port is not None and not 1 <= int(port) <= 65535:
        raise ValueError(f"{value!r} has a port outside 1-65535")
    if port is None or int(port) == _DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{int(port)}"
