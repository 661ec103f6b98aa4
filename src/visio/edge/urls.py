"""The address people reach this Visio at, for links the server writes (rooms, sign-in)."""

from __future__ import annotations

from starlette.requests import Request

from visio.settings import Settings


def public_base_url(request: Request, settings: Settings) -> str:
    """``VISIO_PUBLIC_URL`` when set (behind a proxy it is the only trustworthy one), else the
    address this request came to."""
    if settings.public_url is not None:
        return str(settings.public_url).rstrip("/")
    return str(request.base_url).rstrip("/")
