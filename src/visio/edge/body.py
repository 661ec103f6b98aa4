"""A bound on request bodies, for every route, before anything reads them.

A request whose ``Content-Length`` exceeds the bound is refused with ``413`` before the app sees
it (no authentication, no rate limit, no parsing); a body without a length (chunked) is counted
as it streams in and refused as soon as it passes the bound, so no more than the bound is ever
held in memory.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from visio.errors import error_response

BODY_TOO_LARGE = "body_too_large"


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` when a streamed body passes the bound; app.py answers 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, too_large_message(limit))


def too_large_message(limit: int) -> str:
    return f"the request body is larger than the {limit} bytes this server accepts"


class BodySizeLimit:
    """ASGI middleware refusing HTTP request bodies larger than ``max_bytes``."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self._app = app
        self._max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self._max_bytes:
            response = error_response(
                413,
                BODY_TOO_LARGE,
                too_large_message(self._max_bytes),
                headers={"connection": "close"},
            )
            await response(scope, receive, send)
            return
        received = 0

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self._max_bytes:
                    raise BodyTooLarge(self._max_bytes)
            return message

        await self._app(scope, counted_receive, send)
