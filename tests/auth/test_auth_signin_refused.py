"""Sign-ins that must be refused, each with a clear error and an audit record.

Some need a provider that misbehaves on purpose (tests/oidc/server.mjs modes); others tamper with
what the browser carries between Visio and the provider, as an attacker in the browser would.
"""

from __future__ import annotations

import httpx
import pytest

from tests.auth.signin import (
    audit_events,
    last_refusal,
    login_at_provider,
    me,
    query_of,
    start_login,
    with_query,
)
from tests.oidc.provider import TestProvider
from tests.support import RunningServer


def _assert_refused(
    client: httpx.Client,
    final: httpx.Response,
    server: RunningServer,
    provider: TestProvider,
    reason: str,
) -> None:
    """Sent home with the reason, not signed in, and the refusal is in the audit trail."""
    assert final.status_code == 200
    assert query_of(final.url) == {"login_error": reason}
    assert "visio_session" not in client.cookies
    assert me(client, server).status_code == 401
    refusal = last_refusal(server, provider)
    assert refusal["details"]["reason"] == reason
    assert refusal["provider"] == "proconnect"
    assert refusal["ip"] == "127.0.0.1"
    assert refusal["user_agent"].startswith("python-httpx")
    assert refusal["details"]["message"]


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("id_token_wrong_key", "invalid_signature"),
        ("id_token_unknown_key", "unknown_signing_key"),
        ("id_token_alg_none", "invalid_signature"),
        ("id_token_wrong_audience", "wrong_audience"),
        ("id_token_wrong_issuer", "wrong_issuer"),
        ("id_token_expired", "token_expired"),
        ("userinfo_other_sub", "userinfo_sub_mismatch"),
    ],
)
def test_auth_signin_refuses_bad_tokens(
    server: RunningServer, provider: TestProvider, mode: str, reason: str
) -> None:
    """Forged, unsigned, misaddressed or expired ID tokens and someone else's userinfo."""
    provider.set_mode(mode)
    with httpx.Client() as client:
        callback = login_at_provider(client, provider, start_login(client, server), "pierre")
        final = client.get(callback, follow_redirects=True)
        _assert_refused(client, final, server, provider, reason)


def test_auth_signin_refuses_a_token_minted_for_another_signin(
    server: RunningServer, provider: TestProvider
) -> None:
    """An ID token carrying the nonce of an earlier sign-in (a replayed nonce) is refused."""
    with httpx.Client() as client:
        earlier = query_of(start_login(client, server))["nonce"]
        url = with_query(start_login(client, server), nonce=earlier)
        final = client.get(
            login_at_provider(client, provider, url, "pierre"), follow_redirects=True
        )
        _assert_refused(client, final, server, provider, "nonce_mismatch")


def test_auth_signin_refuses_a_token_without_nonce(
    server: RunningServer, provider: TestProvider
) -> None:
    """An ID token without a nonce is refused."""
    with httpx.Client() as client:
        url = with_query(start_login(client, server), nonce=None)
        final = client.get(
            login_at_provider(client, provider, url, "pierre"), follow_redirects=True
        )
        _assert_refused(client, final, server, provider, "nonce_missing")


def test_auth_signin_refuses_a_wrong_state(server: RunningServer, provider: TestProvider) -> None:
    """A callback whose state Visio never issued is refused."""
    with httpx.Client() as client:
        callback = login_at_provider(client, provider, start_login(client, server), "pierre")
        final = client.get(with_query(callback, state="x" * 48), follow_redirects=True)
        _assert_refused(client, final, server, provider, "unknown_state")


def test_auth_signin_refuses_a_missing_state(server: RunningServer, provider: TestProvider) -> None:
    """A callback without state is refused."""
    with httpx.Client() as client:
        callback = login_at_provider(client, provider, start_login(client, server), "pierre")
        final = client.get(with_query(callback, state=None), follow_redirects=True)
        _assert_refused(client, final, server, provider, "missing_state")


def test_auth_signin_refuses_a_replayed_callback(
    server: RunningServer, provider: TestProvider
) -> None:
    """The same callback twice: the second is refused (each state is used once)."""
    with httpx.Client() as client:
        callback = login_at_provider(client, provider, start_login(client, server), "pierre")
        assert client.get(callback, follow_redirects=True).url.path == "/"
        assert me(client, server).status_code == 200
    with httpx.Client() as replayer:
        replayer.cookies.set("visio_login", "x")
        final = replayer.get(callback, follow_redirects=True)
        _assert_refused(replayer, final, server, provider, "unknown_state")


def test_auth_signin_refuses_a_callback_from_another_browser(
    server: RunningServer, provider: TestProvider
) -> None:
    """A sign-in started in one browser cannot be finished in another (login CSRF)."""
    with httpx.Client() as victim_browser, httpx.Client() as attacker:
        callback = login_at_provider(attacker, provider, start_login(attacker, server), "pierre")
        final = victim_browser.get(callback, follow_redirects=True)
        _assert_refused(victim_browser, final, server, provider, "browser_mismatch")


def test_auth_signin_refuses_a_wrong_pkce_verifier(
    server: RunningServer, provider: TestProvider
) -> None:
    """When the verifier Visio sends does not match the challenge, the provider refuses."""
    with httpx.Client() as client:
        url = with_query(start_login(client, server), code_challenge="A" * 43)
        final = client.get(
            login_at_provider(client, provider, url, "pierre"), follow_redirects=True
        )
        _assert_refused(client, final, server, provider, "token_request_refused")
        assert "invalid_grant" in last_refusal(server, provider)["details"]["message"]


def test_auth_signin_refuses_a_provider_error(
    server: RunningServer, provider: TestProvider
) -> None:
    """The provider saying no (e.g. the person cancelled) is reported as such."""
    with httpx.Client() as client:
        state = query_of(start_login(client, server))["state"]
        final = client.get(
            f"{server.url}/auth/proconnect/callback",
            params={"error": "access_denied", "state": state},
            follow_redirects=True,
        )
        _assert_refused(client, final, server, provider, "provider_error")


@pytest.mark.parametrize("provider_id", ["nope", "p" * 40, "proconnect%00", "%0D%0Aforged"])
def test_auth_signin_unknown_provider_is_a_404_before_any_work(
    server: RunningServer, provider: TestProvider, provider_id: str
) -> None:
    """A sign-in or callback link for a provider that is not configured (too long, NUL, CR/LF
    included) is a 404 at once: nothing stored, nothing audited, on any database."""

    def refusals() -> int:
        events = audit_events(server, provider, "auth.login")
        return sum(e["outcome"] == "failure" for e in events)

    before = refusals()
    for step in ("login", "callback?state=x&code=y"):
        response = httpx.get(f"{server.url}/auth/{provider_id}/{step}")
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "unknown_provider"
    assert refusals() == before
