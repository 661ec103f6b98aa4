"""Webhooks in the web app at phone width: an owner adds one (the secret shown once verifies
what the receiver gets), sends a test event, reads the delivery log and deletes it."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.auth.conftest import ADMIN_EMAIL
from tests.e2e.browser import Participants, screenshot
from tests.oidc.provider import TestProvider, visio_with_provider
from tests.rooms.people import Browser
from tests.support import RunningServer, wait_until
from tests.webhooks.receiver import Receiver

PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def hooks_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[RunningServer, TestProvider]]:
    with visio_with_provider(
        tmp_path_factory.mktemp("visio-webhooks-ui"),
        admins=ADMIN_EMAIL,
        webhooks_allow_http="true",
        webhooks_allow_private="true",
    ) as pair:
        yield pair


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    yield running
    running.close()


def test_webhooks_ui_add_test_read_the_log_and_delete(
    participants: Participants,
    hooks_server: tuple[RunningServer, TestProvider],
    receiver: Receiver,
) -> None:
    server, provider = hooks_server
    with Browser(server, provider, "pierre") as api:
        slug = api.create_room(name="Comité")

    person = participants.open(f"{server.url}/rooms", "pierre")
    page = person.page
    page.set_viewport_size(PHONE)
    page.get_by_test_id("login-proconnect").click()
    page.wait_for_url(f"{provider.issuer}/interaction/**")
    page.locator("#login").fill("pierre")
    page.locator("#submit").click()
    page.wait_for_url(f"{server.url}/rooms")
    expect(page.get_by_test_id("deployment-webhooks")).to_have_count(0)  # not an administrator

    page.get_by_test_id(f"room-settings-{slug}").click()
    hooks = page.get_by_test_id("webhooks")
    expect(hooks).to_contain_text(re.compile(r"No webhook yet|Aucun webhook"))

    hooks.get_by_test_id("webhook-url").fill(receiver.url("/ui"))
    hooks.get_by_test_id("webhook-description").fill("Registre de présence")
    hooks.get_by_test_id("webhook-event-participant.left").uncheck()
    hooks.get_by_test_id("webhook-add").click()
    secret_box = hooks.get_by_test_id("webhook-secret")
    expect(secret_box).to_have_value(re.compile(r"^whsec_[A-Za-z0-9+/=]{40,}$"))
    secret = secret_box.input_value()
    row = hooks.get_by_test_id("webhook-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Registre de présence")
    expect(row.get_by_test_id("webhook-state")).to_have_text(re.compile(r"^(On|Actif)$"))
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "webhooks-added-390.png", full_page=True)

    row.get_by_test_id("webhook-test").click()
    [request] = wait_until(lambda: receiver.received("/ui"), 30, "no test event arrived")
    assert request.verify(secret)["type"] == "webhook.test"

    row.get_by_test_id("webhook-log-toggle").click()
    log = row.get_by_test_id("webhook-log")

    def delivered() -> bool:
        log.get_by_test_id("webhook-log-refresh").click()
        return log.locator('[data-testid="delivery-row"][data-status="delivered"]').count() == 1

    wait_until(delivered, 30, "the log never showed the delivery")
    expect(log.get_by_test_id("delivery-row")).to_contain_text("HTTP 200")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "webhooks-log-390.png", full_page=True)

    # Reloading the page never shows the secret again.
    page.reload()
    page.get_by_test_id(f"room-settings-{slug}").click()
    expect(page.get_by_test_id("webhook-row")).to_have_count(1)
    expect(page.get_by_test_id("webhook-secret")).to_have_count(0)
    assert secret not in page.content()

    page.get_by_test_id("webhook-delete").click()
    page.get_by_test_id("confirm-dialog").get_by_test_id("confirm").click()
    expect(page.get_by_test_id("webhook-row")).to_have_count(0)
    with Browser(server, provider, "pierre") as api:
        assert api.http.get(f"/api/v1/rooms/{slug}/webhooks").json()["webhooks"] == []


def test_webhooks_ui_administrators_manage_the_deployment_ones(
    participants: Participants, hooks_server: tuple[RunningServer, TestProvider]
) -> None:
    server, provider = hooks_server
    person = participants.open(f"{server.url}/rooms", "admin")
    page = person.page
    page.set_viewport_size(PHONE)
    page.get_by_test_id("login-proconnect").click()
    page.wait_for_url(f"{provider.issuer}/interaction/**")
    page.locator("#login").fill("admin")
    page.locator("#submit").click()
    page.wait_for_url(f"{server.url}/rooms")
    deployment = page.get_by_test_id("deployment-webhooks")
    expect(deployment).to_contain_text(re.compile(r"Webhooks for every room|Webhooks pour toutes"))
    deployment.get_by_test_id("webhook-url").fill("http://169.254.169.254/latest/meta-data/")
    deployment.get_by_test_id("webhook-add").click()
    expect(deployment.get_by_role("alert")).to_contain_text(
        re.compile(r"public addresses only|adresses publiques")
    )
    expect(deployment.get_by_test_id("webhook-row")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "webhooks-deployment-refused-390.png", full_page=True)
