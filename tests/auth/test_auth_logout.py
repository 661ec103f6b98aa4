"""Signing out: here, then at the provider (RP-initiated logout), CSRF-protected."""

from __future__ import annotations

import httpx

from tests.auth.signin import audit_events, me, query_of, sign_in
from tests.oidc.provider import TestProvider, first_form
from tests.support import RunningServer


def test_auth_logout_needs_the_csrf_token(server: RunningServer, provider: TestProvider) -> None:
    """A cookie-authenticated POST without the CSRF token is refused and changes nothing."""
    with httpx.Client() as client:
        sign_in(client, server, provider)
        for headers in ({}, {"x-csrf-token": "forged"}):
            response = client.post(f"{server.url}/auth/logout", headers=headers)
            assert response.status_code == 403
            assert response.json()["error"]["code"] == "csrf_failed"
        assert me(client, server).status_code == 200


def test_auth_logout_signs_out_here_and_at_the_provider(
    server: RunningServer, provider: TestProvider
) -> None:
    """Logout ends the session, then the provider's with id_token_hint, state and return URI."""
    with httpx.Client() as client:
        sign_in(client, server, provider, "marie")
        csrf = me(client, server).json()["csrf_token"]
        reply = client.post(f"{server.url}/auth/logout", headers={"x-csrf-token": csrf})
        assert reply.status_code == 200
        end_session = reply.json()["redirect"]
        assert me(client, server).status_code == 401

        assert end_session.startswith(f"{provider.issuer}/session/end?")
        query = query_of(end_session)
        assert query["post_logout_redirect_uri"] == f"{server.url}/auth/logout/done"
        assert len(query["state"]) >= 32
        assert query["id_token_hint"].count(".") == 2

        action, fields = first_form(client.get(end_session))
        back = client.post(action, data=fields, follow_redirects=True)
        assert str(back.url) == f"{server.url}/?signed_out=1"
    logouts = audit_events(server, provider, "auth.logout")
    assert logouts[-1]["actor"] == "marie.curie@recherche.gouv.fr"
    assert logouts[-1]["outcome"] == "success"


def test_auth_logout_without_session_is_401(server: RunningServer) -> None:
    """Nobody to sign out."""
    response = httpx.post(f"{server.url}/auth/logout")
    assert response.status_code == 401
