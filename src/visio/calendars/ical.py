"""The iCalendar side: turning a scheduling message into a CalDAV resource, and a calendar's
resources into the occurrences people see (recurrences expanded in the event's own zone)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import icalendar
import recurring_ical_events

from visio.calendars.errors import CalendarError

MAX_EVENT_BYTES = 256 * 1024
"""The largest event Visio writes (a meeting with a few hundred invitees fits easily)."""


@dataclass(frozen=True)
class Occurrence:
    """One occurrence of an event between two moments: a single event, or one of a recurring
    event's, with its own start (in the event's time zone, DST applied) and end."""

    uid: str
    summary: str
    start: datetime
    end: datetime
    all_day: bool
    time_zone: str | None
    """The event's TZID (``Europe/Paris``), or None for UTC or floating times."""
    location: str | None
    url: str | None
    recurrence_id: datetime | None
    """Which occurrence of a recurring event this is (its original start); None for a single
    event."""
    sequence: int
    cancelled: bool = False
    """``STATUS:CANCELLED``: the event (or this occurrence of it) will not take place."""


def calendar_resource(uid: str, ics_text: str) -> bytes:
    """The CalDAV resource for the event ``uid`` from an iCalendar text such as an invitation.

    A calendar resource is not a scheduling message: ``METHOD`` is removed (RFC 4791 section
    4.1). Every component must carry ``uid`` (one event, its overrides); attendees are marked
    ``SCHEDULE-AGENT=CLIENT`` (RFC 6638) because Visio sends the invitations itself, so a
    server with scheduling does not send them a second time."""
    if len(ics_text.encode("utf-8", "surrogatepass")) > MAX_EVENT_BYTES:
        raise CalendarError("invalid_event", f"the event is larger than {MAX_EVENT_BYTES} bytes")
    try:
        calendar = icalendar.Calendar.from_ical(ics_text)
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise CalendarError("invalid_event", f"the event is not iCalendar text ({exc})") from None
    if not isinstance(calendar, icalendar.Calendar):
        raise CalendarError("invalid_event", "the text is not a VCALENDAR")
    calendar.pop("METHOD", None)
    events = list(calendar.walk("VEVENT"))
    if not events:
        raise CalendarError("invalid_event", "the calendar holds no VEVENT")
    for component in calendar.subcomponents:
        if component.name == "VTIMEZONE":
            continue
        if component.name != "VEVENT" or str(component.get("UID", "")) != uid:
            raise CalendarError(
                "invalid_event", f"every component must be a VEVENT with UID {uid!r}"
            )
        attendees = component.get("ATTENDEE")
        for attendee in attendees if isinstance(attendees, list) else [attendees]:
            if attendee is not None:
                attendee.params["SCHEDULE-AGENT"] = "CLIENT"
    return bytes(calendar.to_ical())


def _as_datetime(value: date | datetime, zone: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.combine(value, time(0), tzinfo=zone)


TOO_FREQUENT = frozenset({"SECONDLY", "MINUTELY", "HOURLY"})
"""Recurrences Visio does not expand: a meeting never repeats every second, minute or hour, and
such a rule in a calendar would make the expansion run for a very long time."""


def occurrences(
    resources: list[str], start: datetime, end: datetime, limit: int
) -> list[Occurrence]:
    """The occurrences of the events in ``resources`` (iCalendar texts) that overlap
    [``start``, ``end``), earliest first, at most ``limit``. A resource that cannot be read,
    or whose rule repeats every second, minute or hour, is skipped (another client wrote it).
    CPU-bound: call it from a worker thread."""
    found: list[Occurrence] = []
    for text in resources:
        try:
            calendar = icalendar.Calendar.from_ical(text)
            events = list(calendar.walk("VEVENT"))
            if any(_frequency(event) in TOO_FREQUENT for event in events):
                continue
            recurring = {
                str(event.get("UID", ""))
                for event in events
                if "RRULE" in event or "RDATE" in event or "RECURRENCE-ID" in event
            }
            # after() yields in order, lazily: stop at the end of the range or at the limit.
            taken = 0
            for component in recurring_ical_events.of(calendar).after(start):
                occurrence = _occurrence(component, start.tzinfo, recurring)
                if occurrence is None:
                    continue
                if occurrence.start >= end or taken >= limit:
                    break
                found.append(occurrence)
                taken += 1
        except (ValueError, KeyError, TypeError, IndexError, AttributeError):
            continue
    found.sort(key=lambda o: (o.start, o.uid))
    return found[:limit]


def _frequency(event: Any) -> str | None:
    rule = event.get("RRULE")
    rules = rule if isinstance(rule, list) else [rule]
    for item in rules:
        if item is not None and item.get("FREQ"):
            return str(item["FREQ"][0]).upper()
    return None


def _occurrence(component: Any, zone: Any, recurring: set[str]) -> Occurrence | None:
    if component.name != "VEVENT" or "DTSTART" not in component:
        return None
    raw_start = component["DTSTART"].dt
    all_day = not isinstance(raw_start, datetime)
    begin = _as_datetime(raw_start, zone)
    if "DTEND" in component:
        finish = _as_datetime(component["DTEND"].dt, zone)
    elif "DURATION" in component:
        finish = begin + component["DURATION"].dt
    else:
        finish = begin + (timedelta(days=1) if all_day else timedelta(0))
    uid = str(component.get("UID", ""))
    # recurring_ical_events gives every occurrence a RECURRENCE-ID, single events included.
    recurrence = component.get("RECURRENCE-ID") if uid in recurring else None
    tzid = component["DTSTART"].params.get("TZID")
    return Occurrence(
        uid=uid,
        summary=str(component.get("SUMMARY", "")),
        start=begin,
        end=finish,
        all_day=all_day,
        time_zone=str(tzid) if tzid else None,
        location=str(component["LOCATION"]) if "LOCATION" in component else None,
        url=str(component["URL"]) if "URL" in component else None,
        recurrence_id=_as_datetime(recurrence.dt, zone) if recurrence is not None else None,
        sequence=int(component.get("SEQUENCE", 0)),
        cancelled=str(component.get("STATUS", "")).upper() == "CANCELLED",
    )
