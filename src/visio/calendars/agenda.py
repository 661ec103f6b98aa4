""" "My meetings": one list of a person's upcoming meetings, from Visio and from their calendar.

Two places know about a person's meetings: the meetings scheduled in Visio (they organise them
or are invited) and their own CalDAV calendar, which holds the meetings Visio wrote there and
any other event that links to a Visio room (an invitation someone else's calendar sent, a link
pasted by hand). :class:`Agenda` reads both and gives one list of occurrences, recurrences
expanded, each once: an event of the calendar whose UID is a Visio meeting's is that meeting
(Visio's copy is the one that counts; the calendar's only says it is there too). A calendar
that cannot be read never hides Visio's own meetings: the list says why it is incomplete.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from visio.auth.users import User
from visio.calendars.errors import CalendarError
from visio.calendars.ical import Occurrence
from visio.calendars.service import Calendars
from visio.ratelimit import RateLimit
from visio.rooms.slugs import SLUG_PATTERN
from visio.scheduling.service import MeetingScheduler, UpcomingMeeting

MAX_ENTRIES = 500
"""The most occurrences one list holds (a daily meeting over a year is 366)."""

Source = Literal["visio", "calendar"]
CalendarStatus = Literal["none", "ok", "failed"]


@dataclass(frozen=True)
class AgendaEntry:
    """One occurrence of a meeting, its times in the reader's zone."""

    uid: str
    title: str
    start: datetime
    end: datetime
    all_day: bool
    room: str | None
    """The Visio room's code (every entry has one, except a Visio meeting whose room is gone)."""
    source: Source
    """``visio``: scheduled in Visio; ``calendar``: only in the person's calendar."""
    in_calendar: bool
    """The person's calendar holds this meeting too (always true for ``calendar``)."""
    cancelled: bool
    meeting_id: str | None = None
    """The scheduled meeting's id (``visio`` only), to change or cancel it."""
    can_edit: bool = False
    recurring: bool = False
    organiser: str | None = None
    invitees: int | None = None


@dataclass(frozen=True)
class AgendaList:
    entries: list[AgendaEntry]
    calendar: CalendarStatus
    """``none``: no calendar is connected; ``ok``: it was read; ``failed``: it could not be
    (``failure`` says why) and the list holds Visio's meetings only."""
    failure: CalendarError | None = None


def room_of(occurrence: Occurrence, public_url: str | None) -> str | None:
    """The Visio room an event's URL or location links to, if any (with ``public_url``, only
    a room of this deployment counts)."""
    for link in (occurrence.url, occurrence.location):
        if not link:
            continue
        for candidate in re.findall(r"https?://[^\s<>\"]+", link):
            if public_url and not candidate.startswith(public_url.rstrip("/") + "/"):
                continue
            slug = urlsplit(str(candidate)).path.strip("/")
            if SLUG_PATTERN.match(slug):
                return slug
    return None


class Agenda:
    """Builds "My meetings" from the scheduler and the calendars; ``calendar_reads`` limits
    how often one person makes Visio call their calendar server (a refused read is reported
    like a failed one)."""

    def __init__(
        self,
        scheduler: MeetingScheduler,
        calendars: Calendars,
        calendar_reads: RateLimit,
        public_url: str | None,
    ) -> None:
        self._scheduler = scheduler
        self._calendars = calendars
        self._calendar_reads = calendar_reads
        self._public_url = public_url

    async def upcoming(self, user: User, zone: ZoneInfo, days: int) -> AgendaList:
        """``user``'s meetings from now to ``days`` days later, soonest first, in ``zone``."""
        start = datetime.now(zone)
        visio = await self._scheduler.upcoming(user, days, cancelled=True)
        status: CalendarStatus = "none"
        failure: CalendarError | None = None
        found: list[Occurrence] = []
        try:
            account = await self._calendars.account_for(user)
            if account is not None:
                if not await self._calendar_reads.allow(f"user:{user.id}"):
                    raise CalendarError(
                        "rate_limited", "too many calendar reads in a minute; try again soon"
                    )
                # All-day events start at midnight in the reader's zone (``start``'s).
                found = await self._calendars.upcoming(user, start, start + timedelta(days=days))
                status = "ok"
        except CalendarError as exc:
            status, failure = "failed", exc
        return AgendaList(self._merge(visio, found, zone), status, failure)

    def _merge(
        self, visio: list[UpcomingMeeting], calendar: list[Occurrence], zone: ZoneInfo
    ) -> list[AgendaEntry]:
        known = {item.meeting.uid for item in visio}
        in_calendar = {o.uid for o in calendar}
        entries = [
            AgendaEntry(
                uid=item.meeting.uid,
                title=item.meeting.title,
                start=occurrence.start.astimezone(zone),
                end=occurrence.end.astimezone(zone),
                all_day=False,
                room=item.meeting.room_slug,
                source="visio",
                in_calendar=item.meeting.uid in in_calendar,
                cancelled=item.meeting.status == "cancelled",
                meeting_id=item.meeting.public_id,
                can_edit=item.can_edit,
                recurring=item.meeting.when.recurrence is not None,
                organiser=item.meeting.organiser_name,
                invitees=len(item.meeting.attendees),
            )
            for item in visio
            for occurrence in item.occurrences
        ]
        recurring = {o.uid for o in calendar if o.recurrence_id is not None}
        for occurrence in calendar:
            if occurrence.uid in known:
                continue  # the same meeting, as Visio wrote it there (matched by UID)
            room = room_of(occurrence, self._public_url)
            if room is None:
                continue
            entries.append(
                AgendaEntry(
                    uid=occurrence.uid,
                    title=occurrence.summary,
                    start=occurrence.start.astimezone(zone),
                    end=occurrence.end.astimezone(zone),
                    all_day=occurrence.all_day,
                    room=room,
                    source="calendar",
                    in_calendar=True,
                    cancelled=occurrence.cancelled,
                    recurring=occurrence.uid in recurring,
                )
            )
        entries.sort(key=lambda e: (e.start, e.end, e.title, e.uid))
        return entries[:MAX_ENTRIES]
