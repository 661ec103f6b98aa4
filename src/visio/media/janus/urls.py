"""The addresses of external Janus instances (``VISIO_JANUS_URL`` / ``VISIO_JANUS_URLS``), checked
strictly: an operator's typo should stop the server at start-up with a sentence saying what is
wrong, not make it dial somewhere odd."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST = re.compile(rf"^{_LABEL}(\.{_LABEL})*$")
_PATH = re.compile(r"^[A-Za-z0-9/_.~-]*$")


def check_janus_url(raw: str) -> str:
    """One Janus WebSocket API address, normalised (lower-case scheme and host, no trailing
    slash); ``ValueError`` saying what is wrong otherwise."""
    url = raw.strip()
    if not url or any(c.isspace() or not c.isprintable() for c in url):
        raise ValueError(f"{raw!r} is not a URL (empty, or spaces or control characters)")
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # a bracketed host that is not an IPv6 address, say
        raise ValueError(f"{url!r} is not a valid URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in ("ws", "wss"):
        raise ValueError(f"{url!r} must be a ws:// or wss:// URL of Janus's WebSocket API")
    if "@" in parts.netloc:
        raise ValueError(
            f"{url!r} carries credentials; give Janus's secret in VISIO_JANUS_API_SECRET instead"
        )
    host = parts.hostname or ""
    if not host:
        raise ValueError(f"{url!r} has no host")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"{url!r} has a port that is not a number from 1 to 65535") from None
    if port == 0:
        raise ValueError(f"{url!r} has a port that is not a number from 1 to 65535")
    if parts.netloc.startswith("["):
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise ValueError(f"{url!r} has a bracketed host that is not an IPv6 address") from None
        netloc_host = f"[{host}]"
    elif _HOST.match(host):
        netloc_host = host.lower()
    else:
        raise ValueError(f"{url!r} has a host that is neither a name nor an IP address")
    if parts.query or parts.fragment or "?" in url or "#" in url:
        raise ValueError(f"{url!r} must not have a query or fragment")
    if not _PATH.match(parts.path):
        raise ValueError(f"{url!r} has unexpected characters in its path")
    path = parts.path.rstrip("/")
    return f"{scheme}://{netloc_host}{'' if port is None else f':{port}'}{path}"


def check_janus_urls(raws: list[str]) -> list[str]:
    """Several addresses, each as :func:`check_janus_url`, none twice."""
    urls = [check_janus_url(raw) for raw in raws]
    seen: dict[tuple[str, str, int, str], str] = {}
    for url in urls:
        parts = urlsplit(url)
        key = (
            parts.scheme,
            parts.hostname or "",
            parts.port or (443 if parts.scheme == "wss" else 80),
            parts.path,
        )
        if key in seen:
            raise ValueError(f"{url!r} is listed twice (also as {seen[key]!r})")
        seen[key] = url
    return urls
