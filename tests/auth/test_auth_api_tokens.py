"""Scoped API tokens: made by signed-in people, used by integrators as `Bearer vt_…`."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.auth.signin import audit_events
from tests.oidc.provider import TestProvider
from tests.rooms.people import EMAILS, Browser
from tests.support import RunningServer, start_server


@pytest.fixture(scope="module")
def pierre(oidc_server: tuple[RunningServer, TestProvider]) -> Iterator[Browser]:
    """Pierre, signed in (not a site administrator), who makes the tokens."""
    browser = Browser(oidc_server[0], oidc_server[1], "pierre")
    yield browser
    browser.close()


def make_token(browser: Browser, *scopes: str, **extra: Any) -> dict[str, Any]:
    response = browser.http.post(
        "/api/v1/tokens", json={"name": "intégration", "scopes": list(scopes), **extra}
    )
    assert response.status_code == 201, response.text
    token: dict[str, Any] = response.json()
    return token


def integrator(server: RunningServer, secret: str) -> httpx.Client:
    """A program with no cookies, sending the token."""
    return httpx.Client(
        base_url=server.url, timeout=15, headers={"Authorization": f"Bearer {secret}"}
    )


def refusal(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


def test_api_tokens_create_returns_a_prefixed_secret_once(pierre: Browser) -> None:
    """The secret starts with vt_, carries 32 random bytes and is never listed again."""
    token = make_token(pierre, "rooms:read", expires_in_days=30)
    assert token["secret"].startswith("vt_") and len(token["secret"]) >= 3 + 43
    assert token["scopes"] == ["rooms:read"] and token["expires_at"] is not None
    listed = pierre.http.get("/api/v1/tokens").json()["tokens"]
    assert listed[0]["id"] == token["id"]
    assert token["secret"] not in pierre.http.get("/api/v1/tokens").text
    assert all("secret" not in t for t in listed)


def test_api_tokens_create_refuses_unknown_scopes(pierre: Browser) -> None:
    """A scope Visio does not know is rejected at the edge."""
    response = pierre.http.post("/api/v1/tokens", json={"name": "x", "scopes": ["rooms:admin"]})
    assert refusal(response) == (422, "invalid_request")


def test_api_tokens_create_needs_the_csrf_token(pierre: Browser) -> None:
    """Making a token is a cookie-authenticated state change: CSRF applies."""
    response = pierre.http.post(
        "/api/v1/tokens",
        json={"name": "x", "scopes": ["rooms:read"]},
        headers={"X-CSRF-Token": ""},
    )
    assert refusal(response) == (403, "csrf_failed")


def test_api_tokens_create_rename_room_and_list_roles(
    pierre: Browser, oidc_server: tuple[RunningServer, TestProvider]
) -> None:
    """With rooms:read and rooms:write, a program creates and renames a room, lists its roles."""
    server = oidc_server[0]
    secret = make_token(pierre, "rooms:read", "rooms:write")["secret"]
    with integrator(server, secret) as program:
        created = program.post("/api/v1/rooms", json={"name": "Point", "access": "restricted"})
        assert created.status_code == 201, created.text
        slug = created.json()["slug"]
        renamed = program.patch(f"/api/v1/rooms/{slug}", json={"name": "Comité"})
        assert renamed.status_code == 200, renamed.text
        assert (renamed.json()["name"], renamed.json()["my_role"]) == ("Comité", "owner")
        roles = program.get(f"/api/v1/rooms/{slug}/roles").json()["roles"]
        assert [(r["email"], r["role"]) for r in roles] == [(EMAILS["pierre"], "owner")]
        assert slug in [r["slug"] for r in program.get("/api/v1/me/rooms").json()["rooms"]]
    assert pierre.http.get(f"/api/v1/rooms/{slug}").json()["my_role"] == "owner"
    used = [
        t
        for t in pierre.http.get("/api/v1/tokens").json()["tokens"]
        if t["scopes"] == ["rooms:read", "rooms:write"]
    ]
    assert used[0]["last_used_at"] is not None


def test_api_tokens_missing_scope_is_refused_and_named(
    pierre: Browser, oidc_server: tuple[RunningServer, TestProvider]
) -> None:
    """A read-only token cannot create a room, rename one or give a role: 403 naming the scope."""
    server = oidc_server[0]
    slug = pierre.create_room()
    secret = make_token(pierre, "rooms:read")["secret"]
    with integrator(server, secret) as program:
        created = program.post("/api/v1/rooms", json={})
        assert refusal(created) == (403, "insufficient_scope")
        assert "rooms:write" in created.json()["error"]["message"]
        assert refusal(program.patch(f"/api/v1/rooms/{slug}", json={"name": "x"})) == (
            403,
            "insufficient_scope",
        )
        granted = program.put(
            f"/api/v1/rooms/{slug}/roles/{EMAILS['marie']}", json={"role": "member"}
        )
        assert refusal(granted) == (403, "insufficient_scope")
        assert "roles:write" in granted.json()["error"]["message"]
    refused = audit_events(server, oidc_server[1], "api_token.refused")
    assert {"reason": "insufficient_scope", "scope": "roles:write"}.items() <= refused[-1][
        "details"
    ].items()


def test_api_tokens_never_grant_more_than_the_owner_has(
    pierre: Browser, oidc_server: tuple[RunningServer, TestProvider]
) -> None:
    """A token with every room scope still cannot change a room its owner holds no role in."""
    server, provider = oidc_server
    with Browser(server, provider, "marie") as marie_browser:
        slug = marie_browser.create_room(access="restricted")
    secret = make_token(pierre, "rooms:read", "rooms:write", "roles:write")["secret"]
    with integrator(server, secret) as program:
        assert program.patch(f"/api/v1/rooms/{slug}", json={"name": "x"}).status_code == 403
        response = program.put(
            f"/api/v1/rooms/{slug}/roles/{EMAILS['pierre']}", json={"role": "owner"}
        )
        assert response.status_code == 403


def test_api_tokens_roles_write_gives_a_role(
    pierre: Browser, oidc_server: tuple[RunningServer, TestProvider]
) -> None:
    """With roles:write, the owner's program gives someone a role in the owner's room."""
    slug = pierre.create_room()
    secret = make_token(pierre, "roles:write")["secret"]
    with integrator(oidc_server[0], secret) as program:
        granted = program.put(
            f"/api/v1/rooms/{slug}/roles/{EMAILS['marie']}", json={"role": "member"}
        )
    assert granted.status_code == 200, granted.text


def test_api_tokens_revoked_unknown_and_expired_tokens_are_refused(
    pierre: Browser, oidc_server: tuple[RunningServer, TestProvider]
) -> None:
    """A revoked, unknown or expired token gets 401 invalid_token; each refusal is audited."""
    server = oidc_server[0]
    revoked = make_token(pierre, "rooms:read")
    assert pierre.http.delete(f"/api/v1/tokens/{revoked['id']}").status_code == 204
    expired = make_token(pierre, "rooms:read", expires_in_days=1)
    with sqlite3.connect(server.data_dir / "visio.db") as database:
        database.execute(
            "UPDATE api_tokens SET expires_at = '2020-01-01 00:00:00' WHERE id = ?",
            (expired["id"],),
        )
    for secret in (revoked["secret"], expired["secret"], "vt_" + "A" * 43, "not-a-token"):
        with integrator(server, secret) as program:
            assert refusal(program.get("/api/v1/me/rooms")) == (401, "invalid_token")
    reasons = [
        e["details"]["reason"] for e in audit_events(server, oidc_server[1], "api_token.refused")
    ]
    assert reasons[-4:] == ["revoked", "expired", "unknown", "unknown"]
    listed = {t["id"]: t for t in pierre.http.get("/api/v1/tokens").json()["tokens"]}
    assert listed[revoked["id"]]["revoked_at"] is not None


def test_api_tokens_cannot_revoke_someone_elses(
    pierre: Browser, oidc_server: tuple[RunningServer, TestProvider]
) -> None:
    """Another person's token id is not found, and stays usable."""
    server, provider = oidc_server
    token = make_token(pierre, "rooms:read")
    with Browser(server, provider, "marie") as marie:
        assert refusal(marie.http.delete(f"/api/v1/tokens/{token['id']}")) == (404, "not_found")
    with integrator(server, token["secret"]) as program:
        assert program.get("/api/v1/me/rooms").status_code == 200


def test_api_tokens_cannot_manage_tokens(
    pierre: Browser, oidc_server: tuple[RunningServer, TestProvider]
) -> None:
    """A token, whatever its scopes, cannot make, list or revoke tokens, nor read /me."""
    token = make_token(pierre, "rooms:read", "rooms:write", "roles:write", "audit:read")
    with integrator(oidc_server[0], token["secret"]) as program:
        made = program.post("/api/v1/tokens", json={"name": "x", "scopes": ["rooms:read"]})
        assert refusal(made) == (403, "insufficient_scope")
        assert refusal(program.get("/api/v1/tokens")) == (403, "insufficient_scope")
        assert refusal(program.delete(f"/api/v1/tokens/{token['id']}")) == (
            403,
            "insufficient_scope",
        )
        assert refusal(program.get("/api/v1/me")) == (403, "insufficient_scope")


def test_api_tokens_bearer_request_ignores_the_cookie(
    pierre: Browser, oidc_server: tuple[RunningServer, TestProvider]
) -> None:
    """A bad bearer token is refused even with a valid session cookie and CSRF token."""
    response = pierre.http.post(
        "/api/v1/rooms", json={}, headers={"Authorization": "Bearer vt_forged"}
    )
    assert refusal(response) == (401, "invalid_token")
    secret = make_token(pierre, "rooms:read")["secret"]
    response = pierre.http.post(
        "/api/v1/rooms", json={}, headers={"Authorization": f"Bearer {secret}"}
    )
    assert refusal(response) == (403, "insufficient_scope")


def test_api_tokens_need_no_csrf_token(
    pierre: Browser, oidc_server: tuple[RunningServer, TestProvider]
) -> None:
    """A bearer request that changes state needs no CSRF header (it carries no cookie)."""
    secret = make_token(pierre, "rooms:write")["secret"]
    with integrator(oidc_server[0], secret) as program:
        assert "x-csrf-token" not in program.headers
        assert program.post("/api/v1/rooms", json={}).status_code == 201


def test_api_tokens_audit_read_only_for_site_administrators(
    pierre: Browser, oidc_server: tuple[RunningServer, TestProvider]
) -> None:
    """audit:read works for an administrator's token, and not for anyone else's."""
    server, provider = oidc_server
    secret = make_token(pierre, "audit:read")["secret"]
    with integrator(server, secret) as program:
        assert refusal(program.get("/api/v1/audit/events")) == (403, "not_an_administrator")
    with Browser(server, provider, "admin") as admin:
        admin_secret = make_token(admin, "audit:read")["secret"]
        no_audit = make_token(admin, "rooms:read")["secret"]
    with integrator(server, admin_secret) as program:
        assert program.get("/api/v1/audit/events").status_code == 200
        assert program.get("/api/v1/audit/export").status_code == 200
    with integrator(server, no_audit) as program:
        assert refusal(program.get("/api/v1/audit/events")) == (403, "insufficient_scope")


def test_api_tokens_created_and_revoked_are_audited_without_the_secret(
    pierre: Browser, oidc_server: tuple[RunningServer, TestProvider]
) -> None:
    """Creation and revocation are in the audit trail; no secret is in the trail or the log."""
    server, provider = oidc_server
    token = make_token(pierre, "rooms:read")
    pierre.http.delete(f"/api/v1/tokens/{token['id']}")
    with integrator(server, token["secret"]) as program:
        program.get("/api/v1/me/rooms")
    created = audit_events(server, provider, "api_token.created")
    revoked = audit_events(server, provider, "api_token.revoked")
    target = f"token:{token['id']}"
    assert [e["actor"] for e in created if e["target"] == target] == [EMAILS["pierre"]]
    assert [e["ip"] for e in revoked if e["target"] == target] == ["127.0.0.1"]
    with Browser(server, provider, "admin") as admin:
        trail = admin.http.get("/api/v1/audit/export").text
    assert target in trail and token["secret"] not in trail
    assert token["secret"] not in server.log()


def test_api_tokens_scheme_is_in_the_openapi_description(
    oidc_server: tuple[RunningServer, TestProvider],
) -> None:
    """OpenAPI declares the bearer scheme, and each operation the scope it needs."""
    schema = httpx.get(f"{oidc_server[0].url}/api/v1/openapi.json").json()
    scheme = schema["components"]["securitySchemes"]["apiToken"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    paths = schema["paths"]
    assert paths["/api/v1/rooms"]["post"]["security"] == [{"apiToken": ["rooms:write"]}]
    assert paths["/api/v1/rooms/{slug}/roles"]["get"]["security"] == [{"apiToken": ["rooms:read"]}]
    assert paths["/api/v1/audit/events"]["get"]["security"] == [{"apiToken": ["audit:read"]}]
    transcript = paths["/api/v1/transcripts/{transcript_id}"]
    assert transcript["get"]["security"] == [{"apiToken": ["recordings:read"]}]
    assert transcript["delete"]["security"] == [{"apiToken": ["recordings:write"]}]


@pytest.fixture(scope="module")
def frugal_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A server recording at most 5 refusals per client address per minute."""
    server = start_server(
        tmp_path_factory.mktemp("visio-frugal"), rate_limit_refusals_audited_per_minute="5"
    )
    yield server
    server.stop()


def _refusal_records(server: RunningServer) -> list[tuple[str | None, str]]:
    with sqlite3.connect(server.data_dir / "visio.db") as database:
        return list(
            database.execute(
                "SELECT user_agent, details FROM audit_events WHERE event = 'api_token.refused'"
            )
        )


def test_api_tokens_refusals_are_audited_at_most_n_per_minute_per_client(
    frugal_server: RunningServer,
) -> None:
    """A flood of bogus tokens is refused every time but recorded only up to the limit, and
    each record stays small whatever the request carries."""
    before = len(_refusal_records(frugal_server))
    headers = {"authorization": "Bearer vt_" + "B" * 43, "user-agent": "u" * 10_000}
    with httpx.Client(base_url=frugal_server.url, timeout=10, headers=headers) as flood:
        for _ in range(30):
            assert refusal(flood.get("/api/v1/rooms/abc-defg-hij")) == (401, "invalid_token")
    records = _refusal_records(frugal_server)
    assert len(records) - before == 5
    for user_agent, details in records:
        assert len(user_agent or "") <= 512
        assert len(details) <= 1000


def test_api_tokens_are_not_checked_on_a_path_that_cannot_name_a_room(
    frugal_server: RunningServer,
) -> None:
    """An 8,000-character room code is refused as no room (404) before the token is looked at:
    no database work, no audit record."""
    before = len(_refusal_records(frugal_server))
    headers = {"authorization": "Bearer vt_bogus"}
    with httpx.Client(base_url=frugal_server.url, timeout=10, headers=headers) as program:
        for _ in range(20):
            response = program.get(f"/api/v1/rooms/{'x' * 8000}")
            assert refusal(response) == (404, "invalid_room_link")
    assert len(_refusal_records(frugal_server)) == before
