"""The iCalendar objects Visio sends (RFC 5545, RFC 5546 iTIP), built with ``icalendar``.

A scheduled meeting is one VEVENT with a stable UID; every change raises its SEQUENCE. Invitations
and updates are ``METHOD:REQUEST``, cancellations ``METHOD:CANCEL`` with ``STATUS:CANCELLED``.
Times are local to the meeting's IANA zone (``DTSTART;TZID=Europe/Paris``) with the VTIMEZONE
that describes it, so a weekly meeting keeps its hour across a change of clocks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from icalendar import Alarm, Calendar, Event, Timezone, vCalAddress, vRecur, vText

from visio.scheduling.recurrence import When

Method = Literal["REQUEST", "CANCEL"]
PRODUCT_ID = "-//Visio//Scheduled meetings//EN"
ALARM_BEFORE = timedelta(minutes=10)


@dataclass(frozen=True)
class Person:
    email: str
    name: str | None = None
    partstat: str = "NEEDS-ACTION"


@dataclass(frozen=True)
class MeetingEvent:
    """Everything the VEVENT says about one scheduled meeting."""

    uid: str
    title: str
    when: When
    room_url: str
    organiser: Person
    attendees: tuple[Person, ...]
    sequence: int
    description: str
    created_at: datetime
    updated_at: datetime


def _address(person: Person, *, attendee: bool) -> vCalAddress:
    address = vCalAddress(f"mailto:{person.email}")
    if person.name:
        address.params["CN"] = vText(person.name)
    if attendee:
        address.params["CUTYPE"] = "INDIVIDUAL"
        address.params["ROLE"] = "REQ-PARTICIPANT"
        address.params["PARTSTAT"] = person.partstat
        address.params["RSVP"] = "TRUE"
    return address


def _rrule(when: When) -> vRecur | None:
    r = when.recurrence
    if r is None:
        return None
    rule: dict[str, object] = {"FREQ": r.frequency.upper()}
    if r.interval != 1:
        rule["INTERVAL"] = r.interval
    if r.frequency == "weekly":
        rule["BYDAY"] = list(r.days)
    if r.count is not None:
        rule["COUNT"] = r.count
    until = when.until_local()
    if until is not None:
        rule["UNTIL"] = until.astimezone(UTC)  # UNTIL is UTC when DTSTART has a TZID
    return vRecur(rule)


def event(meeting: MeetingEvent, *, cancelled: bool = False) -> Event:
    """The VEVENT of ``meeting`` (cancelled: the same event marked STATUS:CANCELLED)."""
    when = meeting.when
    vevent = Event()
    vevent.add("uid", meeting.uid)
    vevent.add("sequence", meeting.sequence)
    vevent.add("dtstamp", datetime.now(UTC))
    vevent.add("created", meeting.created_at.astimezone(UTC))
    vevent.add("last-modified", meeting.updated_at.astimezone(UTC))
    vevent.add("summary", meeting.title)
    vevent.add("dtstart", when.aware_start)
    vevent.add("duration", when.duration)
    rule = _rrule(when)
    if rule is not None:
        vevent.add("rrule", rule)
    vevent.add("location", meeting.room_url)
    vevent.add("url", meeting.room_url)
    vevent.add("description", meeting.description)
    vevent.add("organizer", _address(meeting.organiser, attendee=False))
    for person in meeting.attendees:
        vevent.add("attendee", _address(person, attendee=True), encode=False)
    vevent.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    vevent.add("transp", "OPAQUE")
    vevent.add("class", "PUBLIC")
    if not cancelled:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", meeting.title)
        alarm.add("trigger", -ALARM_BEFORE)
        vevent.add_component(alarm)
    return vevent


def calendar(meeting: MeetingEvent, method: Method) -> Calendar:
    """A whole VCALENDAR for ``method``, with the VTIMEZONE of the meeting's zone."""
    when = meeting.when
    cal = Calendar()
    cal.add("prodid", PRODUCT_ID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    first = when.start.date() - timedelta(days=1)
    last = when.last_end().date() + timedelta(days=2)
    cal.add_component(Timezone.from_tzid(when.zone, first_date=first, last_date=last))
    cal.add_component(event(meeting, cancelled=method == "CANCEL"))
    return cal


def calendar_text(meeting: MeetingEvent, method: Method) -> str:
    text: str = calendar(meeting, method).to_ical().decode("utf-8")
    return text
