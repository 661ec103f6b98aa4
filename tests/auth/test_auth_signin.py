"""Signing in through a real OpenID Connect provider configured like ProConnect."""

from __future__ import annotations

import httpx

from tests.auth.signin import me, query_of, sign_in, start_login
from tests.oidc.provider import CLIENT_SECRET, TestProvider
from tests.support import RunningServer


def test_auth_signin_request_is_what_proconnect_expects(
    server: RunningServer, provider: TestProvider
) -> None:
    """The authorization request: code flow, long state and nonce, PKCE S256, eidas1, scopes."""
    with httpx.Client() as client:
        url = start_login(client, server)
    assert url.startswith(f"{provider.issuer}/auth?")
    query = query_of(url)
    assert query["response_type"] == "code"
    assert query["scope"] == "openid given_name usual_name email uid siret idp_id"
    assert query["acr_values"] == "eidas1"
    assert len(query["state"]) >= 32 and len(query["nonce"]) >= 32
    assert query["state"] != query["nonce"]
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert query["redirect_uri"] == f"{server.url}/auth/proconnect/callback"
    assert CLIENT_SECRET not in url


def test_auth_signin_whole_flow_maps_proconnect_claims(
    server: RunningServer, provider: TestProvider
) -> None:
    """After the provider's form, the person is signed in with ProConnect's claims."""
    with httpx.Client() as client:
        final = sign_in(client, server, provider, "pierre", next_path="/abc-defg-hij")
        assert final.url == f"{server.url}/abc-defg-hij"
        body = me(client, server).json()
    assert body["user"]["full_name"] == "Pierre Dupont"
    assert body["user"]["email"] == "pierre.dupont@interieur.gouv.fr"
    assert body["user"]["uid"] == "pdupont"
    assert body["user"]["siret"] == "11000201100044"
    assert body["user"]["idp_id"] == "fia1v2"
    assert body["user"]["provider"] == "proconnect"
    assert body["is_admin"] is False
    assert len(body["csrf_token"]) >= 32


def test_auth_signin_session_cookie_is_httponly_lax(
    server: RunningServer, provider: TestProvider
) -> None:
    """The session cookie is HttpOnly and SameSite=Lax (Secure only behind https)."""
    with httpx.Client() as client:
        callback_hops = []
        client.event_hooks["response"] = [lambda r: callback_hops.append(r)]
        sign_in(client, server, provider)
    cookies = [
        h for r in callback_hops for h in r.headers.get_list("set-cookie") if "visio_session=" in h
    ]
    assert len(cookies) == 1
    flags = cookies[0].lower()
    assert "httponly" in flags and "samesite=lax" in flags and "path=/" in flags
    assert "secure" not in flags  # plain http in the test: Secure is for https public URLs


def test_auth_signin_matches_users_on_sub(server: RunningServer, provider: TestProvider) -> None:
    """Signing in twice is the same user; another person is another user."""
    ids = []
    for user in ("marie", "marie", "pierre"):
        with httpx.Client() as client:
            sign_in(client, server, provider, user)
            ids.append(me(client, server).json()["user"]["id"])
    assert ids[0] == ids[1] != ids[2]


def test_auth_signin_rotates_the_session(server: RunningServer, provider: TestProvider) -> None:
    """Signing in again gives a new session cookie and ends the old one."""
    with httpx.Client() as client:
        sign_in(client, server, provider)
        first = client.cookies["visio_session"]
        sign_in(client, server, provider)
        second = client.cookies["visio_session"]
        assert first != second
        assert me(client, server).status_code == 200
    with httpx.Client(cookies={"visio_session": first}) as stale:
        assert me(stale, server).status_code == 401


def test_auth_signin_accepts_rotated_provider_keys(
    server: RunningServer, provider: TestProvider
) -> None:
    """An ID token signed with a key the provider just published is accepted (JWKS refetched)."""
    provider.set_mode("rotate_keys")
    with httpx.Client() as client:
        sign_in(client, server, provider)
        assert me(client, server).status_code == 200


def test_auth_signin_accepts_json_userinfo(server: RunningServer, provider: TestProvider) -> None:
    """A provider answering userinfo as plain JSON works too."""
    provider.set_mode("userinfo_json")
    with httpx.Client() as client:
        sign_in(client, server, provider, "marie")
        assert me(client, server).json()["user"]["full_name"] == "Marie Curie"


def test_auth_me_without_session_is_401(server: RunningServer) -> None:
    """Nobody signed in: /api/v1/me says so."""
    response = httpx.get(f"{server.url}/api/v1/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_signed_in"


def test_auth_providers_are_listed_for_the_home_page(server: RunningServer) -> None:
    """The configured providers, with display name and logo, without any secret."""
    response = httpx.get(f"{server.url}/api/v1/auth/providers")
    assert response.json() == {
        "providers": [
            {
                "id": "proconnect",
                "display_name": "ProConnect",
                "logo_url": "/signin.svg",
                "login_url": "/auth/proconnect/login",
            }
        ]
    }


def test_auth_secrets_stay_out_of_the_log(server: RunningServer, provider: TestProvider) -> None:
    """Neither the client secret, the code nor the tokens appear in the server's log."""
    with httpx.Client() as client:
        callback_urls = []
        client.event_hooks["request"] = [
            lambda r: callback_urls.append(str(r.url)) if "/callback" in r.url.path else None
        ]
        sign_in(client, server, provider)
        session_cookie = client.cookies["visio_session"]
    code = query_of(callback_urls[0])["code"]
    log = server.log()
    assert "/auth/proconnect/callback" in log
    for secret in (CLIENT_SECRET, code, session_cookie):
        assert secret not in log
