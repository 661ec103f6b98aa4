"""The SSRF guard as webhooks use it: public addresses only, at registration and at delivery,
unless the operator allows private ones (which addresses the shared guard refuses, in every
form, is tested in tests/edge/test_outbound_guard.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.auth.conftest import ADMIN_EMAIL
from tests.oidc.provider import TestProvider, visio_with_provider
from tests.rooms.people import Browser
from tests.support import RunningServer, wait_until
from tests.webhooks.receiver import Receiver


@pytest.fixture(scope="module")
def guarded_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[RunningServer, TestProvider]]:
    """Visio with the defaults: https only, public addresses only."""
    with visio_with_provider(tmp_path_factory.mktemp("visio-guarded"), admins=ADMIN_EMAIL) as pair:
        yield pair


@pytest.fixture(scope="module")
def owner(guarded_server: tuple[RunningServer, TestProvider]) -> Iterator[tuple[Browser, str]]:
    """Pierre, signed in to the guarded server, and a room of his."""
    with Browser(*guarded_server, "pierre") as pierre:
        yield pierre, pierre.create_room()


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://[::1]/hook",
        "https://10.0.0.7/hook",
        "https://192.168.0.1:8443/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::ffff:127.0.0.1]/hook",
        "https://[fd12:3456::1]/hook",
        "https://localhost/hook",
        "https://2130706433/hook",
        "https://0177.0.0.1/hook",
        "https://0x7f.0.0.1/hook",
    ],
)
def test_webhooks_registration_refuses_private_addresses(
    owner: tuple[Browser, str], url: str
) -> None:
    """An owner cannot point a webhook at loopback, private or metadata addresses."""
    pierre, slug = owner
    response = pierre.http.post(
        f"/api/v1/rooms/{slug}/webhooks", json={"url": url, "event_types": ["meeting.started"]}
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "webhook_address_refused"
    assert pierre.http.get(f"/api/v1/rooms/{slug}/webhooks").json()["webhooks"] == []


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://example.org/hook", "https://"),
        ("https://user:secret@example.org/hook", "no user or password"),
        ("ftp://example.org/hook", "https://"),
        ("https:///hook", "names a host"),
        ("https://example.org/ho ok", "no blank"),
        ("https://example.org/" + "a" * 2000, "at most 2000 characters"),
    ],
)
def test_webhooks_registration_refuses_urls_that_are_not_plain_https(
    owner: tuple[Browser, str], url: str, why: str
) -> None:
    pierre, slug = owner
    response = pierre.http.post(
        f"/api/v1/rooms/{slug}/webhooks", json={"url": url, "event_types": ["meeting.started"]}
    )
    assert response.status_code == 422, response.text
    assert why in response.json()["error"]["message"]


def test_webhooks_delivery_is_refused_when_the_address_is_no_longer_allowed(
    tmp_path: Path, receiver: Receiver
) -> None:
    """Checked again at each delivery: an endpoint on loopback registered while the operator
    allowed it gets nothing once the override is gone, and the log says why."""
    with visio_with_provider(
        tmp_path / "visio",
        webhooks_allow_http="true",
        webhooks_allow_private="true",
        webhooks_max_attempts="1",
    ) as (server, provider):
        with Browser(server, provider, "pierre") as pierre:
            slug = pierre.create_room()
            created = pierre.http.post(
                f"/api/v1/rooms/{slug}/webhooks",
                json={"url": receiver.url("/rebound"), "event_types": ["meeting.started"]},
            ).json()
        server.env["VISIO_WEBHOOKS_ALLOW_PRIVATE"] = "false"
        server.restart()
        with Browser(server, provider, "pierre") as pierre:
            hooks = f"/api/v1/rooms/{slug}/webhooks/{created['id']}"
            assert pierre.http.post(f"{hooks}/test").status_code == 202
            [delivery] = wait_until(
                lambda: [
                    d
                    for d in pierre.http.get(f"{hooks}/deliveries").json()["deliveries"]
                    if d["status"] == "failed"
                ],
                30,
                "the delivery was not refused",
            )
    [attempt] = delivery["attempts"]
    assert attempt["status_code"] is None
    assert "127.0.0.1 is a loopback address" in attempt["error"]
    assert receiver.received("/rebound") == []
