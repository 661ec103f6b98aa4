"""Delivering webhooks to a real receiver: signatures, retries with back-off, order, a real
meeting's events, and a queue that outlives a restart."""

from __future__ import annotations

import json
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from tests.oidc.provider import TestProvider
from tests.rooms.people import Browser
from tests.support import RunningServer, wait_until
from tests.webhooks.receiver import Receiver

MEETING_EVENTS = ["meeting.started", "meeting.ended", "participant.joined", "participant.left"]


def register(
    browser: Browser, slug: str | None, url: str, events: list[str] | None = None
) -> dict[str, Any]:
    path = f"/api/v1/rooms/{slug}/webhooks" if slug else "/api/v1/webhooks"
    response = browser.http.post(path, json={"url": url, "event_types": events or MEETING_EVENTS})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def log(browser: Browser, slug: str, webhook_id: int) -> list[dict[str, Any]]:
    response = browser.http.get(f"/api/v1/rooms/{slug}/webhooks/{webhook_id}/deliveries")
    assert response.status_code == 200, response.text
    deliveries: list[dict[str, Any]] = response.json()["deliveries"]
    return deliveries


def test_webhooks_test_event_is_signed_as_standard_webhooks_describes(
    people: dict[str, Browser], receiver: Receiver, hook_path: str
) -> None:
    """The test event arrives with webhook-id, -timestamp and -signature that the Standard
    Webhooks library accepts under the secret shown at creation, and no other secret."""
    pierre = people["pierre"]
    slug = pierre.create_room(name="Point hebdo")
    created = register(pierre, slug, receiver.url(hook_path))
    assert created["secret"].startswith("whsec_")
    assert (
        pierre.http.post(f"/api/v1/rooms/{slug}/webhooks/{created['id']}/test").status_code == 202
    )
    [request] = wait_until(lambda: receiver.received(hook_path), 30, "no test event arrived")
    event = request.verify(created["secret"])
    assert event["type"] == "webhook.test"
    assert event["data"] == {
        "room": {"slug": slug, "name": "Point hebdo"},
        "endpoint_id": created["id"],
    }
    assert request.headers["webhook-id"].startswith("msg_")
    assert request.headers["content-type"] == "application/json"
    other = Webhook("whsec_" + "A" * 43 + "=")
    with pytest.raises(WebhookVerificationError):
        other.verify(request.body, request.headers)
    tampered = request.body.replace(b"webhook.test", b"webhook.tesT")
    with pytest.raises(WebhookVerificationError):
        Webhook(created["secret"]).verify(tampered, request.headers)
    assert created["secret"] not in json.dumps(
        pierre.http.get(f"/api/v1/rooms/{slug}/webhooks").json()
    )


def test_webhooks_failed_deliveries_are_retried_with_back_off(
    people: dict[str, Browser], receiver: Receiver, hook_path: str
) -> None:
    """A receiver that answers 500 twice then 200 gets the same message three times, the second
    wait longer than the first, and the log shows the three attempts."""
    pierre = people["pierre"]
    slug = pierre.create_room()
    created = register(pierre, slug, receiver.url(hook_path))
    receiver.answer(hook_path, 500, 500)
    pierre.http.post(f"/api/v1/rooms/{slug}/webhooks/{created['id']}/test")
    requests = wait_until(
        lambda: (got := receiver.received(hook_path)) and len(got) >= 3 and got,
        60,
        lambda: f"{len(receiver.received(hook_path))} of 3 attempts arrived",
    )
    assert [r.answered for r in requests] == [500, 500, 200]
    assert len({r.headers["webhook-id"] for r in requests}) == 1
    first_wait, second_wait = requests[1].at - requests[0].at, requests[2].at - requests[1].at
    # Scaled by 0.01: 5 s and 30 s become 50 ms and 300 ms, give or take 20 % of jitter.
    assert first_wait >= 0.04
    assert second_wait >= 0.24
    assert second_wait > first_wait
    for request in requests:
        request.verify(created["secret"])  # signed afresh at each attempt
    delivery = wait_until(
        lambda: (
            (found := log(pierre, slug, created["id"]))
            and found[0]["status"] == "delivered"
            and found[0]
        ),
        30,
        "the log does not show the delivery as delivered",
    )
    assert [a["status_code"] for a in delivery["attempts"]] == [500, 500, 200]
    assert [a["error"] for a in delivery["attempts"]] == ["HTTP 500", "HTTP 500", None]


def test_webhooks_give_up_after_the_last_attempt_and_show_the_endpoint_failing(
    people: dict[str, Browser], receiver: Receiver, hook_path: str
) -> None:
    """After VISIO_WEBHOOKS_MAX_ATTEMPTS (4 here) failures the delivery is marked failed."""
    pierre = people["pierre"]
    slug = pierre.create_room()
    created = register(pierre, slug, receiver.url(hook_path))
    receiver.answer(hook_path, *[503] * 10)
    pierre.http.post(f"/api/v1/rooms/{slug}/webhooks/{created['id']}/test")
    delivery = wait_until(
        lambda: (
            (found := log(pierre, slug, created["id"]))
            and found[0]["status"] == "failed"
            and found[0]
        ),
        60,
        "the delivery was not given up",
    )
    assert len(delivery["attempts"]) == 4
    assert len(receiver.received(hook_path)) == 4
    [endpoint] = pierre.http.get(f"/api/v1/rooms/{slug}/webhooks").json()["webhooks"]
    assert endpoint["consecutive_failures"] == 4
    assert endpoint["last_failure_at"] is not None


def test_webhooks_redirects_are_not_followed(
    people: dict[str, Browser], receiver: Receiver, hook_path: str
) -> None:
    """A 302 is a failed attempt, logged as such; Visio never requests the Location."""
    pierre = people["pierre"]
    slug = pierre.create_room()
    created = register(pierre, slug, receiver.url(hook_path))
    receiver.answer(hook_path, 302)
    receiver.redirect(hook_path, receiver.url("/elsewhere"))
    pierre.http.post(f"/api/v1/rooms/{slug}/webhooks/{created['id']}/test")
    delivery = wait_until(
        lambda: (
            (found := log(pierre, slug, created["id"]))
            and found[0]["status"] == "delivered"
            and found[0]
        ),
        30,
        "not delivered after the redirect",
    )
    first = delivery["attempts"][0]
    assert first["status_code"] == 302
    assert "redirects are not followed" in first["error"]
    assert receiver.received("/elsewhere") == []
    assert [r.answered for r in receiver.received(hook_path)] == [302, 200]


def test_webhooks_arrive_in_order_even_when_one_needs_retrying(
    people: dict[str, Browser], receiver: Receiver, hook_path: str
) -> None:
    """One endpoint gets one delivery at a time: events queued behind a failing one wait for
    it, so the receiver sees them in the order they happened."""
    pierre = people["pierre"]
    slug = pierre.create_room()
    created = register(pierre, slug, receiver.url(hook_path))
    receiver.answer(hook_path, 500, 500)
    for _ in range(5):
        assert (
            pierre.http.post(f"/api/v1/rooms/{slug}/webhooks/{created['id']}/test").status_code
            == 202
        )
    wait_until(
        lambda: len([r for r in receiver.received(hook_path) if r.answered == 200]) == 5,
        60,
        "five test events did not all arrive",
    )
    requests = receiver.received(hook_path)
    delivered = [r.headers["webhook-id"] for r in requests if r.answered == 200]
    sent_order = list(dict.fromkeys(r.headers["webhook-id"] for r in requests))
    assert delivered == sent_order
    queued_order = [d["message_id"] for d in reversed(log(pierre, slug, created["id"]))]
    assert delivered == queued_order


def test_webhooks_tell_a_real_meeting_from_start_to_end(
    people: dict[str, Browser],
    webhook_server: tuple[RunningServer, TestProvider],
    receiver: Receiver,
    hook_path: str,
) -> None:
    """Pierre and a guest meet and leave: the endpoint gets meeting.started, both joins, both
    departures and meeting.ended, with names and sign-in status but no address."""
    pierre = people["pierre"]
    slug = pierre.create_room(name="Comité")
    created = register(pierre, slug, receiver.url(hook_path))
    server, provider = webhook_server
    with Browser(server, provider, None) as guest:
        host = pierre.socket(slug)
        assert host.join("Pierre")["type"] == "joined"
        visitor = guest.socket(slug)
        assert visitor.join("Invitée")["type"] == "joined"
        visitor.send(type="leave")
        host.expect("participant.left")
        visitor.close()
        host.close()
    requests = wait_until(
        lambda: (got := receiver.received(hook_path)) and len(got) >= 6 and got,
        60,
        lambda: f"{[r.body[:40] for r in receiver.received(hook_path)]} arrived",
    )
    events = [r.verify(created["secret"]) for r in requests]
    assert [e["type"] for e in events] == [
        "meeting.started",
        "participant.joined",
        "participant.joined",
        "participant.left",
        "participant.left",
        "meeting.ended",
    ]
    assert len({e["data"]["meeting_id"] for e in events}) == 1
    assert all(e["data"]["room"] == {"slug": slug, "name": "Comité"} for e in events)
    me = pierre.http.get("/api/v1/me").json()
    pierre_in, guest_in = events[1]["data"]["participant"], events[2]["data"]["participant"]
    assert pierre_in["name"] == "Pierre" and pierre_in["signed_in"] is True
    assert pierre_in["user_id"] == me["user"]["id"]
    assert guest_in == {
        "id": guest_in["id"],
        "name": "Invitée",
        "signed_in": False,
        "user_id": None,
    }
    assert events[3]["data"]["participant"]["id"] == guest_in["id"]
    assert events[3]["data"]["reason"] == "left"
    assert events[4]["data"]["reason"] == "disconnected"  # pierre closed his tab
    assert events[5]["data"]["duration_s"] >= 0
    assert b"127.0.0.1" not in b"".join(r.body for r in requests)


def test_webhooks_deployment_endpoints_hear_every_room(
    people: dict[str, Browser], receiver: Receiver, hook_path: str
) -> None:
    """An administrator's deployment-wide endpoint gets the events of any room."""
    admin, marie = people["admin"], people["marie"]
    created = register(admin, None, receiver.url(hook_path), ["meeting.started"])
    slug = marie.create_room()
    socket = marie.socket(slug)
    assert socket.join("Marie")["type"] == "joined"
    socket.close()
    [request] = wait_until(lambda: receiver.received(hook_path), 30, "nothing arrived")
    event = request.verify(created["secret"])
    assert event["type"] == "meeting.started"
    assert event["data"]["room"]["slug"] == slug
    assert admin.http.delete(f"/api/v1/webhooks/{created['id']}").status_code == 204


def test_webhooks_rotating_the_secret_signs_with_the_new_one(
    people: dict[str, Browser], receiver: Receiver, hook_path: str
) -> None:
    """After rotation, events verify with the new secret and no longer with the old one."""
    pierre = people["pierre"]
    slug = pierre.create_room()
    created = register(pierre, slug, receiver.url(hook_path))
    rotated = pierre.http.post(f"/api/v1/rooms/{slug}/webhooks/{created['id']}/secret")
    assert rotated.status_code == 200
    secret = rotated.json()["secret"]
    assert secret != created["secret"]
    pierre.http.post(f"/api/v1/rooms/{slug}/webhooks/{created['id']}/test")
    [request] = wait_until(lambda: receiver.received(hook_path), 30, "nothing arrived")
    request.verify(secret)
    with pytest.raises(WebhookVerificationError):
        request.verify(created["secret"])


def test_webhooks_redeliver_sends_the_same_message_again(
    people: dict[str, Browser], receiver: Receiver, hook_path: str
) -> None:
    """Redelivering a logged delivery sends it again with the same webhook-id."""
    pierre = people["pierre"]
    slug = pierre.create_room()
    created = register(pierre, slug, receiver.url(hook_path))
    pierre.http.post(f"/api/v1/rooms/{slug}/webhooks/{created['id']}/test")
    wait_until(lambda: receiver.received(hook_path), 30, "nothing arrived")
    delivery = wait_until(
        lambda: (
            (found := log(pierre, slug, created["id"]))
            and found[0]["status"] == "delivered"
            and found[0]
        ),
        30,
        "not logged as delivered",
    )
    again = pierre.http.post(
        f"/api/v1/rooms/{slug}/webhooks/{created['id']}/deliveries/{delivery['id']}/redeliver"
    )
    assert again.status_code == 202
    first, second = wait_until(
        lambda: (got := receiver.received(hook_path)) and len(got) == 2 and got, 30, "not resent"
    )
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.body == second.body


def test_webhooks_queued_delivery_survives_a_restart(
    people: dict[str, Browser],
    webhook_server: tuple[RunningServer, TestProvider],
    receiver: Receiver,
    hook_path: str,
) -> None:
    """A delivery queued for a turned-off endpoint waits in the database through a restart,
    and goes out once the endpoint is turned back on."""
    server, provider = webhook_server
    pierre = people["pierre"]
    slug = pierre.create_room()
    created = register(pierre, slug, receiver.url(hook_path))
    hooks = f"/api/v1/rooms/{slug}/webhooks/{created['id']}"
    assert pierre.http.patch(hooks, json={"enabled": False}).status_code == 200
    assert pierre.http.post(f"{hooks}/test").status_code == 202
    [queued] = log(pierre, slug, created["id"])
    assert queued["status"] == "pending" and queued["attempts"] == []
    server.restart()
    with Browser(server, provider, "pierre") as again:  # sessions are stored: a fresh one is fine
        assert receiver.received(hook_path) == []
        assert again.http.patch(hooks, json={"enabled": True}).status_code == 200
        [request] = wait_until(lambda: receiver.received(hook_path), 30, "nothing arrived")
        assert request.headers["webhook-id"] == queued["message_id"]
        request.verify(created["secret"])
