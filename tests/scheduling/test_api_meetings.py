"""Scheduling meetings over the REST API, with the invitations received by a real SMTP server and
read with the ``icalendar`` library: the zone, the recurrence across a change of clocks, updates
(SEQUENCE + 1) and cancellations (METHOD:CANCEL)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import recurring_ical_events
from icalendar import Calendar

from tests.mail.smtp import Received, SmtpServer
from tests.oidc.provider import TestProvider
from tests.rooms.people import EMAILS, Browser
from tests.support import RunningServer

PARIS = "Europe/Paris"
ANNE = "anne.martin@example.fr"
BOB = "bob@example.org"


def _weekly_over_the_spring_change(**changes: Any) -> dict[str, Any]:
    """Mondays at 10:00 in Paris from 22 March 2027: the clocks go forward on Sunday 28 March."""
    return {
        "title": "Point hebdo",
        "start": "2027-03-22T10:00",
        "time_zone": PARIS,
        "duration_minutes": 45,
        "recurrence": {"frequency": "weekly", "days": ["MO"], "count": 3},
        "attendees": [
            {"email": ANNE, "name": "Anne Martin", "language": "en"},
            {"email": EMAILS["marie"], "name": "Marie Curie", "language": "fr"},
        ],
        "language": "fr",
    } | changes


def _calendar(received: Received) -> tuple[Calendar, str]:
    """The text/calendar alternative (and its method parameter), parsed."""
    parts = [p for p in received.message.walk() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1
    text = parts[0].get_content()
    attachments = [p for p in received.message.iter_attachments() if p.get_filename() == "invite.ics"]
    assert len(attachments) == 1
    assert attachments[0].get_content().decode().replace("\r\n", "\n") == text
    return Calendar.from_ical(text), str(parts[0].get_param("method"))


def _mail_to(smtp: SmtpServer, address: str, count: int) -> Received:
    """The ``count``-th message that reached ``address`` (waiting for it)."""
    deadline = datetime.now() + timedelta(seconds=60)
    while datetime.now() < deadline:
        found = smtp.to(address)
        if len(found) >= count:
            return found[count - 1]
        smtp.wait_for(len(smtp.messages) + 1, timeout=60)
    raise AssertionError(f"no message {count} for {address}")


def _event(cal: Calendar) -> Any:
    (event,) = cal.walk("VEVENT")
    return event


def test_meetings_schedule_invites_with_an_icalendar_request(
    people: dict[str, Browser], smtp: SmtpServer
) -> None:
    """Each invitee gets a mail in their language with METHOD:REQUEST: DTSTART in Europe/Paris
    with its VTIMEZONE, DURATION, RRULE, ORGANIZER, ATTENDEE with RSVP, the room link in
    LOCATION, URL and DESCRIPTION, and a VALARM ten minutes before."""
    reply = people["pierre"].http.post("/api/v1/meetings", json=_weekly_over_the_spring_change())
    assert reply.status_code == 201, reply.text
    meeting = reply.json()
    room_url = meeting["room"]["url"]
    assert meeting["sequence"] == 0 and meeting["can_edit"]

    anne = _mail_to(smtp, ANNE, 1)
    assert anne.encrypted and anne.authenticated
    assert anne.message["Subject"] == "Invitation: Point hebdo"
    assert anne.message["To"].addresses[0].addr_spec == ANNE
    assert anne.message["Reply-To"].addresses[0].addr_spec == EMAILS["pierre"]
    assert "Pierre" in str(anne.message["From"])
    text = anne.message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Hello Anne Martin," in text and room_url in text
    assert "Monday 22 March 2027, 10:00 to 10:45 (Europe/Paris)" in text
    assert "Repeats every week on Monday, 3 times." in text
    html = anne.message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert f'href="{room_url}"' in html

    cal, method = _calendar(anne)
    assert method == "REQUEST" and cal["METHOD"] == "REQUEST"
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == [PARIS]
    event = _event(cal)
    start = event.decoded("DTSTART")
    assert (start.replace(tzinfo=None), str(start.tzinfo)) == (datetime(2027, 3, 22, 10), PARIS)
    assert event["DTSTART"].params["TZID"] == PARIS
    assert event.decoded("DURATION") == timedelta(minutes=45)
    assert event["RRULE"]["FREQ"] == ["WEEKLY"] and event["RRULE"]["BYDAY"] == ["MO"]
    assert event["RRULE"]["COUNT"] == [3]
    assert event["SEQUENCE"] == 0 and event["STATUS"] == "CONFIRMED"
    assert event["UID"].startswith(meeting["id"])
    assert str(event["ORGANIZER"]) == f"mailto:{EMAILS['pierre']}"
    attendees = {str(a): a.params for a in event["ATTENDEE"]}
    assert set(attendees) == {f"mailto:{ANNE}", f"mailto:{EMAILS['marie']}"}
    assert all(p["RSVP"] == "TRUE" and p["PARTSTAT"] == "NEEDS-ACTION" for p in attendees.values())
    assert attendees[f"mailto:{ANNE}"]["CN"] == "Anne Martin"
    assert str(event["LOCATION"]) == str(event["URL"]) == room_url
    assert room_url in str(event["DESCRIPTION"])
    (alarm,) = event.walk("VALARM")
    assert alarm.decoded("TRIGGER") == timedelta(minutes=-10)

    marie = _mail_to(smtp, EMAILS["marie"], 1)
    assert marie.message["Subject"] == "Invitation : Point hebdo"
    assert "lundi 22 mars 2027, de 10:00 à 10:45" in marie.message.get_body(("plain",)).get_content()  # type: ignore[union-attr]


def test_meetings_recurrence_keeps_the_local_hour_across_the_change_of_clocks(
    people: dict[str, Browser], smtp: SmtpServer
) -> None:
    """Expanded with recurring-ical-events, the weekly meeting stays at 10:00 in Paris while its
    UTC offset goes from +01:00 to +02:00 on the last Sunday of March."""
    reply = people["pierre"].http.post(
        "/api/v1/meetings", json=_weekly_over_the_spring_change(attendees=[{"email": BOB}])
    )
    assert reply.status_code == 201, reply.text
    cal, _ = _calendar(_mail_to(smtp, BOB, 1))
    starts = [e.decoded("DTSTART") for e in recurring_ical_events.of(cal).between(
        datetime(2027, 3, 1, tzinfo=UTC), datetime(2027, 5, 1, tzinfo=UTC)
    )]
    assert [s.strftime("%Y-%m-%d %H:%M") for s in starts] == [
        "2027-03-22 10:00",
        "2027-03-29 10:00",
        "2027-04-05 10:00",
    ]
    assert [s.utcoffset() for s in starts] == [timedelta(hours=1), timedelta(hours=2), timedelta(hours=2)]
    assert [s.astimezone(UTC).hour for s in starts] == [9, 8, 8]


def test_meetings_update_and_cancel_send_sequence_and_cancel(
    people: dict[str, Browser], smtp: SmtpServer, visio: tuple[RunningServer, TestProvider]
) -> None:
    """A change reaches those still invited as REQUEST with SEQUENCE 1 (same UID), the newly
    invited as an invitation, the uninvited as CANCEL; cancelling sends CANCEL, SEQUENCE 2,
    STATUS:CANCELLED to everyone, and "My meetings" no longer lists it. All audited."""
    pierre = people["pierre"].http
    first = "carol@example.net"
    dropped = "dave@example.net"
    added = "erin@example.net"
    created = pierre.post(
        "/api/v1/meetings",
        json=_weekly_over_the_spring_change(attendees=[{"email": first}, {"email": dropped}]),
    ).json()
    uid = str(_event(_calendar(_mail_to(smtp, first, 1))[0])["UID"])

    changed = pierre.put(
        f"/api/v1/meetings/{created['id']}",
        json=_weekly_over_the_spring_change(
            title="Point hebdo (déplacé)",
            start="2027-03-22T11:00",
            attendees=[{"email": first}, {"email": added}],
        ),
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["sequence"] == 1

    update = _mail_to(smtp, first, 2)
    assert update.message["Subject"] == "Modifiée : Point hebdo (déplacé)"
    cal, method = _calendar(update)
    event = _event(cal)
    assert (method, str(event["UID"]), event["SEQUENCE"]) == ("REQUEST", uid, 1)
    assert event.decoded("DTSTART").hour == 11
    assert {str(a) for a in event["ATTENDEE"]} == {f"mailto:{first}", f"mailto:{added}"}

    cal, method = _calendar(_mail_to(smtp, added, 1))
    assert (method, _event(cal)["SEQUENCE"]) == ("REQUEST", 1)
    removal = _mail_to(smtp, dropped, 2)
    cal, method = _calendar(removal)
    assert (method, cal["METHOD"], str(_event(cal)["UID"])) == ("CANCEL", "CANCEL", uid)

    listed = pierre.get("/api/v1/me/meetings", params={"days": 366}).json()["meetings"]
    assert created["id"] in [m["meeting"]["id"] for m in listed]

    assert pierre.delete(f"/api/v1/meetings/{created['id']}").status_code == 204
    for address, count in ((first, 3), (added, 2)):
        cancel = _mail_to(smtp, address, count)
        assert cancel.message["Subject"].startswith("Annulée : ")
        cal, method = _calendar(cancel)
        event = _event(cal)
        assert (method, str(event["UID"]), event["SEQUENCE"], event["STATUS"]) == (
            "CANCEL", uid, 2, "CANCELLED"
        )
    listed = pierre.get("/api/v1/me/meetings", params={"days": 366}).json()["meetings"]
    assert created["id"] not in [m["meeting"]["id"] for m in listed]
    assert pierre.delete(f"/api/v1/meetings/{created['id']}").status_code == 409

    server = visio[0]
    with sqlite3.connect(server.data_dir / "visio.db") as db:
        events = db.execute(
            "SELECT event, outcome FROM audit_events WHERE details LIKE ? ORDER BY id",
            (f"%{created['id']}%",),
        ).fetchall()
    assert events == [
        ("meeting.scheduled", "success"),
        ("meeting.changed", "success"),
        ("meeting.cancelled", "success"),
    ]


def test_meetings_my_meetings_expands_occurrences(people: dict[str, Browser]) -> None:
    """"My meetings" lists each occurrence to come, for the organiser and for an invitee who
    has an account, with the room's link; only the organiser may edit."""
    start = (datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%dT09:30")
    created = people["pierre"].http.post(
        "/api/v1/meetings",
        json={
            "title": "Daily",
            "start": start,
            "time_zone": "UTC",
            "duration_minutes": 15,
            "recurrence": {"frequency": "daily", "count": 5},
            "attendees": [{"email": EMAILS["marie"]}],
        },
    ).json()
    for who, editable in (("pierre", True), ("marie", False)):
        listed = people[who].http.get("/api/v1/me/meetings").json()["meetings"]
        (mine,) = [m for m in listed if m["meeting"]["id"] == created["id"]]
        assert len(mine["occurrences"]) == 5
        assert mine["occurrences"][0]["start"].startswith(start.replace("T", "T")[:10])
        assert mine["meeting"]["can_edit"] is editable
        assert mine["meeting"]["room"]["url"].endswith(created["room"]["slug"])
    assert people["lucie"].http.get(f"/api/v1/meetings/{created['id']}").status_code == 404
    assert people["marie"].http.get(f"/api/v1/meetings/{created['id']}").json()["can_edit"] is False


def test_meetings_only_the_organiser_or_room_admins_change_them(
    people: dict[str, Browser],
) -> None:
    """Someone invited cannot change or cancel; a stranger cannot see; a guest must sign in;
    nobody schedules in a room they do not administer; a room administrator may cancel."""
    pierre, marie, lucie = (people[n].http for n in ("pierre", "marie", "lucie"))
    created = pierre.post(
        "/api/v1/meetings",
        json=_weekly_over_the_spring_change(attendees=[{"email": EMAILS["marie"]}]),
    ).json()
    path = f"/api/v1/meetings/{created['id']}"
    assert marie.put(path, json=_weekly_over_the_spring_change()).status_code == 403
    assert marie.delete(path).status_code == 403
    assert lucie.delete(path).status_code == 403
    assert people["guest"].http.get(path).status_code == 401
    assert people["guest"].http.post("/api/v1/meetings", json=_weekly_over_the_spring_change()).status_code == 401
    in_pierres_room = _weekly_over_the_spring_change(room=created["room"]["slug"])
    refused = lucie.post("/api/v1/meetings", json=in_pierres_room)
    assert refused.status_code == 403, refused.text
    granted = pierre.put(
        f"/api/v1/rooms/{created['room']['slug']}/roles/{EMAILS['lucie']}",
        json={"role": "administrator"},
    )
    assert granted.status_code == 200, granted.text
    assert lucie.post("/api/v1/meetings", json=in_pierres_room).status_code == 201
    assert lucie.delete(path).status_code == 204
    assert pierre.get("/api/v1/meetings/" + "0" * 32).status_code == 404
    assert pierre.get("/api/v1/meetings/not-an-id").status_code == 422


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"time_zone": "Europe/Atlantis"}, "IANA time zone"),
        ({"time_zone": "../../etc/passwd"}, "IANA time zone"),
        ({"start": "2027-03-28T02:30", "recurrence": None}, "does not exist in Europe/Paris"),
        ({"start": "2020-01-06T10:00", "recurrence": None}, "in the future"),
        ({"start": "2027-03-22 10:00"}, "start"),
        ({"duration_minutes": 4}, "duration_minutes"),
        ({"duration_minutes": 12 * 60 + 1}, "at most 720 minutes"),
        ({"duration_minutes": "45"}, "duration_minutes"),
        ({"title": "Point\r\nBcc: victim@example.fr"}, "control characters"),
        ({"title": "Point\u202ehebdo"}, "invisible formatting"),
        ({"title": " "}, "must not be empty"),
        ({"title": "x" * 201}, "at most 200"),
        ({"attendees": [{"email": "not-an-address"}]}, "valid e-mail"),
        ({"attendees": [{"email": "a@example.fr\r\nBcc: v@x.fr"}]}, "valid e-mail"),
        ({"attendees": [{"email": "a@example.fr", "name": "Eve\nBcc: v@x.fr"}]}, "control"),
        ({"attendees": [{"email": "a@example.fr"}, {"email": "A@example.fr"}]}, "only once"),
        ({"attendees": [{"email": f"p{i}@example.fr"} for i in range(101)]}, "at most 100"),
        ({"attendees": [{"email": EMAILS["pierre"]}]}, "organiser"),
        ({"recurrence": {"frequency": "weekly", "days": ["MO"]}}, "count or on a date"),
        ({"recurrence": {"frequency": "weekly", "days": ["TU"], "count": 2}}, "first meeting's day"),
        ({"recurrence": {"frequency": "daily", "count": 201}}, "recurrence.count"),
        ({"recurrence": {"frequency": "daily", "until": "2030-01-01"}}, "at most 200"),
        ({"recurrence": {"frequency": "yearly", "count": 2}}, "frequency"),
        ({"recurrence": {"frequency": "daily", "count": 2, "byhour": 3}}, "byhour"),
        ({"organiser": "marie"}, "organiser"),
    ],
)
def test_meetings_invalid_input_is_refused_with_a_reason(
    people: dict[str, Browser], change: dict[str, Any], complaint: str
) -> None:
    """Every field is checked at the edge; the 422 says what is wrong, and nothing is sent."""
    reply = people["pierre"].http.post(
        "/api/v1/meetings", json=_weekly_over_the_spring_change(**change)
    )
    assert reply.status_code == 422, reply.text
    assert complaint in reply.json()["error"]["message"]
