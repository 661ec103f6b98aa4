"""REST routes for scheduled meetings and invitee suggestions: thin handlers that parse,
delegate to :class:`visio.scheduling.service.MeetingScheduler` and shape the reply."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal

from email_validator import EmailNotValidError, validate_email
from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictInt, StrictStr

from visio.auth.dependencies import RequiredSession, origin_of
from visio.auth.users import User
from visio.container import Container
from visio.edge.urls import public_base_url
from visio.errors import ApiProblem, ErrorReply
from visio.mail.templates import Language
from visio.rooms.slugs import normalise_slug
from visio.scheduling.recurrence import MAX_OCCURRENCES, Recurrence, Weekday, When
from visio.scheduling.repository import Attendee, StoredMeeting
from visio.scheduling.service import MeetingDraft, MeetingScheduler, UpcomingMeeting
from visio.text import one_line

router = APIRouter(prefix="/api/v1", tags=["meetings"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorReply, "description": "not signed in"},
    403: {"model": ErrorReply, "description": "refused (CSRF, or the room's policy)"},
    404: {"model": ErrorReply, "description": "no such meeting or room"},
    422: {"model": ErrorReply, "description": "invalid meeting"},
    429: {"model": ErrorReply, "description": "too many changes; wait a minute"},
}

MeetingTitle = Annotated[str, AfterValidator(one_line(200))]
PersonName = Annotated[str, AfterValidator(one_line(120))]
MeetingId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]


def _email(value: str) -> str:
    if len(value) > 254:
        raise ValueError("is too long for an e-mail address")
    try:
        checked = validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"is not a valid e-mail address ({exc})") from None
    return checked.normalized.lower()


def _room(value: str) -> str:
    slug = normalise_slug(value)
    if slug is None:
        raise ValueError("a room code looks like abc-defg-hij (10 letters)")
    return slug


def _local_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError("must be a date such as 2026-12-31") from None


EmailAddress = Annotated[StrictStr, AfterValidator(_email)]
RoomCode = Annotated[StrictStr, Field(max_length=40), AfterValidator(_room)]
LocalDate = Annotated[
    StrictStr, Field(pattern=r"^\d{4}-\d{2}-\d{2}$"), AfterValidator(_local_date)
]


class AttendeeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: EmailAddress
    name: PersonName | None = None
    language: Language | None = None
    """The invitee's language for the e-mail (default: the meeting's)."""


class RecurrenceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    frequency: Literal["daily", "weekly", "monthly"]
    interval: Annotated[StrictInt, Field(ge=1, le=12)] = 1
    days: Annotated[list[Weekday], Field(max_length=7)] = []
    """Weekly only: the days it takes place (the first meeting's day among them)."""
    count: Annotated[StrictInt, Field(ge=1, le=MAX_OCCURRENCES)] | None = None
    until: LocalDate | None = None
    """The last day (in the meeting's zone); give ``count`` or ``until``."""


class MeetingChange(BaseModel):
    """A meeting as the scheduling form sends it."""

    model_config = ConfigDict(extra="forbid")
    title: MeetingTitle
    start: Annotated[StrictStr, Field(pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$")]
    """The local start, ``2026-03-23T10:00``, in ``time_zone``."""
    time_zone: Annotated[StrictStr, Field(max_length=64)]
    """An IANA zone such as ``Europe/Paris``."""
    duration_minutes: Annotated[StrictInt, Field(ge=5, le=7 * 24 * 60)]
    recurrence: RecurrenceIn | None = None
    attendees: Annotated[list[AttendeeIn], Field(max_length=1000)] = []
    language: Language = "fr"
    """The language of the invitations (for invitees who have none of their own)."""


class MeetingCreate(MeetingChange):
    room: RoomCode | None = None
    """An existing room (of which the organiser is an owner or administrator); left out, a
    room is created for the meeting."""


class AttendeeOut(BaseModel):
    email: str
    name: str | None
    language: str | None
    partstat: str


class RecurrenceOut(BaseModel):
    frequency: str
    interval: int
    days: list[str]
    count: int | None
    until: date | None


class MeetingRoom(BaseModel):
    slug: str
    url: str


class MeetingOut(BaseModel):
    id: str
    title: str
    start: str
    time_zone: str
    duration_minutes: int
    recurrence: RecurrenceOut | None
    attendees: list[AttendeeOut]
    room: MeetingRoom
    organiser_name: str
    organiser_email: str | None
    sequence: int
    status: str
    language: str
    can_edit: bool
    created_at: datetime
    updated_at: datetime


class OccurrenceOut(BaseModel):
    start: datetime
    end: datetime


class UpcomingOut(BaseModel):
    meeting: MeetingOut
    occurrences: list[OccurrenceOut]


class MyMeetings(BaseModel):
    meetings: list[UpcomingOut]


class PersonSuggestion(BaseModel):
    email: str
    name: str


class PeopleSuggestions(BaseModel):
    people: list[PersonSuggestion]


def _container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


def _scheduler(request: Request) -> MeetingScheduler:
    scheduler: MeetingScheduler = _container(request).meetings
    return scheduler


def _draft(body: MeetingChange, room: str | None) -> MeetingDraft:
    recurrence = None
    if body.recurrence is not None:
        r = body.recurrence
        recurrence = Recurrence(
            frequency=r.frequency,
            interval=r.interval,
            days=tuple(sorted(set(r.days), key=r.days.index)),
            count=r.count,
            until=r.until,  # type: ignore[arg-type]
        )
    try:
        start = datetime.fromisoformat(body.start)
    except ValueError:
        raise ApiProblem(422, "invalid_schedule", "start is not a date and time") from None
    return MeetingDraft(
        title=body.title,
        when=When(start, body.time_zone, timedelta(minutes=body.duration_minutes), recurrence),
        attendees=tuple(Attendee(a.email, a.name, a.language) for a in body.attendees),
        language=body.language,
        room=room,
    )


def _out(meeting: StoredMeeting, can_edit: bool, base_url: str) -> MeetingOut:
    r = meeting.when.recurrence
    return MeetingOut(
        id=meeting.public_id,
        title=meeting.title,
        start=f"{meeting.when.start:%Y-%m-%dT%H:%M}",
        time_zone=meeting.when.zone,
        duration_minutes=int(meeting.when.duration.total_seconds() // 60),
        recurrence=RecurrenceOut(
            frequency=r.frequency, interval=r.interval, days=list(r.days), count=r.count,
            until=r.until,
        )
        if r
        else None,
        attendees=[
            AttendeeOut(email=a.email, name=a.name, language=a.language, partstat=a.partstat)
            for a in meeting.attendees
        ],
        room=MeetingRoom(slug=meeting.room_slug, url=f"{base_url}/{meeting.room_slug}"),
        organiser_name=meeting.organiser_name,
        organiser_email=meeting.organiser_email,
        sequence=meeting.sequence,
        status=meeting.status,
        language=meeting.language,
        can_edit=can_edit,
        created_at=meeting.created_at,
        updated_at=meeting.updated_at,
    )


def _upcoming(item: UpcomingMeeting, base_url: str) -> UpcomingOut:
    return UpcomingOut(
        meeting=_out(item.meeting, item.can_edit, base_url),
        occurrences=[OccurrenceOut(start=o.start, end=o.end) for o in item.occurrences],
    )


@router.post("/meetings", status_code=201, response_model=MeetingOut, responses=_ERRORS)
async def schedule_meeting(
    body: MeetingCreate, request: Request, session: RequiredSession
) -> MeetingOut:
    """Schedule a meeting: the room is made for it (or an existing one of yours is used) and
    every invitee gets an e-mail with the iCalendar invitation (METHOD:REQUEST)."""
    base = public_base_url(request, _container(request).settings)
    meeting = await _scheduler(request).schedule(
        session.user, _draft(body, body.room), origin_of(request), base
    )
    return _out(meeting, True, base)


@router.get("/me/meetings", response_model=MyMeetings, responses={401: _ERRORS[401]})
async def my_meetings(
    request: Request,
    session: RequiredSession,
    days: Annotated[int, Query(ge=1, le=366)] = 60,
) -> MyMeetings:
    """Meetings you organise or are invited to, with their occurrences in the next ``days``
    days (recurrences expanded), soonest first."""
    base = public_base_url(request, _container(request).settings)
    found = await _scheduler(request).upcoming(session.user, days)
    return MyMeetings(meetings=[_upcoming(item, base) for item in found])


@router.get("/meetings/{meeting_id}", response_model=MeetingOut, responses=_ERRORS)
async def get_meeting(
    meeting_id: MeetingId, request: Request, session: RequiredSession
) -> MeetingOut:
    """A meeting, for its organiser, the room's owners and administrators, and its invitees."""
    meeting, can_edit = await _scheduler(request).get(session.user, meeting_id)
    return _out(meeting, can_edit, public_base_url(request, _container(request).settings))


@router.put("/meetings/{meeting_id}", response_model=MeetingOut, responses=_ERRORS)
async def change_meeting(
    meeting_id: MeetingId, body: MeetingChange, request: Request, session: RequiredSession
) -> MeetingOut:
    """Change a meeting (organiser, or the room's owners and administrators): invitees get the
    update (SEQUENCE + 1), new ones an invitation, removed ones a cancellation."""
    base = public_base_url(request, _container(request).settings)
    meeting = await _scheduler(request).change(
        session.user, meeting_id, _draft(body, None), origin_of(request), base
    )
    return _out(meeting, True, base)


@router.delete("/meetings/{meeting_id}", status_code=204, responses=_ERRORS)
async def cancel_meeting(
    meeting_id: MeetingId, request: Request, session: RequiredSession
) -> Response:
    """Cancel a meeting: every invitee gets the cancellation (METHOD:CANCEL)."""
    base = public_base_url(request, _container(request).settings)
    await _scheduler(request).cancel(session.user, meeting_id, origin_of(request), base)
    return Response(status_code=204)


SEARCH_MIN_LENGTH = 2


@router.get("/directory/people", response_model=PeopleSuggestions, responses=_ERRORS)
async def suggest_people(
    request: Request,
    session: RequiredSession,
    q: Annotated[str, Query(max_length=100)],
) -> PeopleSuggestions:
    """People of the synced LDAP directory whose name or e-mail starts with ``q`` (at least
    two characters; 10 answers at most): invitee suggestions as the organiser types."""
    query = _query(q)
    container = _container(request)
    user: User = session.user
    if not await container.directory_search_rate.allow(f"user:{user.id}"):
        raise ApiProblem(429, "rate_limited", "too many searches; wait a moment")
    found = await container.directory_people.search(query, limit=10)
    return PeopleSuggestions(people=[PersonSuggestion(email=p.email, name=p.name) for p in found])


def _query(q: str) -> str:
    try:
        query = one_line(100)(q)
    except ValueError as exc:
        raise ApiProblem(422, "invalid_request", f"q {exc}") from None
    if len(query) < SEARCH_MIN_LENGTH:
        raise ApiProblem(
            422, "query_too_short", f"type at least {SEARCH_MIN_LENGTH} characters to search"
        )
    return query
