"""Signing in through the test provider with httpx, step by step, as a browser would."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import httpx

from tests.oidc.provider import PROVIDER_ID, TestProvider, first_form
from tests.support import RunningServer


def start_login(client: httpx.Client, server: RunningServer, next_path: str | None = None) -> str:
    """Visio's login route; returns the provider's authorization URL it redirects to."""
    params = {"next": next_path} if next_path else {}
    response = client.get(f"{server.url}/auth/{PROVIDER_ID}/login", params=params)
    assert response.status_code == 303, response.text
    return response.headers["location"]


def follow_provider(client: httpx.Client, provider: TestProvider, url: str) -> httpx.Response:
    """Follow redirects while they stay at the provider; the last response is returned."""
    response = client.get(url)
    while response.is_redirect:
        location = str(response.next_request.url) if response.next_request else ""
        if not location.startswith(provider.issuer):
            return response
        response = client.get(location)
    return response


def login_at_provider(
    client: httpx.Client, provider: TestProvider, authorization_url: str, user: str
) -> str:
    """Fill the provider's login form as ``user``; returns the callback URL back to Visio."""
    page = follow_provider(client, provider, authorization_url)
    if page.status_code == 200:
        action, fields = first_form(page)
        fields["login"] = user
        response = client.post(action, data=fields)
        while response.is_redirect:
            location = str(response.next_request.url) if response.next_request else ""
            if not location.startswith(provider.issuer):
                break
            response = client.get(location)
        page = response
    assert page.is_redirect, f"the provider did not send us back: {page.status_code} {page.text}"
    return str(page.next_request.url) if page.next_request else ""


def sign_in(
    client: httpx.Client,
    server: RunningServer,
    provider: TestProvider,
    user: str = "pierre",
    next_path: str | None = None,
) -> httpx.Response:
    """The whole flow; returns Visio's final page (after its own redirects)."""
    callback = login_at_provider(client, provider, start_login(client, server, next_path), user)
    return client.get(callback, follow_redirects=True)


def with_query(url: str, **changes: str | None) -> str:
    """``url`` with some query parameters replaced (or removed when None)."""
    parts = urlsplit(url)
    query: dict[str, Any] = {k: v[0] for k, v in parse_qs(parts.query).items()}
    for key, value in changes.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = value
    return urlunsplit(parts._replace(query=urlencode(query)))


def query_of(url: str | httpx.URL) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(str(url)).query).items()}


def me(client: httpx.Client, server: RunningServer) -> httpx.Response:
    return client.get(f"{server.url}/api/v1/me")


def audit_events(server: RunningServer, provider: TestProvider, event: str) -> list[dict[str, Any]]:
    """The audit trail's events of one kind, read by an administrator through the API."""
    with httpx.Client(timeout=10) as admin:
        sign_in(admin, server, provider, "admin")
        response = admin.get(
            f"{server.url}/api/v1/audit/events", params={"event": event, "limit": 1000}
        )
        response.raise_for_status()
        events: list[dict[str, Any]] = response.json()["events"]
        return events


def last_refusal(server: RunningServer, provider: TestProvider) -> dict[str, Any]:
    """The most recent failed sign-in in the audit trail (the provider behaves again first)."""
    provider.set_mode("normal")
    failures = [
        e for e in audit_events(server, provider, "auth.login") if e["outcome"] == "failure"
    ]
    assert failures, "no failed sign-in was audited"
    return failures[-1]
