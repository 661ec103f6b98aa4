"""Calendars (CalDAV): meetings written into the organiser's calendar and read back.

The public surface, for the scheduling code and the container:

- :class:`Calendars` (the service the container holds as ``container.calendars``):
  ``write_event(organiser, uid, ics_text)``, ``remove_event(organiser, uid)`` (never raise;
  they return a :class:`CalendarOutcome`), ``upcoming(user, start, end)``, ``test(user)``;
- :class:`CalDavClient`: the CalDAV requests for one :class:`CalendarAccount`
  (``put_event``, ``get_event``, ``delete_event``, ``upcoming``, ``check``,
  ``create_calendar``), raising :class:`CalendarError`;
- :func:`check_calendar_url` and :func:`guarded_client`: the URL checks and the SSRF guard.
"""

from visio.calendars.account import AccountSource, CalendarAccount
from visio.calendars.addresses import check_calendar_url, fill_template, guarded_client
from visio.calendars.client import CalDavClient, CalendarInfo, StoredEvent
from visio.calendars.errors import CalendarError, CalendarFailure
from visio.calendars.ical import Occurrence, calendar_resource
from visio.calendars.passwords import PasswordSeal, SealedPasswordError
from visio.calendars.repository import CalendarAccounts, PersonalCalendar
from visio.calendars.service import CalendarOutcome, CalendarPolicy, Calendars

__all__ = [
    "AccountSource",
    "CalDavClient",
    "CalendarAccount",
    "CalendarAccounts",
    "CalendarError",
    "CalendarFailure",
    "CalendarInfo",
    "CalendarOutcome",
    "CalendarPolicy",
    "Calendars",
    "Occurrence",
    "PasswordSeal",
    "PersonalCalendar",
    "SealedPasswordError",
    "StoredEvent",
    "calendar_resource",
    "check_calendar_url",
    "fill_template",
    "guarded_client",
]
