"""The built web app's ``assets/``: cached for good, and sent compressed.

Vite names every file there after a hash of its content, so a browser may keep one for a year
without asking again (``immutable``): a returning participant's page loads its scripts from its
cache. The build also writes each text file compressed with Brotli (``.br``) and gzip (``.gz``)
next to it (``web/vite.config.ts``); a browser that accepts one gets it, a third of the bytes
or less, which is what a participant on a slow link waits for before pre-join shows.
"""

from __future__ import annotations

import mimetypes
import os
from typing import Final

from starlette.datastructures import Headers
from starlette.responses import FileResponse, Response
from starlette.staticfiles import NotModifiedResponse, StaticFiles
from starlette.types import Scope

CACHE_FOREVER: Final = "public, max-age=31536000, immutable"
ENCODINGS: Final = (("br", ".br"), ("gzip", ".gz"))
"""What the build writes beside a file, the smallest first."""


def accepted_encodings(header: str) -> set[str]:
    """The content codings an ``Accept-Encoding`` header allows (``q=0`` refuses one)."""
    allowed: set[str] = set()
    for item in header.split(","):
        name, _, parameters = item.strip().partition(";")
        quality = 1.0
        for parameter in parameters.split(";"):
            key, _, value = parameter.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if name and quality > 0:
            allowed.add(name.strip().lower())
    return allowed


class BuildAssets(StaticFiles):
    """``StaticFiles`` for hashed build output: long-lived caching and precompressed files."""

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        request_headers = Headers(scope=scope)
        allowed = accepted_encodings(request_headers.get("accept-encoding", ""))
        media_type = mimetypes.guess_type(str(full_path))[0] or "application/octet-stream"
        headers = {"cache-control": CACHE_FOREVER, "vary": "accept-encoding"}
        response: FileResponse | None = None
        for encoding, suffix in ENCODINGS:
            if encoding not in allowed:
                continue
            compressed = f"{os.fspath(full_path)}{suffix}"
            try:
                compressed_stat = os.stat(compressed)
            except OSError:
                continue
            response = FileResponse(
                compressed,
                status_code=status_code,
                stat_result=compressed_stat,
                media_type=media_type,
                headers={**headers, "content-encoding": encoding},
            )
            break
        if response is None:
            response = FileResponse(
                full_path,
                status_code=status_code,
                stat_result=stat_result,
                media_type=media_type,
                headers=headers,
            )
        if self.is_not_modified(response.headers, request_headers):
            return NotModifiedResponse(response.headers)
        return response
