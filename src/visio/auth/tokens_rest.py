"""REST routes for API tokens: signed-in people make, list and revoke their own.

Only a browser session (cookie and CSRF token) may manage tokens: a token cannot make another.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from visio.auth.dependencies import RequiredSession, container_of, origin_of
from visio.auth.tokens import ApiToken, Scope
from visio.errors import ApiProblem, ErrorReply
from visio.storage.models import MAX_ROW_ID
from visio.text import one_line

router = APIRouter(prefix="/api/v1/tokens", tags=["tokens"])

TokenName = Annotated[str, AfterValidator(one_line(80))]
REFUSALS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorReply, "description": "not signed in"},
    403: {"model": ErrorReply, "description": "CSRF token missing, or an API token was used"},
}


class TokenCreate(BaseModel):
    """A new token: a name to recognise it by, what it may do, and optionally when it ends."""

    model_config = ConfigDict(extra="forbid")
    name: TokenName
    scopes: Annotated[list[Scope], Field(min_length=1, max_length=4)]
    expires_in_days: Annotated[int | None, Field(ge=1, le=3650)] = None


class TokenCreated(ApiToken):
    secret: str
    """Shown this once: Visio keeps only its SHA-256."""


class TokenList(BaseModel):
    tokens: list[ApiToken]


@router.post("", status_code=201, response_model=TokenCreated, responses=REFUSALS)
async def create_token(body: TokenCreate, request: Request, session: RequiredSession) -> Any:
    """Make an API token that acts as you, limited to its scopes; its secret is shown once."""
    container = container_of(request)
    lifetime = timedelta(days=body.expires_in_days) if body.expires_in_days else None
    secret, token = await container.tokens.create(session.user, body.name, body.scopes, lifetime)
    await container.audit.record(
        "api_token.created",
        "success",
        origin_of(request),
        actor_user_id=session.user.id,
        actor=session.user.audit_label,
        provider=session.provider,
        target=f"token:{token.id}",
        details={
            "name": token.name,
            "scopes": token.scopes,
            "expires_at": token.expires_at.isoformat() if token.expires_at else None,
        },
    )
    return TokenCreated(**token.model_dump(), secret=secret)


@router.get("", response_model=TokenList, responses=REFUSALS)
async def list_tokens(request: Request, session: RequiredSession) -> TokenList:
    """Your tokens, newest first, revoked and expired ones included; never their secrets."""
    return TokenList(tokens=await container_of(request).tokens.owned_by(session.user))


@router.delete(
    "/{token_id}",
    status_code=204,
    responses={**REFUSALS, 404: {"model": ErrorReply, "description": "no such token of yours"}},
)
async def revoke_token(
    token_id: Annotated[int, Path(ge=1, le=MAX_ROW_ID)], request: Request, session: RequiredSession
) -> Response:
    """Revoke one of your tokens: it is refused from now on."""
    container = container_of(request)
    token = await container.tokens.revoke(session.user, token_id)
    if token is None:
        raise ApiProblem(404, "not_found", "you have no API token with this id")
    await container.audit.record(
        "api_token.revoked",
        "success",
        origin_of(request),
        actor_user_id=session.user.id,
        actor=session.user.audit_label,
        provider=session.provider,
        target=f"token:{token.id}",
        details={"name": token.name},
    )
    return Response(status_code=204)
