"""Scheduling meetings: each step authorised by :mod:`visio.rooms.policy`, recorded in the audit
trail, and announced to the invitees by e-mail with an iCalendar invitation (REQUEST), update
(REQUEST, SEQUENCE + 1) or cancellation (CANCEL).

Other calendars (CalDAV) hear about every change through :class:`CalendarListener`: each gets
the action and the VCALENDAR text once the change is stored."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Literal, Protocol

import recurring_ical_events
from sqlalchemy.ext.asyncio import AsyncSession

from visio.audit import AuditTrail, Origin
from visio.auth.users import User
from visio.errors import ApiProblem
from visio.mail import CalendarPart, Mailer, OutgoingMail, Recipient
from visio.mail.templates import Language, words
from visio.ratelimit import LimitCounters, RateLimit
from visio.rooms import policy
from visio.rooms.administration import RoomAdministration
from visio.scheduling.calendar import MeetingEvent, Method, Person, calendar, calendar_text
from visio.scheduling.recurrence import ScheduleError, When, check
from visio.scheduling.repository import Attendee, MeetingRepository, StoredMeeting
from visio.scheduling.wording import recurrence_text, when_text
from visio.settings import Settings
from visio.storage.models import utcnow

logger = logging.getLogger(__name__)

UID_DOMAIN = "visio"
CHANGES_PER_MINUTE = 30
"""Meetings one person may schedule, change or cancel a minute (each sends mail)."""
LATEST_START = timedelta(days=2 * 366)

Action = Literal["created", "updated", "cancelled"]


@dataclass(frozen=True)
class CalendarChange:
    """What a calendar (CalDAV) needs to follow one change: the action, the stored meeting,
    its organiser, and the event as a VCALENDAR (METHOD:REQUEST, or CANCEL when cancelled)."""

    action: Action
    meeting: StoredMeeting
    organiser: User
    calendar: str


class CalendarListener(Protocol):
    async def meeting_changed(self, change: CalendarChange) -> None: ...


@dataclass(frozen=True)
class MeetingDraft:
    """A meeting as the organiser filled the form in (already checked at the edge)."""

    title: str
    when: When
    attendees: tuple[Attendee, ...]
    language: Language
    room: str | None = None
    """An existing room's slug; None: a room is made for the meeting."""


@dataclass(frozen=True)
class Occurrence:
    start: datetime
    end: datetime


@dataclass(frozen=True)
class UpcomingMeeting:
    meeting: StoredMeeting
    occurrences: list[Occurrence]
    can_edit: bool


@dataclass
class MeetingScheduler:
    settings: Settings
    repository: MeetingRepository
    rooms: RoomAdministration
    audit: AuditTrail
    mailer: Mailer
    listeners: list[CalendarListener] = field(default_factory=list)
    """Told about every stored change (the CalDAV adapter registers here)."""
    rate: RateLimit = field(
        default_factory=lambda: RateLimit(
            "meeting_changes", CHANGES_PER_MINUTE, LimitCounters(None)
        )
    )
    """Meetings scheduled or changed per organiser (the container passes one shared by every
    app server)."""

    # ---- checks --------------------------------------------------------------------------

    def _check_draft(self, draft: MeetingDraft, organiser: User, *, new: bool) -> None:
        try:
            check(draft.when)
        except ScheduleError as exc:
            raise ApiProblem(422, "invalid_schedule", str(exc)) from None
        maximum = self.settings.meeting_max_duration_minutes
        if draft.when.duration > timedelta(minutes=maximum):
            raise ApiProblem(422, "invalid_schedule", f"a meeting lasts at most {maximum} minutes")
        now = utcnow()
        start = draft.when.aware_start
        if new and start < now - timedelta(hours=1):
            raise ApiProblem(422, "invalid_schedule", "the meeting must start in the future")
        if start > now + LATEST_START:
            raise ApiProblem(
                422, "invalid_schedule", "the meeting must start within the next two years"
            )
        if len(draft.attendees) > self.settings.meeting_max_invitees:
            raise ApiProblem(
                422,
                "too_many_invitees",
                f"a meeting may have at most {self.settings.meeting_max_invitees} invitees",
            )
        emails = [a.email for a in draft.attendees]
        if len(set(emails)) != len(emails):
            raise ApiProblem(422, "duplicate_invitee", "each invitee may appear only once")
        if organiser.email and organiser.email.lower() in emails:
            raise ApiProblem(422, "organiser_invited", "the organiser is not one of the invitees")

    async def _limit(self, user: User) -> None:
        if not await self.rate.allow(f"user:{user.id}"):
            raise ApiProblem(
                429, "rate_limited", "too many meetings scheduled or changed; wait a minute"
            )

    async def _refuse(
        self, decision: policy.Decision, event: str, user: User, origin: Origin, target: str
    ) -> None:
        if isinstance(decision, policy.Refusal):
            await self.audit.record(
                event,
                "failure",
                origin,
                actor_user_id=user.id,
                actor=user.audit_label,
                target=target,
                details={"reason": decision.code},
            )
            raise ApiProblem(decision.status, decision.code, decision.message)

    async def _success(
        self, event: str, user: User, origin: Origin, meeting: StoredMeeting, **details: object
    ) -> None:
        await self.audit.record(
            event,
            "success",
            origin,
            actor_user_id=user.id,
            actor=user.audit_label,
            target=meeting.room_slug,
            details={"meeting": meeting.public_id, "sequence": meeting.sequence, **details},
        )

    async def _meeting(self, public_id: str) -> StoredMeeting:
        meeting = await self.repository.get(f"{public_id}@{UID_DOMAIN}")
        if meeting is None:
            raise ApiProblem(404, "meeting_not_found", "there is no such scheduled meeting")
        return meeting

    async def _may_change(self, user: User, meeting: StoredMeeting) -> policy.Decision:
        room = await self.rooms.find(meeting.room_slug)
        actor = await self.rooms.actor(user, room)
        return policy.change_scheduled_meeting(actor, room, meeting.organiser_id)

    # ---- the iCalendar event and the mail --------------------------------------------------

    def _event(self, meeting: StoredMeeting, base_url: str) -> MeetingEvent:
        language = self.mailer.language(meeting.language)
        room_url = f"{base_url}/{meeting.room_slug}"
        description = f"{meeting.title}\n\n" + str(words(language)["join"]).format(url=room_url)
        return MeetingEvent(
            uid=meeting.uid,
            title=meeting.title,
            when=meeting.when,
            room_url=room_url,
            organiser=Person(meeting.organiser_email or "", meeting.organiser_name),
            attendees=tuple(Person(a.email, a.name, a.partstat) for a in meeting.attendees),
            sequence=meeting.sequence,
            description=description,
            created_at=meeting.created_at,
            updated_at=meeting.updated_at,
        )

    def _mails(
        self,
        meeting: StoredMeeting,
        event: MeetingEvent,
        to: Sequence[Attendee],
        template: str,
        method: Method,
    ) -> list[OutgoingMail]:
        if not self.mailer.enabled or not to:
            return []
        part = CalendarPart(calendar_text(event, method), method)
        organiser = Recipient(meeting.organiser_email or "", meeting.organiser_name)
        mails = []
        for attendee in to:
            language = self.mailer.language(attendee.language or meeting.language)
            mails.append(
                self.mailer.build(
                    f"meeting.{template}",
                    Recipient(attendee.email, attendee.name),
                    template,
                    language,
                    {
                        "name": attendee.name or attendee.email,
                        "organiser": meeting.organiser_name,
                        "title": meeting.title,
                        "when": when_text(language, meeting.when),
                        "recurrence": recurrence_text(language, meeting.when),
                        "room_url": event.room_url,
                    },
                    calendar=part,
                    reply_to=organiser if organiser.email else None,
                    sender_name=f"{meeting.organiser_name} (Visio)",
                )
            )
        return mails

    def _queue(self, session: AsyncSession, mails: list[OutgoingMail]) -> None:
        """The mail goes into the outbox in the same transaction as the change it announces:
        both are stored, or neither."""
        self.mailer.outbox.stage(session, mails)

    async def _announce(
        self, action: Action, meeting: StoredMeeting, organiser: User, event: MeetingEvent
    ) -> None:
        change = CalendarChange(
            action,
            meeting,
            organiser,
            calendar_text(event, "CANCEL" if action == "cancelled" else "REQUEST"),
        )
        for listener in self.listeners:
            try:
                await listener.meeting_changed(change)
            except Exception:
                logger.exception(
                    "calendar listener %s failed on meeting %s (%s)",
                    type(listener).__name__,
                    meeting.public_id,
                    action,
                )

    # ---- the actions -------------------------------------------------------------------------

    async def schedule(
        self, user: User, draft: MeetingDraft, origin: Origin, base_url: str
    ) -> StoredMeeting:
        """Store a new meeting (in a new room, or one the organiser administers) and invite."""
        if not user.email:
            raise ApiProblem(
                409,
                "organiser_without_email",
                "your account has no e-mail address; invitations need one to answer to",
            )
        self._check_draft(draft, user, new=True)
        await self._limit(user)
        if draft.room is not None:
            room = await self.rooms.find(draft.room)
            actor = await self.rooms.actor(user, room)
            await self._refuse(
                policy.schedule_in_room(actor, room), "meeting.scheduled", user, origin, room.slug
            )
        else:
            room = await self.rooms.create(user, draft.title[:120], "public", origin)

        async def invite(session: AsyncSession, meeting: StoredMeeting) -> None:
            event = self._event(meeting, base_url)
            self._queue(
                session, self._mails(meeting, event, meeting.attendees, "invitation", "REQUEST")
            )

        meeting = await self.repository.create(
            f"{secrets.token_hex(16)}@{UID_DOMAIN}",
            room.id,
            user.id,
            draft.title,
            draft.when,
            draft.language,
            draft.attendees,
            within=invite,
        )
        self.mailer.outbox.wake()
        event = self._event(meeting, base_url)
        await self._success(
            "meeting.scheduled", user, origin, meeting, invitees=len(meeting.attendees)
        )
        await self._announce("created", meeting, user, event)
        return meeting

    async def change(
        self, user: User, public_id: str, draft: MeetingDraft, origin: Origin, base_url: str
    ) -> StoredMeeting:
        """Change a meeting: everyone still invited gets the update (SEQUENCE + 1), people
        no longer invited a cancellation."""
        meeting = await self._meeting(public_id)
        await self._refuse(
            await self._may_change(user, meeting),
            "meeting.changed",
            user,
            origin,
            meeting.room_slug,
        )
        if meeting.status == "cancelled":
            raise ApiProblem(409, "meeting_cancelled", "this meeting was cancelled")
        self._check_draft(draft, user, new=False)
        await self._limit(user)
        before = meeting
        staying = {a.email for a in draft.attendees}
        known = {a.email for a in before.attendees}
        removed = [a for a in before.attendees if a.email not in staying]

        async def update(session: AsyncSession, meeting: StoredMeeting) -> None:
            event = self._event(meeting, base_url)
            still = [a for a in meeting.attendees if a.email in known]
            new = [a for a in meeting.attendees if a.email not in known]
            mails = self._mails(meeting, event, still, "update", "REQUEST")
            mails += self._mails(meeting, event, new, "invitation", "REQUEST")
            for person in removed:
                alone = replace(event, attendees=(Person(person.email, person.name),))
                mails += self._mails(meeting, alone, [person], "cancellation", "CANCEL")
            self._queue(session, mails)

        meeting = await self.repository.update(
            meeting.uid,
            title=draft.title,
            when=draft.when,
            language=draft.language,
            attendees=draft.attendees,
            reset_answers=draft.when != before.when,
            within=update,
        )
        self.mailer.outbox.wake()
        event = self._event(meeting, base_url)
        await self._success(
            "meeting.changed",
            user,
            origin,
            meeting,
            invitees=len(meeting.attendees),
            uninvited=len(removed),
        )
        await self._announce("updated", meeting, user, event)
        return meeting

    async def cancel(
        self, user: User, public_id: str, origin: Origin, base_url: str
    ) -> StoredMeeting:
        meeting = await self._meeting(public_id)
        await self._refuse(
            await self._may_change(user, meeting),
            "meeting.cancelled",
            user,
            origin,
            meeting.room_slug,
        )
        if meeting.status == "cancelled":
            raise ApiProblem(409, "meeting_cancelled", "this meeting was already cancelled")
        await self._limit(user)

        async def cancel(session: AsyncSession, meeting: StoredMeeting) -> None:
            event = self._event(meeting, base_url)
            self._queue(
                session, self._mails(meeting, event, meeting.attendees, "cancellation", "CANCEL")
            )

        meeting = await self.repository.cancel(meeting.uid, within=cancel)
        self.mailer.outbox.wake()
        event = self._event(meeting, base_url)
        await self._success("meeting.cancelled", user, origin, meeting)
        await self._announce("cancelled", meeting, user, event)
        return meeting

    async def get(self, user: User, public_id: str) -> tuple[StoredMeeting, bool]:
        """A meeting for its organiser, the room's owners and administrators, or an invitee
        (who may not change it); a 404 for anyone else."""
        meeting = await self._meeting(public_id)
        may_change = bool(await self._may_change(user, meeting))
        invited = bool(user.email) and any(
            a.email == (user.email or "").lower() for a in meeting.attendees
        )
        if not (may_change or invited):
            raise ApiProblem(404, "meeting_not_found", "there is no such scheduled meeting")
        return meeting, may_change

    async def upcoming(
        self, user: User, days: int, limit: int = 100, *, cancelled: bool = False
    ) -> list[UpcomingMeeting]:
        """Meetings this person organises or is invited to, with their occurrences in the next
        ``days`` days (recurrences expanded in the meeting's zone), soonest first; with
        ``cancelled``, the cancelled ones whose dates have not passed too."""
        now = utcnow()
        horizon = now + timedelta(days=days)
        statuses = ("confirmed", "cancelled") if cancelled else ("confirmed",)
        found = []
        for meeting in await self.repository.upcoming_for(user.id, user.email, now, statuses):
            cal = calendar(self._event(meeting, "https://visio.invalid"), "REQUEST")
            occurrences = [
                Occurrence(e.start, e.end)
                for e in recurring_ical_events.of(cal).between(now, horizon)
            ]
            if not occurrences:
                continue
            may_change = meeting.status == "confirmed" and bool(
                await self._may_change(user, meeting)
            )
            found.append(
                UpcomingMeeting(meeting, sorted(occurrences, key=lambda o: o.start), may_change)
            )
        found.sort(key=lambda m: m.occurrences[0].start)
        return found[:limit]
