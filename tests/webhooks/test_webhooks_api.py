"""Who may manage webhooks, through the browser (CSRF) and API tokens (webhooks:write), and
what the API accepts and records."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.oidc.provider import TestProvider
from tests.rooms.people import Browser
from tests.support import RunningServer
from tests.webhooks.receiver import Receiver

EVENTS = ["participant.joined"]


def hooks(slug: str | None) -> str:
    return f"/api/v1/rooms/{slug}/webhooks" if slug else "/api/v1/webhooks"


def create(browser: Browser | httpx.Client, slug: str | None, url: str) -> httpx.Response:
    client = browser.http if isinstance(browser, Browser) else browser
    return client.post(hooks(slug), json={"url": url, "event_types": EVENTS})


@pytest.fixture
def guest(webhook_server: tuple[RunningServer, TestProvider]) -> Iterator[Browser]:
    with Browser(*webhook_server, None) as browser:
        yield browser


def test_webhooks_room_owner_manages_them_from_creation_to_deletion(
    people: dict[str, Browser], receiver: Receiver
) -> None:
    """Create (secret shown once), list (no secret), change, turn off, delete."""
    pierre = people["pierre"]
    slug = pierre.create_room()
    created = create(pierre, slug, receiver.url("/crud"))
    assert created.status_code == 201
    endpoint = created.json()
    assert endpoint["event_types"] == EVENTS and endpoint["enabled"] is True
    listed = pierre.http.get(hooks(slug)).json()
    assert [w["id"] for w in listed["webhooks"]] == [endpoint["id"]]
    assert "secret" not in listed["webhooks"][0]
    assert "recording.ready" in listed["event_types"]
    changed = pierre.http.patch(
        f"{hooks(slug)}/{endpoint['id']}",
        json={
            "event_types": ["meeting.ended", "meeting.started"],
            "description": "CRM",
            "enabled": False,
        },
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["event_types"] == ["meeting.started", "meeting.ended"]
    assert changed.json()["description"] == "CRM" and changed.json()["enabled"] is False
    assert pierre.http.delete(f"{hooks(slug)}/{endpoint['id']}").status_code == 204
    assert pierre.http.get(hooks(slug)).json()["webhooks"] == []
    assert pierre.http.post(f"{hooks(slug)}/{endpoint['id']}/test").status_code == 404


def test_webhooks_are_refused_to_guests_and_people_without_a_role(
    people: dict[str, Browser], guest: Browser, receiver: Receiver
) -> None:
    """Not signed in: 401; signed in without a role, or as a member: 403; for every route."""
    pierre, marie = people["pierre"], people["marie"]
    slug = pierre.create_room()
    endpoint = create(pierre, slug, receiver.url("/refused")).json()
    one = f"{hooks(slug)}/{endpoint['id']}"
    routes = [
        ("GET", hooks(slug)),
        ("POST", hooks(slug)),
        ("PATCH", one),
        ("DELETE", one),
        ("POST", f"{one}/secret"),
        ("POST", f"{one}/test"),
        ("GET", f"{one}/deliveries"),
    ]
    body = {"url": receiver.url("/refused"), "event_types": EVENTS}
    for method, path in routes:
        payload = body if path == hooks(slug) and method == "POST" else {}
        assert guest.http.request(method, path, json=payload).status_code == 401, path
        refused = marie.http.request(method, path, json=payload)
        assert refused.status_code == 403, path
        assert refused.json()["error"]["code"] == "forbidden"
    marie_id = marie.http.get("/api/v1/me").json()["user"]["id"]
    pierre.http.put(f"/api/v1/rooms/{slug}/roles/{marie_id}", json={"role": "member"})
    assert marie.http.get(hooks(slug)).status_code == 403
    pierre.http.put(f"/api/v1/rooms/{slug}/roles/{marie_id}", json={"role": "administrator"})
    assert marie.http.get(hooks(slug)).status_code == 200
    assert [w["id"] for w in pierre.http.get(hooks(slug)).json()["webhooks"]] == [endpoint["id"]]


def test_webhooks_of_one_room_cannot_be_reached_through_another(
    people: dict[str, Browser], receiver: Receiver
) -> None:
    """Marie owns a room of her own: pierre's endpoint is not found under it."""
    pierre, marie = people["pierre"], people["marie"]
    endpoint = create(pierre, pierre.create_room(), receiver.url("/other")).json()
    hers = marie.create_room()
    for method, suffix in [
        ("PATCH", ""),
        ("DELETE", ""),
        ("POST", "/test"),
        ("GET", "/deliveries"),
    ]:
        response = marie.http.request(
            method, f"{hooks(hers)}/{endpoint['id']}{suffix}", json={"enabled": False}
        )
        assert response.status_code == 404, (method, suffix)
        assert response.json()["error"]["code"] == "webhook_not_found"
    deployment = people["admin"].http.get(f"{hooks(None)}/{endpoint['id']}/deliveries")
    assert deployment.status_code == 404


def test_webhooks_of_the_deployment_are_for_administrators(
    people: dict[str, Browser], guest: Browser, receiver: Receiver
) -> None:
    admin, pierre = people["admin"], people["pierre"]
    assert guest.http.get(hooks(None)).status_code == 401
    refused = create(pierre, None, receiver.url("/deployment"))
    assert refused.status_code == 403
    assert "administrators" in refused.json()["error"]["message"]
    created = create(admin, None, receiver.url("/deployment"))
    assert created.status_code == 201
    assert [w["id"] for w in admin.http.get(hooks(None)).json()["webhooks"]] == [
        created.json()["id"]
    ]
    assert admin.http.delete(f"{hooks(None)}/{created.json()['id']}").status_code == 204


def test_webhooks_changes_need_the_csrf_token(
    people: dict[str, Browser],
    webhook_server: tuple[RunningServer, TestProvider],
    receiver: Receiver,
) -> None:
    pierre = people["pierre"]
    slug = pierre.create_room()
    response = httpx.post(
        f"{webhook_server[0].url}{hooks(slug)}",
        json={"url": receiver.url("/csrf"), "event_types": EVENTS},
        cookies=pierre.http.cookies,
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "csrf_failed"


def test_webhooks_api_tokens_need_the_webhooks_write_scope(
    people: dict[str, Browser],
    webhook_server: tuple[RunningServer, TestProvider],
    receiver: Receiver,
) -> None:
    pierre = people["pierre"]
    slug = pierre.create_room()

    def token(*scopes: str) -> httpx.Client:
        made = pierre.http.post("/api/v1/tokens", json={"name": "crm", "scopes": list(scopes)})
        assert made.status_code == 201, made.text
        return httpx.Client(
            base_url=webhook_server[0].url,
            headers={"Authorization": f"Bearer {made.json()['secret']}"},
            timeout=15,
        )

    with token("rooms:read", "rooms:write") as without, token("webhooks:write") as with_scope:
        refused = create(without, slug, receiver.url("/token"))
        assert refused.status_code == 403
        assert "webhooks:write" in refused.json()["error"]["message"]
        assert create(with_scope, slug, receiver.url("/token")).status_code == 201
        assert len(with_scope.get(hooks(slug)).json()["webhooks"]) == 1


def test_webhooks_a_room_has_a_limited_number_of_endpoints(
    people: dict[str, Browser], receiver: Receiver
) -> None:
    """VISIO_WEBHOOKS_MAX_ENDPOINTS is 3 in these tests: the fourth is refused."""
    pierre = people["pierre"]
    slug = pierre.create_room()
    for index in range(3):
        assert create(pierre, slug, receiver.url(f"/limit/{index}")).status_code == 201
    refused = create(pierre, slug, receiver.url("/limit/3"))
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "too_many_webhooks"


@pytest.mark.parametrize(
    "body",
    [
        {"url": "https://example.org/h", "event_types": []},
        {"url": "https://example.org/h", "event_types": ["meeting.exploded"]},
        {"url": "https://example.org/h", "event_types": ["meeting.started"], "secret": "mine"},
        {"url": ["https://example.org/h"], "event_types": ["meeting.started"]},
        {
            "url": "https://example.org/h",
            "event_types": ["meeting.started"],
            "description": "a\u202eb",
        },
    ],
)
def test_webhooks_invalid_bodies_are_refused(
    people: dict[str, Browser], body: dict[str, Any]
) -> None:
    """No event, an unknown one, a secret of one's own, a URL that is not a string, a
    description with a bidirectional override: 422, nothing stored."""
    pierre = people["pierre"]
    slug = pierre.create_room()
    response = pierre.http.post(hooks(slug), json=body)
    assert response.status_code == 422, response.text
    assert pierre.http.get(hooks(slug)).json()["webhooks"] == []


def test_webhooks_changes_and_refusals_are_audited_without_secrets(
    people: dict[str, Browser], receiver: Receiver
) -> None:
    pierre, marie, admin = people["pierre"], people["marie"], people["admin"]
    slug = pierre.create_room()
    created = create(pierre, slug, receiver.url("/audited")).json()
    rotated = pierre.http.post(f"{hooks(slug)}/{created['id']}/secret").json()
    pierre.http.post(f"{hooks(slug)}/{created['id']}/test")
    marie.http.delete(f"{hooks(slug)}/{created['id']}")
    events = admin.http.get("/api/v1/audit/events", params={"limit": 1000}).json()["events"]
    mine = [e for e in events if e["target"] == slug and e["event"].startswith("webhook.")]
    assert [(e["event"], e["outcome"]) for e in mine] == [
        ("webhook.created", "success"),
        ("webhook.secret_rotated", "success"),
        ("webhook.test_sent", "success"),
        ("webhook.deleted", "failure"),
    ]
    assert mine[0]["details"]["url"] == receiver.url("/audited")
    text = json.dumps(events)
    assert created["secret"] not in text and rotated["secret"] not in text
