"""Visio's CalDAV client against a real Radicale: write, read back, update, list, delete."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import icalendar
import pytest

from tests.calendars.conftest import account_at
from tests.calendars.events import weekly_meeting
from tests.calendars.radicale import RadicaleServer
from visio.calendars import CalDavClient, CalendarAccount, CalendarError
from visio.calendars.ical import occurrences

UID = "20261013-weekly@visio.example.gouv.fr"


def _event(ics: str) -> icalendar.Event:
    calendar = icalendar.Calendar.from_ical(ics)
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1
    return events[0]


async def test_caldav_put_creates_the_event_without_method(
    client: CalDavClient, alice: CalendarAccount, radicale: RadicaleServer
) -> None:
    """A new event is stored with its RRULE and VTIMEZONE, and without the invitation's METHOD."""
    stored = await client.put_event(alice, UID, weekly_meeting(UID))
    assert stored.etag
    raw = radicale.raw_event("alice", UID, alice.url.rstrip("/").rsplit("/", 1)[-1])
    assert raw.status_code == 200
    calendar = icalendar.Calendar.from_ical(raw.text)
    assert "METHOD" not in calendar
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Paris"]
    event = _event(raw.text)
    assert str(event["UID"]) == UID
    assert event["RRULE"]["FREQ"] == ["WEEKLY"]
    assert event["DTSTART"].params["TZID"] == "Europe/Paris"
    assert event["DTSTART"].dt == datetime(2026, 10, 13, 10, tzinfo=event["DTSTART"].dt.tzinfo)
    # Visio sends the invitations itself: a server with scheduling must not send them again.
    assert event["ATTENDEE"].params["SCHEDULE-AGENT"] == "CLIENT"


async def test_caldav_get_reads_the_event_back(
    client: CalDavClient, alice: CalendarAccount
) -> None:
    """The event read back is the one written, with the ETag the write returned."""
    written = await client.put_event(alice, UID, weekly_meeting(UID, summary="Revue"))
    read = await client.get_event(alice, UID)
    assert read is not None and read.etag == written.etag
    assert str(_event(read.ics)["SUMMARY"]) == "Revue"
    assert await client.get_event(alice, "no-such-event@visio") is None


async def test_caldav_put_again_updates_sequence_and_content(
    client: CalDavClient, alice: CalendarAccount
) -> None:
    """Writing the same UID again replaces the event (If-Match on the ETag Visio reads)."""
    first = await client.put_event(alice, UID, weekly_meeting(UID))
    second = await client.put_event(
        alice, UID, weekly_meeting(UID, summary="Point hebdo (déplacé)", sequence=1, count=3)
    )
    assert second.etag and second.etag != first.etag
    read = await client.get_event(alice, UID)
    assert read is not None
    event = _event(read.ics)
    assert int(event["SEQUENCE"]) == 1
    assert str(event["SUMMARY"]) == "Point hebdo (déplacé)"
    assert event["RRULE"]["COUNT"] == [3]


async def test_caldav_put_with_a_stale_etag_is_a_conflict(
    client: CalDavClient, alice: CalendarAccount
) -> None:
    """A write over a version that changed meanwhile is refused, not silently applied."""
    first = await client.put_event(alice, UID, weekly_meeting(UID))
    await client.put_event(alice, UID, weekly_meeting(UID, summary="Changed elsewhere"))
    with pytest.raises(CalendarError) as refused:
        await client.put_event(alice, UID, weekly_meeting(UID, summary="Stale"), etag=first.etag)
    assert refused.value.reason == "conflict"
    read = await client.get_event(alice, UID)
    assert read is not None and str(_event(read.ics)["SUMMARY"]) == "Changed elsewhere"


async def test_caldav_upcoming_expands_weekly_occurrences_across_the_dst_change(
    client: CalDavClient, alice: CalendarAccount
) -> None:
    """Five Tuesdays at 10:00 Paris time: 08:00 UTC before 25 October, 09:00 UTC after."""
    await client.put_event(alice, UID, weekly_meeting(UID))
    start = datetime(2026, 10, 1, tzinfo=UTC)
    found = await client.upcoming(alice, start, start + timedelta(days=60))
    assert [o.uid for o in found] == [UID] * 5
    local = [(o.start.date().isoformat(), o.start.hour, o.start.minute) for o in found]
    assert local == [
        ("2026-10-13", 10, 0),
        ("2026-10-20", 10, 0),
        ("2026-10-27", 10, 0),
        ("2026-11-03", 10, 0),
        ("2026-11-10", 10, 0),
    ]
    assert [o.start.astimezone(UTC).hour for o in found] == [8, 8, 9, 9, 9]
    assert [o.start.utcoffset() for o in found] == [timedelta(hours=2)] * 2 + [
        timedelta(hours=1)
    ] * 3
    assert all(o.end - o.start == timedelta(hours=1) for o in found)
    assert {o.time_zone for o in found} == {"Europe/Paris"}
    assert found[2].recurrence_id == found[2].start
    assert found[0].url == "https://visio.example.gouv.fr/abc-defg-hij"


async def test_caldav_upcoming_keeps_to_the_time_range(
    client: CalDavClient, alice: CalendarAccount
) -> None:
    """Only the occurrences inside the range come back: none before, none after."""
    await client.put_event(alice, UID, weekly_meeting(UID))
    start = datetime(2026, 10, 26, tzinfo=UTC)
    found = await client.upcoming(alice, start, start + timedelta(days=9))
    assert [o.start.date().isoformat() for o in found] == ["2026-10-27", "2026-11-03"]
    assert (
        await client.upcoming(
            alice, datetime(2027, 1, 1, tzinfo=UTC), datetime(2027, 2, 1, tzinfo=UTC)
        )
        == []
    )


async def test_caldav_delete_removes_the_event(
    client: CalDavClient, alice: CalendarAccount, radicale: RadicaleServer
) -> None:
    """A deleted event is gone; deleting it again says it was already gone."""
    await client.put_event(alice, UID, weekly_meeting(UID))
    assert await client.delete_event(alice, UID) is True
    assert await client.get_event(alice, UID) is None
    start = datetime(2026, 10, 1, tzinfo=UTC)
    assert await client.upcoming(alice, start, start + timedelta(days=60)) == []
    assert await client.delete_event(alice, UID) is False


async def test_caldav_wrong_password_is_a_clear_error(
    client: CalDavClient, alice: CalendarAccount
) -> None:
    """A refused password says so (and never repeats it)."""
    wrong = account_at(alice.url, password="not-the-password")
    for call in (
        client.put_event(wrong, UID, weekly_meeting(UID)),
        client.check(wrong),
        client.upcoming(
            wrong, datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC)
        ),
    ):
        with pytest.raises(CalendarError) as refused:
            await call
        assert refused.value.reason == "unauthorised"
        assert "user name or password" in refused.value.message
        assert "not-the-password" not in refused.value.message


async def test_caldav_check_tells_a_calendar_from_other_urls(
    client: CalDavClient, alice: CalendarAccount, radicale: RadicaleServer
) -> None:
    """check() accepts the calendar, refuses the person's home (not a calendar) and a missing one."""
    info = await client.check(alice)
    assert info.supports_events
    with pytest.raises(CalendarError) as home:
        await client.check(account_at(f"{radicale.url}/alice/"))
    assert home.value.reason == "not_a_calendar"
    with pytest.raises(CalendarError) as missing:
        await client.check(account_at(f"{radicale.url}/alice/no-such-calendar/"))
    assert missing.value.reason == "not_found"


async def test_caldav_someone_elses_calendar_is_forbidden(
    client: CalDavClient, alice: CalendarAccount
) -> None:
    """Bob's credentials on Alice's calendar: refused by the server, reported as forbidden."""
    with pytest.raises(CalendarError) as refused:
        await client.put_event(account_at(alice.url, "bob"), UID, weekly_meeting(UID))
    assert refused.value.reason == "forbidden"


async def test_caldav_refuses_events_that_are_not_the_uid(
    client: CalDavClient, alice: CalendarAccount
) -> None:
    """An iCalendar text for another UID, or not iCalendar at all, is refused before any request."""
    with pytest.raises(CalendarError) as other:
        await client.put_event(alice, UID, weekly_meeting("other@visio"))
    assert other.value.reason == "invalid_event"
    with pytest.raises(CalendarError) as garbage:
        await client.put_event(alice, UID, "hello")
    assert garbage.value.reason == "invalid_event"


async def test_caldav_server_down_is_unreachable(client: CalDavClient) -> None:
    """Nothing listening: a clear 'unreachable' error, not an exception from httpx."""
    from tests.support import free_port

    down = account_at(f"http://127.0.0.1:{free_port()}/alice/visio/")
    with pytest.raises(CalendarError) as refused:
        await client.check(down)
    assert refused.value.reason == "unreachable" and refused.value.transient


def test_caldav_occurrences_skip_rules_that_repeat_every_second() -> None:
    """An event repeating every second (years of it to expand: Radicale itself times out on
    it) is skipped by Visio's expansion, not expanded for minutes; the meeting beside it is
    still listed. (Through Radicale the same calendar gives a clear 'timeout'.)"""
    flood = weekly_meeting("flood@elsewhere", first_day="20200101").replace(
        "RRULE:FREQ=WEEKLY;COUNT=5", "RRULE:FREQ=SECONDLY"
    )
    start = datetime(2026, 10, 1, tzinfo=UTC)
    found = occurrences([flood, weekly_meeting(UID)], start, start + timedelta(days=60), 500)
    assert [o.uid for o in found] == [UID] * 5
    capped = occurrences([weekly_meeting(UID)], start, start + timedelta(days=60), 2)
    assert len(capped) == 2
