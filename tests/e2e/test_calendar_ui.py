"""'My calendar' (/meetings/calendar) in a real browser: connect one's calendar (a real Radicale), see a
wrong password explained, then the upcoming Visio meetings read from the calendar."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from playwright.sync_api import expect

from tests.calendars.events import weekly_meeting
from tests.calendars.radicale import USERS, RadicaleServer, start_radicale
from tests.e2e.browser import Participants, screenshot
from tests.e2e.test_axe import axe_violations, open_page
from tests.oidc.provider import TestProvider, visio_with_provider
from tests.support import RunningServer


@pytest.fixture(scope="module")
def radicale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RadicaleServer]:
    server = start_radicale(tmp_path_factory.mktemp("radicale"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def calendar_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[RunningServer, TestProvider]]:
    with visio_with_provider(
        tmp_path_factory.mktemp("visio-calendar-ui"),
        caldav_encryption_key=Fernet.generate_key().decode(),
        caldav_allow_http="true",
        caldav_allow_private="true",
    ) as pair:
        yield pair


def test_my_meetings_connect_a_calendar_and_see_its_meetings(
    participants: Participants,
    calendar_server: tuple[RunningServer, TestProvider],
    radicale: RadicaleServer,
) -> None:
    server, provider = calendar_server
    url = radicale.make_calendar("alice", "ui")
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y%m%d")
    stored = httpx.put(
        f"{url}weekly-ui@visio.ics",
        content=weekly_meeting(
            "weekly-ui@visio",
            summary="Comité de suivi <b>hebdo</b>",
            first_day=tomorrow,
            count=2,
            room_url=f"{server.url}/abc-defg-hij",
            method=None,
        ).encode(),
        headers={"content-type": "text/calendar"},
        auth=("alice", USERS["alice"]),
    )
    assert stored.status_code == 201

    # A context that lets the test inject axe-core despite Visio's CSP.
    person = open_page(participants, f"{server.url}/", "pierre", {"width": 1024, "height": 700})
    page = person.page
    violations: dict[str, list[dict[str, Any]]] = {}
    page.get_by_test_id("login-proconnect").click()
    page.wait_for_url(f"{provider.issuer}/interaction/**")
    page.locator("#login").fill("pierre")
    page.locator("#submit").click()
    page.wait_for_url(f"{server.url}/")
    page.get_by_test_id("account-menu").click()
    page.get_by_role("link", name=re.compile(r"^(My calendar|Mon agenda)$")).click()
    page.wait_for_url(f"{server.url}/meetings/calendar")
    upcoming = page.get_by_test_id("upcoming-meetings")
    expect(upcoming).to_contain_text(re.compile(r"No calendar is connected|Aucun agenda"))
    violations["empty"] = axe_violations(page)

    # A wrong app password: the form says what to check, in the live status region.
    page.get_by_label(re.compile(r"^(Calendar address|Adresse de l'agenda)")).fill(url)
    page.get_by_label(re.compile(r"^(User name|Nom d'utilisateur)$")).fill("alice")
    page.get_by_label(re.compile(r"^(App password|Mot de passe d'application)$")).fill("wrong")
    page.get_by_test_id("calendar-save").click()
    status = page.get_by_test_id("calendar-status")
    expect(status).to_contain_text(re.compile(r"refused the user name or password|a refusé"))
    expect(status).to_have_attribute("aria-live", "polite")
    violations["refused"] = axe_violations(page)

    # The right one: connected, and the meetings of the calendar are listed with a Join link.
    page.get_by_test_id("calendar-password").fill(USERS["alice"])
    page.get_by_test_id("calendar-save").click()
    expect(status).to_contain_text(re.compile(r"Connected|Connecté"))
    expect(page.get_by_test_id("calendar-password")).to_have_value("")
    meetings = page.get_by_test_id("meeting")
    expect(meetings).to_have_count(2)
    expect(meetings.first).to_contain_text("Comité de suivi <b>hebdo</b>")  # text, not markup
    assert page.locator("[data-testid=meeting] b").count() == 0
    expect(meetings.first.get_by_role("link")).to_have_attribute("href", "/abc-defg-hij")
    assert USERS["alice"] not in page.content()
    screenshot(page, "my-calendar.png", full_page=True)
    violations["listed"] = axe_violations(page)

    # In French, and at phone width, nothing overflows.
    page.get_by_role("button", name=re.compile(r"Passer en français")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mon agenda")
    expect(page.get_by_test_id("calendar-settings")).to_contain_text("Votre agenda")
    page.set_viewport_size({"width": 390, "height": 844})
    expect(meetings).to_have_count(2)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "my-calendar-phone.png", full_page=True)
    violations["phone, French"] = axe_violations(page)

    # Disconnecting asks first (Escape keeps it), then forgets it.
    page.get_by_test_id("calendar-disconnect").click()
    dialog = page.get_by_test_id("confirm-dialog")
    expect(dialog).to_contain_text("Délier votre agenda")
    violations["confirm"] = axe_violations(page)
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(meetings).to_have_count(2)
    page.get_by_test_id("calendar-disconnect").click()
    page.get_by_test_id("confirm").click()
    expect(upcoming).to_contain_text("Aucun agenda")
    expect(page.get_by_test_id("calendar-url")).to_have_value("")
    # axe-core: no serious or critical violation in any of these states.
    problems = {where: found for where, found in violations.items() if found}
    assert problems == {}, json.dumps(problems, indent=1)
