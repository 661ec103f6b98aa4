"""'My calendar' (/meetings/calendar) and 'My meetings' (/meetings) in a real browser: connect one's
calendar (a real Radicale), see a wrong password explained, then My meetings listing the calendar's
Visio meetings with those scheduled in Visio (the one Visio wrote into the calendar once, a
cancelled one marked), and still Visio's own with a notice when the calendar server is down."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from cryptography.fernet import Fernet
from playwright.sync_api import Page, expect

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


def _schedule(
    page: Page,
    server: RunningServer,
    csrf: str,
    title: str,
    hour: int,
    recurrence: dict[str, object] | None,
) -> str:
    """Schedule a meeting in Visio tomorrow at ``hour`` (Paris) as the signed-in person."""
    tomorrow = datetime.now(ZoneInfo("Europe/Paris")) + timedelta(days=1)
    created = page.request.post(
        f"{server.url}/api/v1/meetings",
        headers={"X-CSRF-Token": csrf},
        data={
            "title": title,
            "start": tomorrow.strftime(f"%Y-%m-%dT{hour:02d}:00"),
            "time_zone": "Europe/Paris",
            "duration_minutes": 30,
            "recurrence": recurrence,
            "attendees": [{"email": "anne.martin@example.fr"}],
        },
    )
    assert created.status == 201, created.text()
    meeting_id: str = created.json()["id"]
    return meeting_id


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
    settings = page.get_by_test_id("calendar-settings")
    expect(settings).to_contain_text(re.compile(r"Connect a calendar|Reliez un agenda"))
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

    # The right one: connected; its meetings are listed in My meetings, with Visio's own.
    page.get_by_test_id("calendar-password").fill(USERS["alice"])
    page.get_by_test_id("calendar-save").click()
    expect(status).to_contain_text(re.compile(r"Connected|Connecté"))
    expect(page.get_by_test_id("calendar-password")).to_have_value("")
    assert USERS["alice"] not in page.content()
    csrf = page.request.get(f"{server.url}/api/v1/me").json()["csrf_token"]
    daily = _schedule(
        page, server, csrf, "Revue quotidienne", 9, {"frequency": "daily", "count": 2}
    )
    dropped = _schedule(page, server, csrf, "Réunion annulée", 11, None)
    cancelled = page.request.delete(
        f"{server.url}/api/v1/meetings/{dropped}", headers={"X-CSRF-Token": csrf}
    )
    assert cancelled.status == 204
    page.get_by_test_id("calendar-meetings-moved").get_by_role("link").click()
    page.wait_for_url(f"{server.url}/meetings")
    rows = page.get_by_test_id("occurrence")
    # Visio's daily meeting is in the calendar too, and listed once per day all the same.
    expect(rows).to_have_count(5)
    listed = [
        (row.get_attribute("data-source"), row.get_attribute("data-cancelled"))
        for row in rows.all()
    ]
    assert sorted(listed) == sorted(
        [("visio", "false")] * 2 + [("calendar", "false")] * 2 + [("visio", "true")]
    )
    starts = [str(row.get_attribute("data-start")) for row in rows.all()]
    assert starts == sorted(starts, key=datetime.fromisoformat)
    ours = page.locator(f"[data-testid=occurrence][data-meeting='{daily}']")
    expect(ours).to_have_count(2)
    expect(ours.first).to_contain_text(re.compile(r"In your calendar|Dans votre agenda"))
    theirs = page.locator("[data-testid=occurrence][data-source=calendar]")
    expect(theirs.first).to_contain_text("Comité de suivi <b>hebdo</b>")  # text, not markup
    assert page.locator("[data-testid=occurrence] b").count() == 0
    expect(theirs.first.get_by_test_id("occurrence-join")).to_have_attribute(
        "href", "/abc-defg-hij"
    )
    gone = page.locator("[data-testid=occurrence][data-cancelled=true]")
    expect(gone.get_by_test_id("occurrence-cancelled")).to_be_visible()
    expect(gone.get_by_test_id("occurrence-join")).to_have_count(0)
    screenshot(page, "my-meetings-merged.png", full_page=True)
    violations["listed"] = axe_violations(page)

    # In French, and at phone width, nothing overflows.
    page.get_by_role("button", name=re.compile(r"Passer en français")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes réunions")
    page.set_viewport_size({"width": 390, "height": 844})
    expect(rows).to_have_count(5)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "my-meetings-merged-phone.png", full_page=True)
    violations["phone, French"] = axe_violations(page)

    # The calendar server goes away: Visio's meetings are still listed, with a notice.
    page.set_viewport_size({"width": 1024, "height": 700})
    radicale.stop()
    try:
        page.reload()
        notice = page.get_by_test_id("calendar-notice")
        expect(notice).to_contain_text("pas pu être lu")
        expect(rows).to_have_count(3)
        expect(page.locator("[data-testid=occurrence][data-source=calendar]")).to_have_count(0)
        screenshot(page, "my-meetings-calendar-down.png", full_page=True)
        violations["calendar down"] = axe_violations(page)
    finally:
        radicale.start()
    notice.get_by_role("link").click()
    page.wait_for_url(f"{server.url}/meetings/calendar")
    expect(page.get_by_test_id("calendar-settings")).to_contain_text("Votre agenda")

    # Disconnecting asks first (Escape keeps it), then forgets it.
    page.get_by_test_id("calendar-disconnect").click()
    dialog = page.get_by_test_id("confirm-dialog")
    expect(dialog).to_contain_text("Délier votre agenda")
    violations["confirm"] = axe_violations(page)
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(page.get_by_test_id("calendar-url")).to_have_value(url)
    page.get_by_test_id("calendar-disconnect").click()
    page.get_by_test_id("confirm").click()
    expect(page.get_by_test_id("calendar-url")).to_have_value("")
    expect(page.get_by_test_id("calendar-settings")).to_contain_text("Reliez un agenda")
    # axe-core: no serious or critical violation in any of these states.
    problems = {where: found for where, found in violations.items() if found}
    assert problems == {}, json.dumps(problems, indent=1)
