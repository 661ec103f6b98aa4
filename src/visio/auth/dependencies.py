"""Who is asking: the session behind the cookie (CSRF checked on state changes), or an API token.

Routes get the caller only through these dependencies, so every cookie-authenticated request
that changes state has had its CSRF token checked, and every bearer request has had its token
and the scope the route declares (``Security(..., scopes=[...])``) checked. A route that declares
no scope refuses API tokens.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer, SecurityScopes

from visio.audit import Origin
from visio.auth.sessions import SESSION_COOKIE, Session
from visio.auth.tokens import TOKEN_PREFIX
from visio.container import Container
from visio.errors import ApiProblem

CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

api_token_scheme = HTTPBearer(
    scheme_name="apiToken",
    bearerFormat="vt_…",
    description=(
        "An API token made with POST /api/v1/tokens, sent as `Authorization: Bearer vt_…`. "
        "It acts as its owner, limited to its scopes (rooms:read, rooms:write, roles:write, "
        "audit:read, recordings:read, recordings:write, webhooks:write)."
    ),
    auto_error=False,
)


def container_of(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


def origin_of(request: Request) -> Origin:
    """The client's address (as uvicorn resolved it behind trusted proxies) and browser."""
    return Origin(
        ip=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
    )


async def _token_session(request: Request, authorization: str, scopes: list[str]) -> Session:
    """The token's owner, limited to its scopes; refusals are audited (never the secret)."""
    container = container_of(request)
    kind, _, secret = authorization.partition(" ")
    secret = secret.strip()
    use = None
    if kind.lower() == "bearer" and secret.startswith(TOKEN_PREFIX) and len(secret) <= 128:
        use = await container.tokens.use(secret)
    if use is None or use.refusal is not None or use.token is None or use.owner is None:
        reason = use.refusal if use is not None else "unknown"
        await container.audit.record_refusal(
            "api_token.refused",
            origin_of(request),
            actor_user_id=use.owner.id if use and use.owner else None,
            actor=use.owner.audit_label if use and use.owner else None,
            target=f"token:{use.token.id}" if use and use.token else None,
            details={"reason": reason, "path": request.url.path},
        )
        raise ApiProblem(
            401, "invalid_token", "this API token is unknown, revoked or expired; make a new one"
        )
    token, owner = use.token, use.owner
    missing = [scope for scope in scopes if scope not in token.scopes]
    if missing or not scopes:  # a route that declares no scope is for browser sessions only
        scope = missing[0] if missing else None
        await container.audit.record_refusal(
            "api_token.refused",
            origin_of(request),
            actor_user_id=owner.id,
            actor=owner.audit_label,
            target=f"token:{token.id}",
            details={"reason": "insufficient_scope", "scope": scope, "path": request.url.path},
        )
        raise ApiProblem(
            403,
            "insufficient_scope",
            f"this API token lacks the {scope} scope"
            if scope
            else "API tokens cannot be used here; sign in with a browser",
        )
    return Session(
        owner,
        owner.provider,
        csrf_token="",
        id_token="",
        expires_at=token.expires_at,
        token_id=token.id,
        scopes=frozenset(token.scopes),
    )


async def optional_session(
    request: Request,
    security_scopes: SecurityScopes,
    _bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(api_token_scheme)],
) -> Session | None:
    """The caller, or None. A request with an Authorization header is judged by its token
    alone (its cookies are ignored); a cookie request that changes state needs the CSRF token."""
    authorization = request.headers.get("authorization")
    if authorization is not None:
        return await _token_session(request, authorization, security_scopes.scopes)
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
    session: Annotated[Session | None, Security(optional_session)],
) -> Session:
    if session is None:
        raise ApiProblem(401, "not_signed_in", "sign in first")
    return session


async def admin_session(
    request: Request, session: Annotated[Session, Security(required_session)]
) -> Session:
    if not container_of(request).auth.is_admin(session.user):
        raise ApiProblem(403, "not_an_administrator", "only administrators may do this")
    return session


OptionalSession = Annotated[Session | None, Depends(optional_session)]
"""The caller if any; API tokens are refused (the route declares no scope)."""
RequiredSession = Annotated[Session, Depends(required_session)]
AdminSession = Annotated[Session, Depends(admin_session)]

# The same, for routes that API tokens may use with the scope named.
RoomsReader = Annotated[Session | None, Security(optional_session, scopes=["rooms:read"])]
RoomsWriter = Annotated[Session | None, Security(optional_session, scopes=["rooms:write"])]
RolesWriter = Annotated[Session | None, Security(optional_session, scopes=["roles:write"])]
SignedInRoomsReader = Annotated[Session, Security(required_session, scopes=["rooms:read"])]
AuditReader = Annotated[Session, Security(admin_session, scopes=["audit:read"])]
RecordingsReader = Annotated[Session, Security(required_session, scopes=["recordings:read"])]
RecordingsWriter = Annotated[Session, Security(required_session, scopes=["recordings:write"])]
"""Deleting recordings and transcripts and renaming speakers: a reading token changes nothing."""
WebhooksManager = Annotated[Session | None, Security(optional_session, scopes=["webhooks:write"])]
"""Webhooks of a room or of the deployment: listing them shows their addresses and delivery
log, so reading needs the same scope as changing."""
