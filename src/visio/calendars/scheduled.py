"""Meetings scheduled in Visio follow into the organiser's calendar: written when scheduled or
changed, removed when cancelled. The scheduler tells :class:`CalendarFollower` of every stored
change; the calendar side never fails the request (see :meth:`Calendars.write_event`)."""

from __future__ import annotations

from visio.calendars.service import Calendars
from visio.scheduling.service import CalendarChange


class CalendarFollower:
    """A listener of :class:`visio.scheduling.service.MeetingScheduler`."""

    def __init__(self, calendars: Calendars) -> None:
        self._calendars = calendars

    async def meeting_changed(self, change: CalendarChange) -> None:
        if change.action == "cancelled":
            await self._calendars.remove_event(change.organiser, change.meeting.uid)
        else:
            await self._calendars.write_event(change.organiser, change.meeting.uid, change.calendar)
