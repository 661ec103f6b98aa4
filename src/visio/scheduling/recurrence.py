"""When a scheduled meeting takes place: its start in a named IANA time zone, its duration, and
an optional RFC 5545 recurrence limited to what the form offers (daily, weekly on chosen days,
monthly on the start's day of the month; always ending, by a count or a date)."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any, Final, Literal

from dateutil.rrule import DAILY, MONTHLY, WEEKLY, rrule, weekday
from dateutil.rrule import FR as _FR
from dateutil.rrule import MO as _MO
from dateutil.rrule import SA as _SA
from dateutil.rrule import SU as _SU
from dateutil.rrule import TH as _TH
from dateutil.rrule import TU as _TU
from dateutil.rrule import WE as _WE

Frequency = Literal["daily", "weekly", "monthly"]
Weekday = Literal["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
WEEKDAYS: Final[tuple[Weekday, ...]] = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_DATEUTIL_DAYS: Final[dict[str, weekday]] = {
    "MO": _MO,
    "TU": _TU,
    "WE": _WE,
    "TH": _TH,
    "FR": _FR,
    "SA": _SA,
    "SU": _SU,
}
_FREQUENCIES: Final[dict[str, Literal[0, 1, 2, 3, 4, 5, 6]]] = {
    "daily": DAILY,
    "weekly": WEEKLY,
    "monthly": MONTHLY,
}

MAX_OCCURRENCES: Final = 200
"""A recurrence yields at most this many meetings (a count above it, or an end date that would
give more, is refused)."""
MAX_SPAN: Final = timedelta(days=2 * 366)
"""The last meeting is at most this long after the first."""


class ScheduleError(ValueError):
    """A start, zone or recurrence that cannot be accepted; the message says why."""


@cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def time_zone(name: str) -> zoneinfo.ZoneInfo:
    """The IANA zone of that name (``Europe/Paris``), or :class:`ScheduleError`."""
    if name not in _zones():
        raise ScheduleError(f"{name[:64]!r} is not an IANA time zone such as Europe/Paris")
    return zoneinfo.ZoneInfo(name)


@dataclass(frozen=True)
class Recurrence:
    frequency: Frequency
    interval: int = 1
    days: tuple[Weekday, ...] = ()
    count: int | None = None
    until: date | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "frequency": self.frequency,
            "interval": self.interval,
            "days": list(self.days),
            "count": self.count,
            "until": self.until.isoformat() if self.until else None,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Recurrence | None:
        if not data:
            return None
        return cls(
            frequency=data["frequency"],
            interval=int(data.get("interval") or 1),
            days=tuple(data.get("days") or ()),
            count=data.get("count"),
            until=date.fromisoformat(data["until"]) if data.get("until") else None,
        )


@dataclass(frozen=True)
class When:
    """A meeting's times: the wall-clock start in ``zone`` and the rest derived from it."""

    start: datetime
    """Naive, local to ``zone``."""
    zone: str
    duration: timedelta
    recurrence: Recurrence | None

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.zone)

    @property
    def aware_start(self) -> datetime:
        return self.start.replace(tzinfo=self.tzinfo)

    def until_local(self) -> datetime | None:
        """UNTIL as the last moment of the chosen day, in the zone."""
        if self.recurrence is None or self.recurrence.until is None:
            return None
        return datetime.combine(self.recurrence.until, self.start.time()).replace(
            tzinfo=self.tzinfo
        )

    def rule(self) -> rrule | None:
        """The recurrence as dateutil computes it (local wall-clock times, like iCalendar)."""
        if self.recurrence is None:
            return None
        r = self.recurrence
        options: dict[str, Any] = {"interval": r.interval, "dtstart": self.start}
        if r.frequency == "weekly":
            options["byweekday"] = [_DATEUTIL_DAYS[d] for d in r.days]
        if r.count is not None:
            options["count"] = r.count
        if r.until is not None:
            options["until"] = datetime.combine(r.until, self.start.time())
        return rrule(_FREQUENCIES[r.frequency], **options)

    def starts(self, limit: int = MAX_OCCURRENCES + 1) -> list[datetime]:
        """The local starts of every occurrence (up to ``limit``), aware in the zone."""
        rule = self.rule()
        if rule is None:
            return [self.aware_start]
        found = []
        for moment in rule:
            found.append(moment.replace(tzinfo=self.tzinfo))
            if len(found) >= limit:
                break
        return found

    def last_end(self) -> datetime:
        """The end of the last occurrence, in UTC."""
        return (self.starts()[-1] + self.duration).astimezone(UTC)


def check(when: When) -> None:
    """Refuse times that do not exist, and recurrences that never end or end too late."""
    zone = time_zone(when.zone)
    aware = when.start.replace(tzinfo=zone)
    round_trip = aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    if round_trip != when.start:
        raise ScheduleError(
            f"{when.start:%Y-%m-%d %H:%M} does not exist in {when.zone} (the clocks change "
            "then); choose another time"
        )
    r = when.recurrence
    if r is None:
        return
    if (r.count is None) == (r.until is None):
        raise ScheduleError("a recurrence ends either after a count or on a date (one of them)")
    if r.frequency == "weekly" and not r.days:
        raise ScheduleError("a weekly recurrence needs at least one day")
    if r.frequency == "weekly" and WEEKDAYS[when.start.weekday()] not in r.days:
        raise ScheduleError("the first meeting's day must be one of the days chosen")
    if r.frequency != "weekly" and r.days:
        raise ScheduleError("days go with a weekly recurrence only")
    if r.frequency == "monthly" and when.start.day > 28:
        raise ScheduleError(
            "a monthly meeting must start on one of the first 28 days (not every month has "
            "a 29th, 30th or 31st)"
        )
    if r.until is not None and r.until < when.start.date():
        raise ScheduleError("the recurrence must end after the first meeting")
    starts = when.starts()
    if len(starts) > MAX_OCCURRENCES:
        raise ScheduleError(f"a recurrence may hold at most {MAX_OCCURRENCES} meetings")
    if starts[-1] - starts[0] > MAX_SPAN:
        raise ScheduleError("a recurrence may last at most two years")
