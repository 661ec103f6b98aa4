"""Signing in with "Log in with ProConnect" in a real browser, through a real OIDC provider."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import Participants
from tests.oidc.provider import TestProvider, visio_with_provider
from tests.support import RunningServer

SCREENSHOTS = Path("test-artifacts") / "signin"


@pytest.fixture(scope="module")
def signin_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[RunningServer, TestProvider]]:
    with visio_with_provider(tmp_path_factory.mktemp("visio-signin")) as pair:
        yield pair


def test_signin_through_the_browser_then_join_under_own_name_then_logout(
    participants: Participants, signin_server: tuple[RunningServer, TestProvider]
) -> None:
    """Home → ProConnect's form → signed in with a menu → pre-join prefilled → logout."""
    server, provider = signin_server
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    person = participants.open(f"{server.url}/", "pierre")
    page = person.page

    login = page.get_by_role(
        "link", name=re.compile(r"^(Log in with|Se connecter avec) ProConnect$")
    )
    expect(login).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "1-home-guest.png"))
    login.click()

    page.wait_for_url(f"{provider.issuer}/interaction/**")
    page.locator("#login").fill("pierre")
    page.locator("#submit").click()

    page.wait_for_url(f"{server.url}/")
    expect(page.get_by_test_id("account-name")).to_have_text("Pierre Dupont")
    page.get_by_test_id("account-menu").click()
    expect(page.get_by_test_id("account-menu")).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_text("pierre.dupont@interieur.gouv.fr")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "2-home-signed-in-menu.png"))
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("account-menu")).to_be_focused()

    page.get_by_test_id("new-meeting").click()
    expect(page.get_by_test_id("name-input")).to_have_value("Pierre Dupont")
    page.screenshot(path=str(SCREENSHOTS / "3-prejoin-prefilled.png"))
    page.get_by_test_id("join").click()
    page.wait_for_function("() => !!window.visio?.session?.participantId")

    page.goto(f"{server.url}/")
    page.get_by_test_id("account-menu").click()
    page.get_by_test_id("logout").click()
    page.wait_for_url(f"{server.url}/**")
    expect(page.get_by_test_id("signin-notice")).to_be_visible()
    expect(page.get_by_test_id("login-proconnect")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "4-signed-out.png"))
    assert not [c for c in page.context.cookies() if c["name"] == "visio_session"]
