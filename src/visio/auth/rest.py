"""Sign-in routes (browser redirects under /auth) and the signed-in person (/api/v1/me)."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel

from visio.auth.dependencies import (
    RequiredSession,
    container_of,
    origin_of,
)
from visio.auth.oidc import OidcError
from visio.auth.sessions import SESSION_COOKIE
from visio.container import Container
from visio.edge.urls import public_base_url
from visio.errors import ApiProblem, ErrorReply

LOGIN_COOKIE = "visio_login"
LOGOUT_COOKIE = "visio_logout"
FLOW_COOKIE_MAX_AGE = 600


class ProviderInfo(BaseModel):
    id: str
    display_name: str
    logo_url: str | None
    login_url: str


class ProviderList(BaseModel):
    providers: list[ProviderInfo]


class MeUser(BaseModel):
    id: int
    provider: str
    full_name: str
    given_name: str
    usual_name: str
    email: str | None
    uid: str | None
    siret: str | None
    idp_id: str | None


class Me(BaseModel):
    user: MeUser
    is_admin: bool
    csrf_token: str


class LogoutReply(BaseModel):
    redirect: str


api = APIRouter(prefix="/api/v1", tags=["auth"])
browser = APIRouter(prefix="/auth", include_in_schema=False)


def _set_cookie(
    response: Response, container: Container, name: str, value: str, max_age: int, path: str
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=path,
        secure=container.settings.secure_cookies,
        httponly=True,
        samesite="lax",
    )


def _failed(code: str) -> RedirectResponse:
    return RedirectResponse(f"/?{urlencode({'login_error': code})}", status_code=303)


@api.get("/auth/providers", response_model=ProviderList)
async def list_providers(request: Request) -> ProviderList:
    """The identity providers people may sign in with, for the home page's buttons."""
    return ProviderList(
        providers=[
            ProviderInfo(
                id=p.id,
                display_name=p.display_name,
                logo_url=p.logo_url,
                login_url=f"/auth/{p.id}/login",
            )
            for p in container_of(request).auth.providers
        ]
    )


@api.get(
    "/me",
    response_model=Me,
    responses={401: {"model": ErrorReply, "description": "not signed in"}},
)
async def me(request: Request, session: RequiredSession) -> Me:
    """The signed-in person, and the CSRF token their state-changing requests must send."""
    user = session.user
    return Me(
        user=MeUser(full_name=user.full_name, **user.model_dump(exclude={"subject"})),
        is_admin=container_of(request).auth.is_admin(user),
        csrf_token=session.csrf_token,
    )


def known_provider(provider: str, request: Request) -> str:
    """The provider in the path, refused with 404 unless configured: before any other work."""
    if container_of(request).auth.client(provider) is None:
        raise ApiProblem(404, "unknown_provider", "there is no identity provider with this id")
    return provider


Provider = Annotated[str, Depends(known_provider)]


@browser.get("/{provider}/login")
async def login(provider: Provider, request: Request, next: str | None = None) -> Response:
    """Send the browser to the provider, remembering state, nonce and PKCE verifier."""
    container = container_of(request)
    client = request.client.host if request.client else "unknown"
    if not await container.rate_limits.sign_in.allow(client):
        await container.audit.record_refusal(
            "auth.login",
            origin_of(request),
            provider=provider,
            details={"reason": "rate_limited"},
        )
        return _failed("rate_limited")
    browser_token = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(32)
    redirect_uri = f"{public_base_url(request, container.settings)}/auth/{provider}/callback"
    try:
        url = await container.auth.begin_login(provider, redirect_uri, next, browser_token)
    except OidcError as exc:
        await container.audit.record_refusal(
            "auth.login",
            origin_of(request),
            provider=provider,
            details={"reason": exc.code, "message": exc.message},
        )
        return _failed(exc.code)
    response = RedirectResponse(url, status_code=303)
    _set_cookie(response, container, LOGIN_COOKIE, browser_token, FLOW_COOKIE_MAX_AGE, "/auth")
    return response


@browser.get("/{provider}/callback")
async def callback(provider: Provider, request: Request) -> Response:
    """The provider's answer: verify everything, then open a fresh session."""
    container = container_of(request)
    params = request.query_params
    try:
        signed_in = await container.auth.complete_login(
            provider,
            code=params.get("code"),
            state=params.get("state"),
            error=params.get("error"),
            issuer=params.get("iss"),
            browser_token=request.cookies.get(LOGIN_COOKIE),
            redirect_uri=f"{public_base_url(request, container.settings)}/auth/{provider}/callback",
            origin=origin_of(request),
        )
    except OidcError as exc:
        return _failed(exc.code)
    previous = request.cookies.get(SESSION_COOKIE)
    if previous:  # rotation: the old session, if any, ends with the new sign-in
        await container.sessions.delete(previous)
    response = RedirectResponse(signed_in.return_to, status_code=303)
    lifetime = int(container.settings.session_lifetime_hours * 3600)
    _set_cookie(response, container, SESSION_COOKIE, signed_in.session_token, lifetime, "/")
    return response


@browser.post("/logout", response_model=LogoutReply)
async def logout(request: Request, session: RequiredSession) -> Response:
    """End the session (CSRF-checked); the reply says where to go to sign out at the provider."""
    container = container_of(request)
    token = request.cookies[SESSION_COOKIE]
    done = f"{public_base_url(request, container.settings)}/auth/logout/done"
    state, url = await container.auth.logout(token, session, done, origin_of(request))
    response = Response(
        LogoutReply(redirect=url or "/").model_dump_json(), media_type="application/json"
    )
    response.delete_cookie(SESSION_COOKIE, path="/")
    _set_cookie(response, container, LOGOUT_COOKIE, state, FLOW_COOKIE_MAX_AGE, "/auth")
    return response


@browser.get("/logout/done")
async def logout_done(request: Request, state: str | None = None) -> Response:
    """Back from the provider's sign-out; the state must be the one Visio sent."""
    expected = request.cookies.get(LOGOUT_COOKIE)
    matched = bool(state and expected and hmac.compare_digest(state.encode(), expected.encode()))
    response = RedirectResponse("/?signed_out=1" if matched else "/", status_code=303)
    response.delete_cookie(LOGOUT_COOKIE, path="/auth")
    return response
