"""TURN server URLs (RFC 7065) as browsers get them: ``turn:host:port?transport=udp|tcp`` and
``turns:host:port?transport=tcp`` (TURN over TLS)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

_URL = re.compile(
    r"^(?P<scheme>turns?):(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.\-]{1,253})"
    r"(?::(?P<port>\d{1,5}))?(?:\?transport=(?P<transport>udp|tcp))?$"
)


@dataclass(frozen=True)
class TurnUrl:
    """One way to reach the TURN server: how the browser talks to it (UDP, TCP or TLS)."""

    url: str
    host: str
    port: int
    transport: Literal["udp", "tcp", "tls"]


def parse_turn_url(url: str) -> TurnUrl:
    """Parse a ``turn:``/``turns:`` URL, or raise ValueError saying what is wrong."""
    match = _URL.match(url)
    if match is None:
        raise ValueError(
            f"{url!r} is not a TURN URL such as turn:turn.example.gouv.fr:3478?transport=udp "
            "or turns:turn.example.gouv.fr:443?transport=tcp"
        )
    secure = match["scheme"] == "turns"
    if secure and match["transport"] == "udp":
        raise ValueError(f"{url!r}: turns: runs over TCP (TURN over DTLS is not offered)")
    port = int(match["port"] or (5349 if secure else 3478))
    if not 1 <= port <= 65535:
        raise ValueError(f"{url!r}: the port must be between 1 and 65535")
    transport: Literal["udp", "tcp", "tls"] = (
        "tls" if secure else "tcp" if match["transport"] == "tcp" else "udp"
    )
    return TurnUrl(url=url, host=match["host"].strip("[]"), port=port, transport=transport)
