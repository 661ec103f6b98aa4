"""Who is asking: the session behind the cookie, CSRF checked on state changes.

Routes get the signed-in person only through these dependencies, so every cookie-authenticated
request that changes state has had its CSRF token checked.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request

from visio.audit import Origin
from visio.auth.sessions import SESSION_COOKIE, Session
from visio.container import Container
from visio.errors import ApiProblem

CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def container_of(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


def origin_of(request: Request) -> Origin:
    """The client's address (as uvicorn resolved it behind trusted proxies) and browser."""
    return Origin(
        ip=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
    )


async def optional_session(request: Request) -> Session | None:
    """The caller's live session, or None; refuses a state change without the CSRF token."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    session = await container_of(request).sessions.get(token)
    if session is None:
        return None
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(sent.encode(), session.csrf_token.encode()):
            raise ApiProblem(
                403,
                "csrf_failed",
                "this request lacks the X-CSRF-Token header given by GET /api/v1/me",
            )
    return session


async def required_session(
    session: Annotated[Session | None, Depends(optional_session)],
) -> Session:
    if session is None:
        raise ApiProblem(401, "not_signed_in", "sign in first")
    return session


async def admin_session(
    request: Request, session: Annotated[Session, Depends(required_session)]
) -> Session:
    if not container_of(request).auth.is_admin(session.user):
        raise ApiProblem(403, "not_an_administrator", "only administrators may do this")
    return session


OptionalSession = Annotated[Session | None, Depends(optional_session)]
RequiredSession = Annotated[Session, Depends(required_session)]
AdminSession = Annotated[Session, Depends(admin_session)]
