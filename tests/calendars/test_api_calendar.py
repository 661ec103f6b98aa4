"""The calendar settings and "My meetings" over REST, on a real server with a real sign-in,
against a real Radicale."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from cryptography.fernet import Fernet
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.auth.conftest import ADMIN_EMAIL
from tests.auth.signin import audit_events
from tests.calendars.events import weekly_meeting
from tests.calendars.radicale import USERS, RadicaleServer
from tests.oidc.provider import TestProvider, visio_with_provider
from tests.rooms.people import Browser
from tests.support import RunningServer, free_port

Server = tuple[RunningServer, TestProvider]


@pytest.fixture(scope="module")
def calendar_server(
    tmp_path_factory: pytest.TempPathFactory, radicale: RadicaleServer
) -> Iterator[Server]:
    """Visio letting people connect their own calendar, allowed to reach the loopback Radicale."""
    with visio_with_provider(
        tmp_path_factory.mktemp("visio-calendar"),
        admins=ADMIN_EMAIL,
        caldav_encryption_key=Fernet.generate_key().decode(),
        caldav_allow_http="true",
        caldav_allow_private="true",
    ) as pair:
        yield pair


@pytest.fixture(scope="module")
def strict_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Visio with the default guard: https only, public addresses only."""
    with visio_with_provider(
        tmp_path_factory.mktemp("visio-strict"),
        caldav_encryption_key=Fernet.generate_key().decode(),
    ) as pair:
        yield pair


def _browser(server: Server, user: str) -> Browser:
    return Browser(server[0], server[1], user)


def _put_event(radicale: RadicaleServer, calendar_url: str, uid: str, ics: str) -> None:
    response = httpx.put(
        f"{calendar_url}{uid}.ics",
        content=ics.encode(),
        headers={"content-type": "text/calendar"},
        auth=("alice", USERS["alice"]),
    )
    assert response.status_code == 201, response.text


def test_api_calendar_connect_stores_it_and_never_returns_the_password(
    calendar_server: Server, radicale: RadicaleServer
) -> None:
    """Pierre connects his calendar: the settings show the URL and user name, never the
    password (nor does the server log); the connection test passes; it is audited."""
    url = radicale.make_calendar("alice", "pierre-api")
    with _browser(calendar_server, "pierre") as pierre:
        before = pierre.http.get("/api/v1/me/calendar")
        assert before.status_code == 200
        assert before.json() == {
            "personal_allowed": True,
            "deployment": False,
            "personal": None,
            "source": None,
        }
        saved = pierre.http.put(
            "/api/v1/me/calendar",
            json={"url": url, "username": "alice", "password": USERS["alice"]},
        )
        assert saved.status_code == 200, saved.text
        assert saved.json()["source"] == "personal"
        assert saved.json()["personal"]["url"] == url
        shown = pierre.http.get("/api/v1/me/calendar")
        assert shown.json()["personal"]["username"] == "alice"
        for response in (saved, shown):
            assert USERS["alice"] not in response.text and 'password"' not in response.text
        tested = pierre.http.post("/api/v1/me/calendar/test")
        assert tested.status_code == 200
        assert tested.json()["ok"] is True and tested.json()["source"] == "personal"
        assert pierre.http.get("/api/v1/me/calendar").json()["personal"]["checked_at"]
    server, provider = calendar_server
    connected = audit_events(server, provider, "calendar.connected")
    assert connected and connected[-1]["details"]["host"] == "127.0.0.1"
    assert USERS["alice"] not in str(connected)
    assert USERS["alice"] not in server.log()


def test_api_calendar_test_reports_a_wrong_password(
    calendar_server: Server, radicale: RadicaleServer
) -> None:
    """A wrong app password: the test says 'unauthorised' and the settings keep the failure."""
    url = radicale.make_calendar("alice", "marie-api")
    with _browser(calendar_server, "marie") as marie:
        saved = marie.http.put(
            "/api/v1/me/calendar", json={"url": url, "username": "alice", "password": "nope"}
        )
        assert saved.status_code == 200
        tested = marie.http.post("/api/v1/me/calendar/test")
        assert tested.json()["ok"] is False
        assert tested.json()["reason"] == "unauthorised"
        assert "password" in tested.json()["message"]
        assert marie.http.get("/api/v1/me/calendar").json()["personal"]["failure"] == "unauthorised"
        # Changing only the URL keeps the stored password; giving the right one fixes it.
        again = marie.http.put(
            "/api/v1/me/calendar",
            json={"url": url, "username": "alice", "password": USERS["alice"]},
        )
        assert again.status_code == 200
        assert marie.http.post("/api/v1/me/calendar/test").json()["ok"] is True


def test_api_my_meetings_lists_visio_meetings_from_the_calendar(
    calendar_server: Server, radicale: RadicaleServer
) -> None:
    """Upcoming occurrences of the Visio meetings in Jean's calendar, recurrences expanded;
    other events only with all=true."""
    url = radicale.make_calendar("alice", "jean-api")
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y%m%d")
    _put_event(
        radicale,
        url,
        "weekly@visio",
        weekly_meeting("weekly@visio", first_day=tomorrow, count=3, method=None),
    )
    _put_event(
        radicale,
        url,
        "dentist@elsewhere",
        weekly_meeting(
            "dentist@elsewhere",
            summary="Dentiste",
            first_day=tomorrow,
            count=1,
            room_url="https://dentiste.example.org/rdv",
            method=None,
        ),
    )
    with _browser(calendar_server, "jean") as jean:
        jean.http.put(
            "/api/v1/me/calendar",
            json={"url": url, "username": "alice", "password": USERS["alice"]},
        )
        listed = jean.http.get("/api/v1/me/calendar/meetings", params={"days": 14})
        assert listed.status_code == 200, listed.text
        body = listed.json()
        assert body["configured"] is True
        meetings = body["meetings"]
        assert [m["summary"] for m in meetings] == ["Point hebdo", "Point hebdo"]
        assert {m["room"] for m in meetings} == {"abc-defg-hij"}
        assert all(m["time_zone"] == "Europe/Paris" for m in meetings)
        assert all("T10:00:00+0" in m["start"] for m in meetings)
        everything = jean.http.get(
            "/api/v1/me/calendar/meetings", params={"days": 14, "all": "true"}
        )
        assert "Dentiste" in [m["summary"] for m in everything.json()["meetings"]]
        assert jean.http.get("/api/v1/me/calendar/meetings", params={"days": 0}).status_code == 422
        assert jean.http.get("/api/v1/me/calendar/meetings", params={"days": 63}).status_code == 422


def test_api_calendar_disconnect_forgets_it(
    calendar_server: Server, radicale: RadicaleServer
) -> None:
    """Disconnecting deletes the account (audited); meetings then say no calendar."""
    url = radicale.make_calendar("alice", "lucie-api")
    with _browser(calendar_server, "lucie") as lucie:
        lucie.http.put(
            "/api/v1/me/calendar",
            json={"url": url, "username": "alice", "password": USERS["alice"]},
        )
        assert lucie.http.delete("/api/v1/me/calendar").status_code == 204
        assert lucie.http.get("/api/v1/me/calendar").json()["personal"] is None
        assert lucie.http.get("/api/v1/me/calendar/meetings").json() == {
            "configured": False,
            "meetings": [],
        }
    server, provider = calendar_server
    assert audit_events(server, provider, "calendar.disconnected")


def test_api_calendar_needs_a_signed_in_browser_with_csrf(calendar_server: Server) -> None:
    """Guests get 401; a signed-in request without the CSRF header gets 403 and changes nothing."""
    server, provider = calendar_server
    with Browser(server, provider, None) as guest:
        assert guest.http.get("/api/v1/me/calendar").status_code == 401
        assert guest.http.get("/api/v1/me/calendar/meetings").status_code == 401
    with _browser(calendar_server, "pierre") as pierre:
        del pierre.http.headers["X-CSRF-Token"]
        refused = pierre.http.put(
            "/api/v1/me/calendar",
            json={"url": "https://cal.example.org/x/", "username": "a", "password": "b"},
        )
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "csrf_failed"
        assert pierre.http.post("/api/v1/me/calendar/test").status_code == 403
        assert pierre.http.delete("/api/v1/me/calendar").status_code == 403


@pytest.mark.parametrize(
    "body",
    [
        {"url": "https://cal.example.org/x/", "username": "a", "password": "b", "extra": 1},
        {"url": "https://cal.example.org/x/", "username": "", "password": "b"},
        {"url": "https://cal.example.org/x/", "username": "a\u202eb", "password": "b"},
        {"url": "https://cal.example.org/x/", "username": "a", "password": "b\x00"},
        {"url": "https://cal.example.org/x/", "username": "a", "password": ""},
        {"url": "https://cal.example.org/x/", "username": "a", "password": 5},
        {"url": "https://" + "a" * 2000 + ".org/", "username": "a", "password": "b"},
    ],
)
def test_api_calendar_refuses_malformed_settings(
    calendar_server: Server, body: dict[str, object]
) -> None:
    """Unknown fields, empty or invisible-character names, control characters: 422."""
    with _browser(calendar_server, "pierre") as pierre:
        response = pierre.http.put("/api/v1/me/calendar", json=body)
        assert response.status_code == 422, response.text


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("https://127.0.0.1/cal/", "refused_address"),
        ("https://169.254.169.254/latest/", "refused_address"),
        ("https://[::1]:8443/cal/", "refused_address"),
        ("https://10.1.2.3/cal/", "refused_address"),
        ("http://cal.example.org/cal/", "invalid_url"),
        ("https://u:p@cal.example.org/cal/", "invalid_url"),
    ],
)
def test_api_calendar_strict_server_refuses_private_and_plain_urls(
    strict_server: Server, url: str, code: str
) -> None:
    """With the default settings, loopback, private, metadata and http URLs are refused at
    the edge with a reason."""
    with _browser(strict_server, "pierre") as pierre:
        response = pierre.http.put(
            "/api/v1/me/calendar", json={"url": url, "username": "a", "password": "b"}
        )
        assert response.status_code == 422
        assert response.json()["error"]["code"] == code


def test_api_calendar_strict_server_refuses_a_name_that_resolves_to_loopback(
    strict_server: Server, radicale: RadicaleServer
) -> None:
    """A host name is accepted when saved, but the connection to it is refused when it
    resolves to loopback (the guard at connection time)."""
    with _browser(strict_server, "marie") as marie:
        saved = marie.http.put(
            "/api/v1/me/calendar",
            json={
                "url": f"https://localhost:{radicale.port}/alice/",
                "username": "a",
                "password": "b",
            },
        )
        assert saved.status_code == 200
        tested = marie.http.post("/api/v1/me/calendar/test").json()
        assert tested["ok"] is False and tested["reason"] == "refused_address"


def test_api_calendar_requests_are_rate_limited(strict_server: Server) -> None:
    """Each test makes Visio call a server: a burst of VISIO_CALDAV_REQUESTS_PER_MINUTE (20)
    passes, then 429 (one more is let through every 3 s, so a slow machine may see a few)."""
    with _browser(strict_server, "lucie") as lucie:
        answers = []
        while 429 not in answers and len(answers) < 60:
            answers.append(lucie.http.post("/api/v1/me/calendar/test").status_code)
    assert answers[:20] == [200] * 20
    assert answers[-1] == 429


def test_api_calendar_personal_needs_the_encryption_key(tmp_path: Path) -> None:
    """Without VISIO_CALDAV_ENCRYPTION_KEY people cannot store a calendar password: 409."""
    with visio_with_provider(tmp_path / "visio") as (server, provider):
        with Browser(server, provider, "pierre") as pierre:
            assert pierre.http.get("/api/v1/me/calendar").json()["personal_allowed"] is False
            refused = pierre.http.put(
                "/api/v1/me/calendar",
                json={"url": "https://cal.example.org/x/", "username": "a", "password": "b"},
            )
            assert refused.status_code == 409
            assert "VISIO_CALDAV_ENCRYPTION_KEY" in refused.json()["error"]["message"]


ANY_TEXT = st.text(
    st.characters(codec=None, exclude_categories=())
    | st.sampled_from(["\x00", "\ud800", "\udfff", "\u202e", "\u200b", "\r", "\n", " ", "@", "/"]),
    max_size=80,
)


def test_api_calendar_any_unicode_is_refused_or_stored_never_an_error(
    calendar_server: Server,
) -> None:
    """Any Unicode in the URL, user name and password: a clear 200 or 422, never a 5xx, and a
    stored password is never echoed."""
    with _browser(calendar_server, "jean") as jean:

        @given(url=ANY_TEXT, username=ANY_TEXT, password=ANY_TEXT)
        @settings(
            max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        def exercise(url: str, username: str, password: str) -> None:
            body = json.dumps(
                {
                    "url": "https://cal.example.org/" + url,
                    "username": username,
                    "password": password,
                }
            )
            response = jean.http.put(
                "/api/v1/me/calendar", content=body, headers={"content-type": "application/json"}
            )
            assert response.status_code in (200, 422), response.text
            if response.status_code == 200:
                assert set(response.json()["personal"]) == {
                    "url",
                    "username",
                    "updated_at",
                    "checked_at",
                    "failure",
                    "failure_message",
                }

        exercise()


def _schedule(browser: Browser, title: str, start: datetime, **extra: object) -> dict[str, Any]:
    body = {
        "title": title,
        "start": start.strftime("%Y-%m-%dT%H:%M"),
        "time_zone": "Europe/Paris",
        "duration_minutes": 30,
        "attendees": [{"email": "anne.martin@example.fr"}],
        **extra,
    }
    created = browser.http.post("/api/v1/meetings", json=body)
    assert created.status_code == 201, created.text
    meeting: dict[str, Any] = created.json()
    return meeting


def _paris_tomorrow(hour: int) -> datetime:
    tomorrow = datetime.now(ZoneInfo("Europe/Paris")) + timedelta(days=1)
    return tomorrow.replace(hour=hour, minute=0, second=0, microsecond=0, tzinfo=None)


def test_api_my_meetings_merges_visio_and_the_calendar_once_each(
    calendar_server: Server, radicale: RadicaleServer
) -> None:
    """My meetings (/me/agenda): Visio's meetings and the calendar's events that link to a
    room, recurrences expanded, the meeting Visio wrote into the calendar listed once (same
    UID), cancelled ones marked, other events left out, soonest first, in the zone asked."""
    url = radicale.make_calendar("alice", "jean-agenda")
    day_after = (datetime.now(UTC) + timedelta(days=2)).strftime("%Y%m%d")
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y%m%d")
    _put_event(
        radicale,
        url,
        "weekly@elsewhere",
        weekly_meeting("weekly@elsewhere", first_day=tomorrow, count=2, method=None),
    )
    _put_event(
        radicale,
        url,
        "called-off@elsewhere",
        weekly_meeting(
            "called-off@elsewhere",
            summary="Annulé ailleurs",
            first_day=day_after,
            count=1,
            method=None,
            status="CANCELLED",
        ),
    )
    _put_event(
        radicale,
        url,
        "dentist@elsewhere",
        weekly_meeting(
            "dentist@elsewhere",
            summary="Dentiste",
            first_day=tomorrow,
            count=1,
            room_url="https://dentiste.example.org/rdv",
            method=None,
        ),
    )
    zone = "Pacific/Auckland"
    with _browser(calendar_server, "jean") as jean:
        saved = jean.http.put(
            "/api/v1/me/calendar",
            json={"url": url, "username": "alice", "password": USERS["alice"]},
        )
        assert saved.status_code == 200, saved.text
        daily = _schedule(
            jean,
            "Revue quotidienne",
            _paris_tomorrow(9),
            recurrence={"frequency": "daily", "count": 2},
        )
        dropped = _schedule(jean, "Réunion annulée", _paris_tomorrow(11))
        assert jean.http.delete(f"/api/v1/meetings/{dropped['id']}").status_code == 204

        listed = jean.http.get("/api/v1/me/agenda", params={"days": 14, "tz": zone})
        assert listed.status_code == 200, listed.text
        body = listed.json()
    assert body["time_zone"] == zone and body["calendar"] == {
        "status": "ok",
        "reason": None,
        "message": None,
    }
    meetings = body["meetings"]
    seen = [(m["title"], m["source"], m["in_calendar"], m["cancelled"]) for m in meetings]
    assert sorted(seen) == sorted(
        [
            ("Revue quotidienne", "visio", True, False),
            ("Revue quotidienne", "visio", True, False),
            ("Réunion annulée", "visio", False, True),
            ("Point hebdo", "calendar", True, False),
            ("Point hebdo", "calendar", True, False),
            ("Annulé ailleurs", "calendar", True, True),
        ]
    ), seen
    starts = [datetime.fromisoformat(m["start"]) for m in meetings]
    assert starts == sorted(starts)
    for meeting, start in zip(meetings, starts, strict=True):
        assert start.utcoffset() == start.astimezone(ZoneInfo(zone)).utcoffset()
        assert meeting["room"] and meeting["room_url"].endswith("/" + meeting["room"])
    daily_rows = [m for m in meetings if m["title"] == "Revue quotidienne"]
    assert {m["meeting_id"] for m in daily_rows} == {daily["id"]}
    assert all(m["can_edit"] and m["recurring"] and m["invitees"] == 1 for m in daily_rows)
    assert [
        datetime.fromisoformat(m["start"]).astimezone(ZoneInfo("Europe/Paris")).hour
        for m in daily_rows
    ] == [9, 9]
    assert {m["room"] for m in daily_rows} == {daily["room"]["slug"]}
    (cancelled,) = [m for m in meetings if m["title"] == "Réunion annulée"]
    assert cancelled["can_edit"] is False
    weekly = [m for m in meetings if m["title"] == "Point hebdo"]
    assert {m["room"] for m in weekly} == {"abc-defg-hij"}
    assert all(m["meeting_id"] is None and m["recurring"] for m in weekly)


def test_api_my_meetings_without_its_calendar_server_still_lists_visio_meetings(
    calendar_server: Server,
) -> None:
    """The calendar server cannot be reached: My meetings still answers 200 with the meetings
    scheduled in Visio, and says why the calendar's are missing."""
    with _browser(calendar_server, "marie") as marie:
        assert (
            marie.http.put(
                "/api/v1/me/calendar",
                json={
                    "url": f"http://127.0.0.1:{free_port()}/alice/gone/",
                    "username": "alice",
                    "password": USERS["alice"],
                },
            ).status_code
            == 200
        )
        meeting = _schedule(marie, "Point sans agenda", _paris_tomorrow(14))
        listed = marie.http.get("/api/v1/me/agenda", params={"tz": "Europe/Paris"})
        assert listed.status_code == 200, listed.text
        body = listed.json()
    assert body["calendar"]["status"] == "failed"
    assert body["calendar"]["reason"] == "unreachable"
    assert "cannot reach the calendar server" in body["calendar"]["message"]
    assert [(m["meeting_id"], m["source"]) for m in body["meetings"]] == [(meeting["id"], "visio")]


def test_api_my_meetings_refuses_a_bad_zone_or_window(calendar_server: Server) -> None:
    """An unknown zone or a window outside 1-366 days is a 422; a guest gets 401; without a
    calendar the list says so (status none)."""
    server, provider = calendar_server
    with Browser(server, provider, None) as guest:
        assert guest.http.get("/api/v1/me/agenda").status_code == 401
    with _browser(calendar_server, "lucie") as lucie:
        lucie.http.delete("/api/v1/me/calendar")
        for params in (
            {"tz": "Mars/Olympus"},
            {"tz": "../etc/passwd"},
            {"days": 0},
            {"days": 367},
            {"tz": "x" * 65},
        ):
            refused = lucie.http.get("/api/v1/me/agenda", params=params)
            assert refused.status_code == 422, (params, refused.text)
        alone = lucie.http.get("/api/v1/me/agenda")
        assert alone.status_code == 200
        assert alone.json()["calendar"]["status"] == "none"
        assert alone.json()["time_zone"] == "UTC"
