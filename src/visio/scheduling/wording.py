"""A meeting's time and recurrence in words, in French or English, for the mail templates (the
words themselves live in ``visio/mail/templates/words.*.json``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import cast

from visio.mail.templates import Language, words
from visio.scheduling.recurrence import WEEKDAYS, When


def _word_list(language: Language, key: str) -> list[str]:
    return cast(list[str], words(language)[key])


def _phrase(language: Language, key: str, **values: object) -> str:
    return str(words(language)[key]).format(**values)


def day(language: Language, moment: date) -> str:
    return _phrase(
        language,
        "date",
        weekday=_word_list(language, "days")[moment.weekday()],
        day=moment.day,
        month=_word_list(language, "months")[moment.month - 1],
        year=moment.year,
    )


def when_text(language: Language, when: When) -> str:
    """``Monday 23 March 2026, 10:00 to 10:45 (Europe/Paris)``."""
    start: datetime = when.start
    end = start + when.duration
    return _phrase(
        language,
        "when",
        date=day(language, start.date()),
        start=f"{start:%H:%M}",
        end=f"{end:%H:%M}",
        zone=when.zone,
    )


def recurrence_text(language: Language, when: When) -> str:
    """``Repeats every week on Monday, 10 times.``, or nothing for a single meeting."""
    r = when.recurrence
    if r is None:
        return ""
    suffix = "" if r.interval == 1 else "_n"
    names = _word_list(language, "days")
    if r.frequency == "weekly":
        days = [names[WEEKDAYS.index(d)] for d in WEEKDAYS if d in r.days]
        joined = (
            days[0]
            if len(days) == 1
            else ", ".join(days[:-1]) + str(words(language)["and"]) + days[-1]
        )
        rule = _phrase(language, "weekly" + suffix, n=r.interval, days=joined)
    elif r.frequency == "monthly":
        rule = _phrase(language, "monthly" + suffix, n=r.interval, day=when.start.day)
    else:
        rule = _phrase(language, "daily" + suffix, n=r.interval)
    end = (
        _phrase(language, "count", n=r.count)
        if r.count is not None
        else _phrase(language, "until", date=day(language, r.until or when.start.date()))
    )
    return _phrase(language, "repeats", rule=rule, end=end)
