"""The ASGI application: REST API, the room WebSocket and the web app's files."""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from visio import __version__
from visio.audit.rest import router as audit_router
from visio.auth.rest import api as auth_api_router
from visio.auth.rest import browser as auth_browser_router
from visio.auth.tokens_rest import router as tokens_router
from visio.calendars.rest import router as calendars_router
from visio.container import Container
from visio.edge.body import BODY_TOO_LARGE, BodySizeLimit, BodyTooLarge
from visio.embed.bootstrap import with_embed_origins
from visio.errors import ApiProblem, error_response
from visio.recording.rest import router as recordings_router
from visio.rooms.rest import router as rooms_router
from visio.scheduling.rest import router as meetings_router
from visio.settings import Settings
from visio.speech.endpoint import router as speech_router
from visio.transcripts.rest import router as transcripts_router
from visio.turn.connection_test import router as connection_test_router
from visio.web import DIST_DIR
from visio.web.assets import BuildAssets
from visio.web.preload import with_room_preload
from visio.webhooks.rest import router as webhooks_router

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data: blob:{logo_origins}; "
    "media-src 'self' blob: mediastream:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self' 'wasm-unsafe-eval'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors {frame_ancestors}"
)
"""WebAssembly ('wasm-unsafe-eval') runs the noise suppressor and the background segmentation,
both served from Visio's own origin; no other script is ever evaluated from text."""


EMBEDDED_FEATURES = ("camera", "microphone", "display-capture", "autoplay", "fullscreen")
"""What a page of the listed origins may delegate to an embedded meeting (the iframe's ``allow``);
no X-Frame-Options is sent: it cannot list origins, and the CSP's frame-ancestors decides."""


def security_headers(settings: Settings) -> list[tuple[bytes, bytes]]:
    """The headers every response carries; the CSP admits the sign-in providers' logos."""
    logo_origins = sorted(
        {
            "/".join(p.logo_url.split("/", 3)[:3])
            for p in settings.oidc_providers
            if p.logo_url and p.logo_url.startswith(("http://", "https://"))
        }
    )
    embedders = settings.frame_ancestors
    policy = CONTENT_SECURITY_POLICY.format(
        logo_origins="".join(f" {o}" for o in logo_origins),
        frame_ancestors=" ".join(embedders) if embedders else "'none'",
    )
    allowed = " ".join(["self", *(f'"{origin}"' for origin in embedders)])
    features = ", ".join(f"{f}=({allowed})" for f in EMBEDDED_FEATURES)
    headers = [
        (b"content-security-policy", policy.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
        (b"permissions-policy", features.encode()),
    ]
    if settings.secure_cookies:  # served over https: browsers must never come back over http
        headers.append((b"strict-transport-security", b"max-age=31536000"))
    return headers


class SecurityHeaders:
    """Adds the security headers to every HTTP response."""

    def __init__(self, app: ASGIApp, headers: list[tuple[bytes, bytes]]) -> None:
        self._app = app
        self._headers = headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + self._headers
            await send(message)

        await self._app(scope, receive, send_with_headers)


MISSING_WEB_BUILD = """<!doctype html><html lang="en"><meta charset="utf-8"><title>Visio</title>
<body style="font-family:sans-serif;max-width:40em;margin:4em auto">
<h1>Visio's web app is not built</h1>
<p>The server is running, but the browser app has not been built. Run <code>./scripts/setup</code>
(or <code>npm --prefix web ci && npm --prefix web run build</code>) and reload this page.</p>"""


def _is_file_within(folder: Path, path: str) -> bool:
    """Whether ``path`` names a file inside ``folder`` (a path too long or too odd for the
    file system names none)."""
    try:
        candidate = (folder / path).resolve()
        return candidate.is_file() and candidate.is_relative_to(folder.resolve())
    except (OSError, ValueError):
        return False


def create_app(settings: Settings, web_dir: Path = DIST_DIR) -> FastAPI:
    """Build the ASGI app; services start with the app's lifespan."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        container = Container(settings)
        app.state.container = container
        await container.start()
        await container.start_background_workers()
        try:
            yield
        finally:
            await container.stop()

    app = FastAPI(
        title="Visio",
        version=__version__,
        lifespan=lifespan,
        docs_url="/api/docs",
        openapi_url="/api/v1/openapi.json",
        redoc_url=None,
    )
    app.add_middleware(BodySizeLimit, max_bytes=settings.http_max_body_bytes)
    app.add_middleware(SecurityHeaders, headers=security_headers(settings))
    app.include_router(rooms_router)
    app.include_router(speech_router)
    app.include_router(auth_api_router)
    app.include_router(auth_browser_router)
    app.include_router(audit_router)
    app.include_router(tokens_router)
    app.include_router(recordings_router)
    app.include_router(transcripts_router)
    app.include_router(webhooks_router)
    app.include_router(meetings_router)
    app.include_router(calendars_router)
    app.include_router(connection_test_router)

    @app.exception_handler(ApiProblem)
    async def _api_problem(_: Request, exc: ApiProblem) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message)

    @app.exception_handler(BodyTooLarge)
    async def _body_too_large(_: Request, exc: BodyTooLarge) -> JSONResponse:
        return error_response(413, BODY_TOO_LARGE, exc.detail, headers={"connection": "close"})

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        return error_response(422, "invalid_request", problems)

    @app.exception_handler(HTTPException)
    async def _http_error(_: Request, exc: HTTPException) -> JSONResponse:
        return error_response(exc.status_code, "http_error", str(exc.detail))

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz(request: Request) -> JSONResponse:
        container: Container = request.app.state.container
        janus = container.janus
        media = janus.connected  # ready while one Janus is up: rooms move to it
        body: dict[str, object] = {
            "status": "ready" if media else "degraded",
            "media_engine": media,
            "janus_down": [instance.name for instance in janus.down()],
        }
        if container.cluster is not None:
            # Reported, not required: Redis down affects every node alike, and meetings in
            # progress go on without it; taking every node out would turn them away.
            body["redis"] = await container.cluster.redis_answers()
        return JSONResponse(body, status_code=200 if media else 503)

    @app.get("/metrics", include_in_schema=False)
    async def metrics(request: Request) -> Response:
        """Prometheus metrics; behind a bearer token when VISIO_METRICS_TOKEN is set."""
        container: Container = request.app.state.container
        token = settings.metrics_token
        if token is not None and not hmac.compare_digest(
            request.headers.get("authorization", "").encode(),
            f"Bearer {token.get_secret_value()}".encode(),
        ):
            return error_response(401, "unauthorised", "a bearer token is needed for /metrics")
        return Response(container.metrics.render(), media_type=CONTENT_TYPE_LATEST)

    @app.api_route("/api/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    async def unknown_api(rest: str) -> JSONResponse:
        return error_response(404, "not_found", f"no API endpoint /api/{rest}")

    if (web_dir / "assets").is_dir():
        app.mount("/assets", BuildAssets(directory=web_dir / "assets"), name="assets")

    @app.get("/{path:path}", include_in_schema=False)
    def web_app(path: str) -> Response:
        """Files of the web app; every other path gets index.html (the app routes itself)."""
        index = web_dir / "index.html"
        if not index.is_file():
            return HTMLResponse(MISSING_WEB_BUILD, status_code=503)
        if path and _is_file_within(web_dir, path):
            return FileResponse(web_dir / path)
        return HTMLResponse(
            with_room_preload(
                with_embed_origins(index.read_bytes(), settings.frame_ancestors), path
            ),
            headers={"cache-control": "no-cache"},
        )

    return app
