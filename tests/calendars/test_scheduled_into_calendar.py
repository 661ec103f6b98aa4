"""A meeting scheduled in Visio follows into the organiser's own calendar (a real Radicale):
written when scheduled, rewritten when changed, removed when cancelled, and read back through
"My calendar"."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from cryptography.fernet import Fernet

from tests.calendars.radicale import USERS, RadicaleServer
from tests.oidc.provider import TestProvider, visio_with_provider
from tests.rooms.people import Browser
from tests.support import RunningServer, wait_until

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture(scope="module")
def visio(
    tmp_path_factory: pytest.TempPathFactory, radicale: RadicaleServer
) -> Iterator[tuple[RunningServer, TestProvider]]:
    with visio_with_provider(
        tmp_path_factory.mktemp("visio-scheduled-calendar"),
        caldav_encryption_key=Fernet.generate_key().decode(),
        caldav_allow_http="true",
        caldav_allow_private="true",
    ) as pair:
        yield pair


def _calendar_events(radicale: RadicaleServer, url: str) -> list[str]:
    """The iCalendar texts stored in the calendar, read straight from Radicale."""
    listing = httpx.request(
        "PROPFIND", url, headers={"Depth": "1"}, auth=("bob", USERS["bob"]), timeout=10
    )
    assert listing.status_code == 207, listing.text
    hrefs = set(re.findall(r"<[A-Za-z:]*href>([^<]+\.ics)</", listing.text))
    return [
        httpx.get(f"{radicale.url}{href}", auth=("bob", USERS["bob"]), timeout=10).text
        for href in sorted(hrefs)
    ]


def test_scheduled_meeting_is_written_changed_and_removed_in_the_organisers_calendar(
    visio: tuple[RunningServer, TestProvider], radicale: RadicaleServer
) -> None:
    server, provider = visio
    url = radicale.make_calendar("bob", "work")
    tomorrow = (datetime.now(PARIS) + timedelta(days=1)).replace(tzinfo=None)
    start = tomorrow.replace(hour=10, minute=0, second=0, microsecond=0)
    body = {
        "title": "Point d'équipe",
        "start": start.strftime("%Y-%m-%dT%H:%M"),
        "time_zone": "Europe/Paris",
        "duration_minutes": 30,
        "recurrence": {"frequency": "daily", "count": 2},
        "attendees": [{"email": "anne.martin@example.fr"}],
        "language": "fr",
    }
    with Browser(server, provider, "pierre") as pierre:
        saved = pierre.http.put(
            "/api/v1/me/calendar", json={"url": url, "username": "bob", "password": USERS["bob"]}
        )
        assert saved.status_code == 200, saved.text
        created = pierre.http.post("/api/v1/meetings", json=body)
        assert created.status_code in (200, 201), created.text
        meeting = created.json()

        def listed() -> list[dict[str, object]]:
            reply = pierre.http.get(
                "/api/v1/me/calendar/meetings", params={"days": 14, "all": "true"}
            )
            assert reply.status_code == 200, reply.text
            return list(reply.json()["meetings"])

        wait_until(lambda: len(listed()) == 2, 30, lambda: f"in the calendar: {listed()}")
        occurrences = listed()
        assert {m["summary"] for m in occurrences} == {"Point d'équipe"}
        assert all(m["time_zone"] == "Europe/Paris" for m in occurrences)
        assert all(m["room"] for m in occurrences), occurrences
        stored = _calendar_events(radicale, url)
        assert len(stored) == 1 and "METHOD:" not in stored[0] and "RRULE:FREQ=DAILY" in stored[0]

        changed = pierre.http.put(
            f"/api/v1/meetings/{meeting['id']}", json=body | {"title": "Point d'équipe (déplacé)"}
        )
        assert changed.status_code == 200, changed.text
        wait_until(
            lambda: {m["summary"] for m in listed()} == {"Point d'équipe (déplacé)"},
            30,
            lambda: f"in the calendar: {listed()}",
        )
        assert "SEQUENCE:1" in _calendar_events(radicale, url)[0]

        assert pierre.http.delete(f"/api/v1/meetings/{meeting['id']}").status_code == 204
        wait_until(lambda: listed() == [], 30, lambda: f"still in the calendar: {listed()}")
        assert _calendar_events(radicale, url) == []
