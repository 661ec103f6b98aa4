"""The audit trail over REST: administrators read and export it; nobody can change it."""

from __future__ import annotations

import json

import httpx

from tests.auth.signin import me, sign_in
from tests.oidc.provider import TestProvider
from tests.support import RunningServer


def test_api_audit_records_sign_ins_with_who_when_and_where(
    server: RunningServer, provider: TestProvider
) -> None:
    """A sign-in is recorded with the user, the provider, the time, the IP and the browser."""
    with httpx.Client(headers={"user-agent": "Firefox/140 (test)"}) as client:
        sign_in(client, server, provider, "pierre")
        user_id = me(client, server).json()["user"]["id"]
    with httpx.Client() as admin:
        sign_in(admin, server, provider, "admin")
        events = admin.get(
            f"{server.url}/api/v1/audit/events",
            params={"event": "auth.login", "actor_user_id": user_id},
        ).json()["events"]
    login = events[-1]
    assert login["outcome"] == "success"
    assert login["actor"] == "pierre.dupont@interieur.gouv.fr"
    assert login["provider"] == "proconnect"
    assert login["ip"] == "127.0.0.1"
    assert login["user_agent"] == "Firefox/140 (test)"
    assert login["details"]["acr"] == "eidas1"
    assert login["occurred_at"]


def test_api_audit_is_for_administrators_only(
    server: RunningServer, provider: TestProvider
) -> None:
    """Anonymous callers get 401, signed-in non-administrators 403."""
    assert httpx.get(f"{server.url}/api/v1/audit/events").status_code == 401
    assert httpx.get(f"{server.url}/api/v1/audit/export").status_code == 401
    with httpx.Client() as client:
        sign_in(client, server, provider, "marie")
        for path in ("/api/v1/audit/events", "/api/v1/audit/export"):
            response = client.get(f"{server.url}{path}")
            assert response.status_code == 403
            assert response.json()["error"]["code"] == "not_an_administrator"


def test_api_audit_export_is_json_lines_and_is_itself_audited(
    server: RunningServer, provider: TestProvider
) -> None:
    """The export is one JSON object per line; exporting leaves a trace."""
    with httpx.Client() as admin:
        sign_in(admin, server, provider, "admin")
        response = admin.get(f"{server.url}/api/v1/audit/export")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/jsonl")
    assert "attachment" in response.headers["content-disposition"]
    events = [json.loads(line) for line in response.text.splitlines()]
    assert [e["id"] for e in events] == sorted(e["id"] for e in events)
    assert events[-1]["event"] == "audit.exported"
    assert events[-1]["actor"] == "rssi@numerique.gouv.fr"


def test_api_audit_events_cannot_be_changed_or_deleted(
    server: RunningServer, provider: TestProvider
) -> None:
    """No method other than GET exists on the trail, even for an administrator."""
    with httpx.Client() as admin:
        sign_in(admin, server, provider, "admin")
        csrf = me(admin, server).json()["csrf_token"]
        first = admin.get(f"{server.url}/api/v1/audit/events", params={"limit": 1}).json()
        event_id = first["events"][0]["id"]
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            for path in ("/api/v1/audit/events", f"/api/v1/audit/events/{event_id}"):
                response = admin.request(
                    method, f"{server.url}{path}", headers={"x-csrf-token": csrf}, json={}
                )
                assert response.status_code in (404, 405), (method, path)
        again = admin.get(f"{server.url}/api/v1/audit/events", params={"limit": 1}).json()
    assert again["events"][0] == first["events"][0]


def test_api_audit_is_in_the_openapi_description(server: RunningServer) -> None:
    """Integrators find the audit routes (read-only) in the OpenAPI description."""
    paths = httpx.get(f"{server.url}/api/v1/openapi.json").json()["paths"]
    assert set(paths["/api/v1/audit/events"]) == {"get"}
    assert set(paths["/api/v1/audit/export"]) == {"get"}
    assert "/api/v1/me" in paths
