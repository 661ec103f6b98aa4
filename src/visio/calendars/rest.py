"""REST routes for a person's calendar: connect their own CalDAV calendar, test it, forget it,
list the events read from it, and "My meetings" (``/me/agenda``: Visio's meetings and the
calendar's, merged).

Browser sessions only (cookie and CSRF token, as every route without a token scope): an app
password is not something an API token should be able to replace or read. The password is
never sent back.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from fastapi import APIRouter, Query, Request, Response
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from visio.auth.dependencies import RequiredSession, container_of, origin_of
from visio.auth.sessions import Session
from visio.calendars.addresses import MAX_URL_LENGTH, check_calendar_url
from visio.calendars.agenda import AgendaEntry, room_of
from visio.calendars.errors import CalendarError
from visio.calendars.service import Calendars
from visio.edge.urls import public_base_url
from visio.errors import ApiProblem, ErrorReply
from visio.scheduling.recurrence import ScheduleError, time_zone
from visio.text import TextError, encodable, one_line, safe_for_output

router = APIRouter(prefix="/api/v1/me", tags=["calendar"])

REFUSALS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorReply, "description": "not signed in"},
    403: {"model": ErrorReply, "description": "CSRF token missing, or an API token was used"},
    429: {"model": ErrorReply, "description": "too many calendar requests; wait a minute"},
}
MAX_DAYS = 62


def _password(value: str) -> str:
    if not encodable(value) or any(not char.isprintable() for char in value):
        raise TextError("must be printable text")
    if not value:
        raise TextError("must not be empty")
    return value


class CalendarConnect(BaseModel):
    """A person's own calendar: the collection's URL, the user name and an app password
    (omit the password to keep the one stored)."""

    model_config = ConfigDict(extra="forbid", strict=True)
    url: Annotated[str, Field(max_length=MAX_URL_LENGTH), AfterValidator(one_line(MAX_URL_LENGTH))]
    username: Annotated[str, AfterValidator(one_line(320))]
    password: Annotated[
        str | None,
        Field(max_length=1000),
        AfterValidator(lambda value: None if value is None else _password(value)),
    ] = None


class PersonalCalendarInfo(BaseModel):
    url: str
    username: str
    updated_at: datetime
    checked_at: datetime | None
    failure: str | None
    """The reason code of the last failure with this calendar, None after a success."""
    failure_message: str | None


class CalendarSettings(BaseModel):
    """Which calendar the person's meetings go into; never a password."""

    personal_allowed: bool
    """Whether the operator lets people connect their own calendar."""
    deployment: bool
    """Whether the deployment gives this person a calendar (VISIO_CALDAV_URL)."""
    personal: PersonalCalendarInfo | None
    source: Literal["personal", "deployment"] | None
    """The calendar in use: the person's own first."""


class CalendarTest(BaseModel):
    """What "test connection" found: ``ok``, or the failure's reason and message."""

    ok: bool
    source: Literal["personal", "deployment"] | None
    display_name: str | None = None
    reason: str | None = None
    message: str | None = None


class Meeting(BaseModel):
    """One upcoming occurrence from the person's calendar."""

    uid: str
    summary: str
    start: datetime
    end: datetime
    all_day: bool
    time_zone: str | None
    location: str | None
    url: str | None
    room: str | None
    """The room's code when the meeting happens in a Visio room of this deployment."""
    recurrence_id: datetime | None


class MeetingList(BaseModel):
    configured: bool
    meetings: list[Meeting]


def _calendars(request: Request) -> Calendars:
    calendars: Calendars = container_of(request).calendars
    return calendars


async def _settings(request: Request, session: Session) -> CalendarSettings:
    calendars = _calendars(request)
    personal = (
        await calendars.accounts.get(session.user.id) if calendars.accounts is not None else None
    )
    deployment = bool(calendars.policy.deployment_url and session.user.email)
    return CalendarSettings(
        personal_allowed=calendars.personal_allowed,
        deployment=deployment,
        personal=PersonalCalendarInfo(**vars(personal)) if personal else None,
        source="personal" if personal else "deployment" if deployment else None,
    )


async def _limit(request: Request, session: Session) -> None:
    limiter = container_of(request).calendar_requests
    key = f"user:{session.user.id}"
    if not await limiter.allow(key):
        raise ApiProblem(
            429,
            "rate_limited",
            f"too many calendar requests; try again in {await limiter.retry_after(key)} s",
        )


@router.get("/calendar", response_model=CalendarSettings, responses=REFUSALS)
async def get_calendar(request: Request, session: RequiredSession) -> CalendarSettings:
    """Your calendar settings: your own calendar (never its password) or the deployment's."""
    return await _settings(request, session)


@router.put(
    "/calendar",
    response_model=CalendarSettings,
    responses={
        **REFUSALS,
        409: {"model": ErrorReply, "description": "the operator does not allow own calendars"},
        422: {"model": ErrorReply, "description": "the URL is refused, or a password is needed"},
    },
)
async def put_calendar(
    body: CalendarConnect, request: Request, session: RequiredSession
) -> CalendarSettings:
    """Connect your own calendar (or change it): Visio stores the app password encrypted."""
    container = container_of(request)
    calendars = _calendars(request)
    if calendars.accounts is None:
        raise ApiProblem(
            409,
            "personal_calendars_disabled",
            "this server does not let people connect their own calendar "
            "(the operator must set VISIO_CALDAV_ENCRYPTION_KEY)",
        )
    try:
        url = check_calendar_url(
            body.url,
            allow_http=calendars.policy.allow_http,
            allow_private=calendars.policy.allow_private,
        )
    except CalendarError as exc:
        raise ApiProblem(422, exc.reason, exc.message) from None
    saved = await calendars.accounts.save(session.user.id, url, body.username, body.password)
    if not saved:
        raise ApiProblem(422, "password_required", "give the calendar's (app) password")
    await container.audit.record(
        "calendar.connected",
        "success",
        origin_of(request),
        actor_user_id=session.user.id,
        actor=session.user.audit_label,
        provider=session.provider,
        target=f"user:{session.user.id}",
        details={
            "host": urlsplit(url).hostname,
            "username": body.username,
            "password_changed": body.password is not None,
        },
    )
    return await _settings(request, session)


@router.delete("/calendar", status_code=204, responses=REFUSALS)
async def delete_calendar(request: Request, session: RequiredSession) -> Response:
    """Forget your own calendar and its password (the deployment's, if any, is used again)."""
    container = container_of(request)
    calendars = _calendars(request)
    removed = calendars.accounts is not None and await calendars.accounts.forget(session.user.id)
    if removed:
        await container.audit.record(
            "calendar.disconnected",
            "success",
            origin_of(request),
            actor_user_id=session.user.id,
            actor=session.user.audit_label,
            provider=session.provider,
            target=f"user:{session.user.id}",
        )
    return Response(status_code=204)


@router.post("/calendar/test", response_model=CalendarTest, responses=REFUSALS)
async def test_calendar(request: Request, session: RequiredSession) -> CalendarTest:
    """Sign in to your calendar now and say whether Visio can write meetings into it."""
    await _limit(request, session)
    calendars = _calendars(request)
    try:
        account = await calendars.account_for(session.user)
        info = await calendars.test(session.user)
    except CalendarError as exc:
        await container_of(request).audit.record(
            "calendar.tested",
            "failure",
            origin_of(request),
            actor_user_id=session.user.id,
            actor=session.user.audit_label,
            provider=session.provider,
            target=f"user:{session.user.id}",
            details={"reason": exc.reason},
        )
        return CalendarTest(ok=False, source=None, reason=exc.reason, message=exc.message)
    if info is None or account is None:
        return CalendarTest(
            ok=False, source=None, reason="not_configured", message="no calendar is configured"
        )
    return CalendarTest(
        ok=True,
        source=account.source,
        display_name=safe_for_output(info.display_name, max_length=200)
        if info.display_name
        else None,
    )


def _web_link(url: str | None) -> str | None:
    """An event's URL when it is an http(s) link of sensible length (never ``javascript:``)."""
    if url and len(url) <= MAX_URL_LENGTH and re.match(r"https?://", url, re.IGNORECASE):
        return safe_for_output(url)
    return None


@router.get(
    "/calendar/meetings",
    response_model=MeetingList,
    responses={**REFUSALS, 502: {"model": ErrorReply, "description": "the calendar failed"}},
)
async def my_meetings(
    request: Request,
    session: RequiredSession,
    days: Annotated[int, Query(ge=1, le=MAX_DAYS)] = 14,
    everything: Annotated[bool, Query(alias="all")] = False,
) -> MeetingList:
    """Your upcoming meetings, read from your calendar: the Visio meetings of the next
    ``days`` days (every event with ``all=true``), recurrences expanded, earliest first."""
    await _limit(request, session)
    calendars = _calendars(request)
    public_url = container_of(request).settings.public_url
    start = datetime.now(UTC)
    try:
        account = await calendars.account_for(session.user)
        found = await calendars.upcoming(session.user, start, start + timedelta(days=days))
    except CalendarError as exc:
        raise ApiProblem(502, f"calendar_{exc.reason}", exc.message) from None
    meetings = []
    for occurrence in found:
        room = room_of(occurrence, str(public_url) if public_url else None)
        if room is None and not everything:
            continue
        meetings.append(
            Meeting(
                uid=safe_for_output(occurrence.uid, max_length=255),
                summary=safe_for_output(occurrence.summary, max_length=500),
                start=occurrence.start,
                end=occurrence.end,
                all_day=occurrence.all_day,
                time_zone=occurrence.time_zone,
                location=safe_for_output(occurrence.location, max_length=500)
                if occurrence.location
                else None,
                url=_web_link(occurrence.url),
                room=room,
                recurrence_id=occurrence.recurrence_id,
            )
        )
    return MeetingList(configured=account is not None, meetings=meetings)


MAX_AGENDA_DAYS = 366


class AgendaMeeting(BaseModel):
    """One occurrence in "My meetings"."""

    uid: str
    title: str
    start: datetime
    """In the time zone asked for (``tz``), with its offset."""
    end: datetime
    all_day: bool
    room: str | None
    """The Visio room's code."""
    room_url: str | None
    source: Literal["visio", "calendar"]
    """``visio``: scheduled in Visio; ``calendar``: read from your calendar only."""
    in_calendar: bool
    """Your calendar holds it too (a meeting found in both is listed once, matched by UID)."""
    cancelled: bool
    meeting_id: str | None
    """The scheduled meeting's id (``source`` ``visio``), for ``/api/v1/meetings/{id}``."""
    can_edit: bool
    recurring: bool
    organiser: str | None
    invitees: int | None


class AgendaCalendar(BaseModel):
    """Whether your calendar was read: ``none`` (no calendar), ``ok``, or ``failed`` (then the
    list holds Visio's meetings only, and ``reason``/``message`` say why)."""

    status: Literal["none", "ok", "failed"]
    reason: str | None = None
    message: str | None = None


class Agenda(BaseModel):
    time_zone: str
    calendar: AgendaCalendar
    meetings: list[AgendaMeeting]


def _agenda_meeting(entry: AgendaEntry, base_url: str) -> AgendaMeeting:
    return AgendaMeeting(
        uid=safe_for_output(entry.uid, max_length=255),
        title=safe_for_output(entry.title, max_length=500),
        start=entry.start,
        end=entry.end,
        all_day=entry.all_day,
        room=entry.room,
        room_url=f"{base_url}/{entry.room}" if entry.room else None,
        source=entry.source,
        in_calendar=entry.in_calendar,
        cancelled=entry.cancelled,
        meeting_id=entry.meeting_id,
        can_edit=entry.can_edit,
        recurring=entry.recurring,
        organiser=entry.organiser,
        invitees=entry.invitees,
    )


@router.get(
    "/agenda",
    response_model=Agenda,
    responses={401: REFUSALS[401], 422: {"model": ErrorReply, "description": "bad tz or days"}},
)
async def my_agenda(
    request: Request,
    session: RequiredSession,
    days: Annotated[int, Query(ge=1, le=MAX_AGENDA_DAYS)] = 60,
    tz: Annotated[str, Query(max_length=64)] = "UTC",
) -> Agenda:
    """My meetings: the occurrences of the next ``days`` days of the meetings you organise or
    are invited to in Visio and of the events of your calendar that link to a Visio room,
    each once, soonest first, times in the IANA zone ``tz`` (cancelled ones marked). When
    your calendar cannot be read, Visio's meetings are still listed and ``calendar`` says why."""
    try:
        zone = time_zone(tz)
    except ScheduleError as exc:
        raise ApiProblem(422, "invalid_time_zone", str(exc)) from None
    container = container_of(request)
    found = await container.agenda.upcoming(session.user, zone, days)
    base = public_base_url(request, container.settings)
    failure = found.failure
    return Agenda(
        time_zone=tz,
        calendar=AgendaCalendar(
            status=found.calendar,
            reason=failure.reason if failure else None,
            message=failure.message if failure else None,
        ),
        meetings=[_agenda_meeting(entry, base) for entry in found.entries],
    )
