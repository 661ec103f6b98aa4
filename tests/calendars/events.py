"""iCalendar texts for the tests: a weekly meeting in Europe/Paris, as an invitation."""

from __future__ import annotations

PARIS = """BEGIN:VTIMEZONE
TZID:Europe/Paris
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:CEST
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:CET
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE"""


def weekly_meeting(
    uid: str,
    *,
    summary: str = "Point hebdo",
    sequence: int = 0,
    first_day: str = "20261013",
    count: int = 5,
    room_url: str = "https://visio.example.gouv.fr/abc-defg-hij",
    method: str | None = "REQUEST",
    status: str | None = None,
) -> str:
    """A weekly 10:00-11:00 (Paris time) meeting from ``first_day``, ``count`` times: from
    13 October 2026 it crosses the end of summer time (25 October)."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Visio tests//FR",
        *([f"METHOD:{method}"] if method else []),
        PARIS,
        "BEGIN:VEVENT",
        f"UID:{uid}",
        "DTSTAMP:20261001T080000Z",
        f"SEQUENCE:{sequence}",
        f"DTSTART;TZID=Europe/Paris:{first_day}T100000",
        f"DTEND;TZID=Europe/Paris:{first_day}T110000",
        f"RRULE:FREQ=WEEKLY;COUNT={count}",
        f"SUMMARY:{summary}",
        f"LOCATION:{room_url}",
        f"URL:{room_url}",
        "ORGANIZER;CN=Alice:mailto:alice@example.gouv.fr",
        "ATTENDEE;CN=Bob;RSVP=TRUE:mailto:bob@example.gouv.fr",
        *([f"STATUS:{status}"] if status else []),
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "\r\n".join(lines) + "\r\n"
