"""Scheduled meetings and their invitees in the database (all the SQL about them)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from visio.scheduling.recurrence import Recurrence, When
from visio.storage.models import (
    MeetingAttendeeRecord,
    RoomRecord,
    ScheduledMeetingRecord,
    UserRecord,
    utcnow,
)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Attendee:
    email: str
    name: str | None = None
    language: str | None = None
    partstat: str = "NEEDS-ACTION"


@dataclass(frozen=True)
class StoredMeeting:
    id: int
    uid: str
    room_id: int
    room_slug: str
    organiser_id: int
    organiser_email: str | None
    organiser_name: str
    title: str
    when: When
    sequence: int
    status: str
    language: str
    attendees: tuple[Attendee, ...]
    created_at: datetime
    updated_at: datetime

    @property
    def public_id(self) -> str:
        return self.uid.partition("@")[0]


Within = Callable[[AsyncSession, StoredMeeting], Awaitable[None]]
"""Work done in the same transaction as a change (queuing its mail): stored with it, or not."""


async def _nothing(session: AsyncSession, meeting: StoredMeeting) -> None:
    return None


def _name(user: UserRecord) -> str:
    return " ".join(p for p in (user.given_name, user.usual_name) if p) or (
        user.email or user.subject
    )


class MeetingRepository:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def _load(
        self, session: AsyncSession, records: Sequence[ScheduledMeetingRecord]
    ) -> list[StoredMeeting]:
        if not records:
            return []
        ids = [r.id for r in records]
        attendees: dict[int, list[Attendee]] = {i: [] for i in ids}
        for a in await session.scalars(
            select(MeetingAttendeeRecord)
            .where(MeetingAttendeeRecord.meeting_id.in_(ids))
            .order_by(MeetingAttendeeRecord.email)
        ):
            attendees[a.meeting_id].append(Attendee(a.email, a.name, a.language, a.partstat))
        selected = await session.execute(
            select(RoomRecord.id, RoomRecord.slug).where(
                RoomRecord.id.in_({r.room_id for r in records})
            )
        )
        rooms = {row.id: row.slug for row in selected}
        users = {
            u.id: u
            for u in await session.scalars(
                select(UserRecord).where(UserRecord.id.in_({r.organiser_id for r in records}))
            )
        }
        return [
            StoredMeeting(
                id=r.id,
                uid=r.uid,
                room_id=r.room_id,
                room_slug=rooms[r.room_id],
                organiser_id=r.organiser_id,
                organiser_email=users[r.organiser_id].email,
                organiser_name=_name(users[r.organiser_id]),
                title=r.title,
                when=When(
                    start=r.starts_local.replace(tzinfo=None),
                    zone=r.time_zone,
                    duration=timedelta(minutes=r.duration_minutes),
                    recurrence=Recurrence.from_json(r.recurrence),
                ),
                sequence=r.sequence,
                status=r.status,
                language=r.language,
                attendees=tuple(attendees[r.id]),
                created_at=_aware(r.created_at),
                updated_at=_aware(r.updated_at),
            )
            for r in records
        ]

    async def create(
        self,
        uid: str,
        room_id: int,
        organiser_id: int,
        title: str,
        when: When,
        language: str,
        attendees: Sequence[Attendee],
        within: Within = _nothing,
    ) -> StoredMeeting:
        now = utcnow()
        async with self._sessions() as session, session.begin():
            record = ScheduledMeetingRecord(
                uid=uid,
                room_id=room_id,
                organiser_id=organiser_id,
                title=title,
                starts_local=when.start,
                time_zone=when.zone,
                duration_minutes=int(when.duration.total_seconds() // 60),
                recurrence=when.recurrence.as_json() if when.recurrence else None,
                ends_at=when.last_end(),
                sequence=0,
                status="confirmed",
                language=language,
                created_at=now,
                updated_at=now,
            )
            session.add(record)
            await session.flush()
            session.add_all(
                MeetingAttendeeRecord(
                    meeting_id=record.id,
                    email=a.email,
                    name=a.name,
                    language=a.language,
                    partstat=a.partstat,
                )
                for a in attendees
            )
            await session.flush()
            meeting = (await self._load(session, [record]))[0]
            await within(session, meeting)
            return meeting

    async def get(self, uid: str) -> StoredMeeting | None:
        async with self._sessions() as session:
            record = await session.scalar(
                select(ScheduledMeetingRecord).where(ScheduledMeetingRecord.uid == uid)
            )
            if record is None:
                return None
            return (await self._load(session, [record]))[0]

    async def update(
        self,
        uid: str,
        *,
        title: str,
        when: When,
        language: str,
        attendees: Sequence[Attendee],
        reset_answers: bool,
        within: Within = _nothing,
    ) -> StoredMeeting:
        """Replace the meeting's details and invitees, and raise its SEQUENCE; a new time
        (``reset_answers``) asks everyone again."""
        async with self._sessions() as session, session.begin():
            record = await session.scalar(
                select(ScheduledMeetingRecord)
                .where(ScheduledMeetingRecord.uid == uid)
                .with_for_update()
            )
            assert record is not None
            record.title = title
            record.starts_local = when.start
            record.time_zone = when.zone
            record.duration_minutes = int(when.duration.total_seconds() // 60)
            record.recurrence = when.recurrence.as_json() if when.recurrence else None
            record.ends_at = when.last_end()
            record.language = language
            record.sequence += 1
            record.updated_at = utcnow()
            kept = {
                a.email: a
                for a in await session.scalars(
                    select(MeetingAttendeeRecord).where(
                        MeetingAttendeeRecord.meeting_id == record.id
                    )
                )
            }
            await session.execute(
                delete(MeetingAttendeeRecord).where(MeetingAttendeeRecord.meeting_id == record.id)
            )
            await session.flush()
            session.add_all(
                MeetingAttendeeRecord(
                    meeting_id=record.id,
                    email=a.email,
                    name=a.name,
                    language=a.language,
                    partstat=(
                        kept[a.email].partstat
                        if a.email in kept and not reset_answers
                        else "NEEDS-ACTION"
                    ),
                )
                for a in attendees
            )
            await session.flush()
            meeting = (await self._load(session, [record]))[0]
            await within(session, meeting)
            return meeting

    async def cancel(self, uid: str, within: Within = _nothing) -> StoredMeeting:
        async with self._sessions() as session, session.begin():
            record = await session.scalar(
                select(ScheduledMeetingRecord)
                .where(ScheduledMeetingRecord.uid == uid)
                .with_for_update()
            )
            assert record is not None
            record.status = "cancelled"
            record.sequence += 1
            record.updated_at = utcnow()
            await session.flush()
            meeting = (await self._load(session, [record]))[0]
            await within(session, meeting)
            return meeting

    async def upcoming_for(
        self,
        user_id: int,
        email: str | None,
        now: datetime,
        statuses: tuple[str, ...] = ("confirmed",),
    ) -> list[StoredMeeting]:
        """Meetings not over yet (confirmed ones, or those of ``statuses``) that this person
        organises or is invited to."""
        invited = (
            select(MeetingAttendeeRecord.meeting_id).where(
                MeetingAttendeeRecord.email == email.lower()
            )
            if email
            else None
        )
        condition = ScheduledMeetingRecord.organiser_id == user_id
        if invited is not None:
            condition = or_(condition, ScheduledMeetingRecord.id.in_(invited))
        async with self._sessions() as session:
            records = list(
                await session.scalars(
                    select(ScheduledMeetingRecord)
                    .where(
                        condition,
                        ScheduledMeetingRecord.status.in_(statuses),
                        ScheduledMeetingRecord.ends_at > now,
                    )
                    .order_by(ScheduledMeetingRecord.id)
                    .limit(500)
                )
            )
            return await self._load(session, records)

    async def answer(
        self, uid: str, email: str, partstat: str, sequence: int
    ) -> StoredMeeting | str:
        """Record an invitee's answer (an iMIP REPLY) to the current version of a meeting.
        Returns the meeting, or why nothing changed: ``unknown_meeting``, ``cancelled``,
        ``outdated`` (a SEQUENCE older than the meeting's), ``not_invited``, ``unchanged``."""
        async with self._sessions() as session, session.begin():
            record = await session.scalar(
                select(ScheduledMeetingRecord)
                .where(ScheduledMeetingRecord.uid == uid)
                .with_for_update()
            )
            if record is None:
                return "unknown_meeting"
            if record.status != "confirmed":
                return "cancelled"
            if sequence < record.sequence:
                return "outdated"
            attendee = await session.scalar(
                select(MeetingAttendeeRecord).where(
                    MeetingAttendeeRecord.meeting_id == record.id,
                    MeetingAttendeeRecord.email == email.lower(),
                )
            )
            if attendee is None:
                return "not_invited"
            if attendee.partstat == partstat:
                return "unchanged"
            attendee.partstat = partstat
            await session.flush()
            return (await self._load(session, [record]))[0]
