"""The tables, as SQLAlchemy 2 declarative models. Schema changes go through Alembic."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

MAX_ROW_ID = 2**31 - 1
"""The largest row id (ids are 32-bit integers on PostgreSQL): a larger one names no row."""


class Base(DeclarativeBase):
    pass


def utcnow() -> datetime:
    return datetime.now(UTC)


class RoomRecord(Base):
    """A meeting room, addressed by its slug (the readable code in its link)."""

    __tablename__ = "rooms"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(32), unique=True, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    name: Mapped[str | None] = mapped_column(String(120))
    access: Mapped[str] = mapped_column(String(16), default="public", server_default="public")
    """``public`` (anyone with the link), ``trusted`` (anyone signed in), ``restricted``."""
    created_by: Mapped[int | None] = mapped_column(Integer)
    keep_chat: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """Whether the meetings' chat is stored (for ``VISIO_CHAT_RETENTION_DAYS``) and shown to
    the room's members in its next meetings."""


class RoomRoleRecord(Base):
    """A person's role in a room: ``owner``, ``administrator`` or ``member``."""

    __tablename__ = "room_roles"

    room_id: Mapped[int] = mapped_column(
        ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(String(16))
    granted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class RoomRemovalRecord(Base):
    """Someone a moderator removed from a room's meetings: they wait in the lobby until readmitted.
    ``visitor_key`` is ``user:<id>`` or a digest of a guest's browser cookie."""

    __tablename__ = "room_removals"

    room_id: Mapped[int] = mapped_column(
        ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True
    )
    visitor_key: Mapped[str] = mapped_column(String(80), primary_key=True)
    removed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    name: Mapped[str | None] = mapped_column(String(64), nullable=True)
    """The name they had in the meeting, so owners know whom they let back."""
    removed_by: Mapped[str | None] = mapped_column(String(320), nullable=True)
    """The audit label of the moderator who removed them."""


class RoomInvitationRecord(Base):
    """A room-level invitation: whoever holds its link may enter the room without a role."""

    __tablename__ = "room_invitations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str | None] = mapped_column(String(100), nullable=True)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class UserRecord(Base):
    """A person who signed in through an identity provider, matched on (provider, sub)."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("provider", "subject", name="uq_users_provider_subject"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(255))
    given_name: Mapped[str] = mapped_column(String(255), default="")
    usual_name: Mapped[str] = mapped_column(String(255), default="")
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    uid: Mapped[str | None] = mapped_column(String(255))
    siret: Mapped[str | None] = mapped_column(String(14))
    idp_id: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_login_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SessionRecord(Base):
    """A signed-in browser. The cookie holds a random token; only its SHA-256 is stored."""

    __tablename__ = "sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(32))
    csrf_token: Mapped[str] = mapped_column(String(64))
    id_token: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(512))


class LoginRequestRecord(Base):
    """A sign-in under way: what the callback must check (state, nonce, PKCE verifier)."""

    __tablename__ = "login_requests"

    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    browser_hash: Mapped[str] = mapped_column(String(64))
    provider: Mapped[str] = mapped_column(String(32))
    nonce: Mapped[str] = mapped_column(String(128))
    code_verifier: Mapped[str | None] = mapped_column(String(128))
    return_to: Mapped[str] = mapped_column(String(2000), default="/")
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class AuditEventRecord(Base):
    """One security-relevant event. Append-only: nothing updates or deletes it but retention."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    event: Mapped[str] = mapped_column(String(64), index=True)
    outcome: Mapped[str] = mapped_column(String(16))
    actor_user_id: Mapped[int | None] = mapped_column(Integer, index=True)
    actor: Mapped[str | None] = mapped_column(String(320))
    provider: Mapped[str | None] = mapped_column(String(32))
    target: Mapped[str | None] = mapped_column(String(255))
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(512))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ApiTokenRecord(Base):
    """An integrator's API token: acts as its owner, within its scopes. Only the secret's
    SHA-256 is stored; the secret itself is shown once, at creation."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(80))
    scopes: Mapped[list[str]] = mapped_column(JSON)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class DirectoryGroupRecord(Base):
    """A group read from the organisation's directory (LDAP) at the last sync."""

    __tablename__ = "directory_groups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    dn: Mapped[str] = mapped_column(String(1000))
    synced_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DirectoryMembershipRecord(Base):
    """A member of a directory group, by the lower-cased e-mail or uid (VISIO_LDAP_USER_ATTRIBUTE)
    that will match them when they sign in, whether or not they have yet."""

    __tablename__ = "directory_memberships"

    group_id: Mapped[int] = mapped_column(
        ForeignKey("directory_groups.id", ondelete="CASCADE"), primary_key=True
    )
    member_key: Mapped[str] = mapped_column(String(320), primary_key=True, index=True)


class RoomGroupRoleRecord(Base):
    """A role in a room given to everyone in a directory group (by the group's name, so it
    outlives a group's passing absence from the directory)."""

    __tablename__ = "room_group_roles"

    room_id: Mapped[int] = mapped_column(
        ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True
    )
    group_name: Mapped[str] = mapped_column(String(255), primary_key=True, index=True)
    role: Mapped[str] = mapped_column(String(16))
    granted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ChatMessageRecord(Base):
    """A chat message of a room that keeps its chat, stored as it was sent."""

    __tablename__ = "chat_messages"

    id: Mapped[str] = mapped_column(String(48), primary_key=True)
    """The server-made message id (``m_...``), as participants saw it."""
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class RecordingRecord(Base):
    """A meeting's recording: while it runs, while it is processed, and the file it became."""

    __tablename__ = "recordings"

    id: Mapped[str] = mapped_column(String(48), primary_key=True)
    """A random, unguessable id (``rec_...``); also the name of its folder."""
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    """``audio`` (mixed audio only) or ``video`` (a composite video with the mixed audio)."""
    status: Mapped[str] = mapped_column(String(16), index=True)
    """``recording``, ``processing``, ``ready`` or ``failed``."""
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    started_by: Mapped[int | None] = mapped_column(Integer)
    """The user who started it (None: a guest moderating in the interim)."""
    started_by_name: Mapped[str] = mapped_column(String(64))
    """Their name in the meeting."""
    file_path: Mapped[str | None] = mapped_column(String(1024))
    """The processed file, relative to the recordings folder."""
    media_type: Mapped[str | None] = mapped_column(String(64))
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    duration_s: Mapped[float | None] = mapped_column(Float)
    error: Mapped[str | None] = mapped_column(String(500))


class TranscriptRecord(Base):
    """A meeting's transcript: from ``transcription.start`` to its stop or the meeting's end."""

    __tablename__ = "transcripts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    started_by: Mapped[str] = mapped_column(String(320))
    """The audit label of the moderator who started it."""
    started_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    status: Mapped[str] = mapped_column(String(16))
    """``active`` while the meeting is transcribed, then ``complete`` (or ``interrupted`` when
    the server stopped first)."""
    language: Mapped[str] = mapped_column(String(8))
    """What the recognition was asked for: ``fr``, ``en`` or ``auto``."""


class TranscriptTurnRecord(Base):
    """One final of one speaker: who (their name then), when (wall clock), what, in which
    language. Its search entry (FTS5 row or tsvector) is written beside it."""

    __tablename__ = "transcript_turns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    transcript_id: Mapped[int] = mapped_column(
        ForeignKey("transcripts.id", ondelete="CASCADE"), index=True
    )
    participant_id: Mapped[str] = mapped_column(String(64))
    speaker: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    ended_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(16))
    search_text: Mapped[str] = mapped_column(Text, default="")
    """The text as search sees it: accents folded, lower case, each word stemmed in the turn's
    language (:mod:`visio.transcripts.search`)."""


class TranscriptSharedDeviceRecord(Base):
    """A participant marked as a shared room device that spoke in a transcript: its Janus feed
    (to find its own audio) and where telling its voices apart stands: ``pending`` until the
    job after the meeting runs, then ``done``, ``no_audio`` or ``failed`` (with ``error``)."""

    __tablename__ = "transcript_shared_devices"
    __table_args__ = (
        UniqueConstraint(
            "transcript_id", "participant_id", name="uq_transcript_shared_devices_participant"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    transcript_id: Mapped[int] = mapped_column(ForeignKey("transcripts.id", ondelete="CASCADE"))
    participant_id: Mapped[str] = mapped_column(String(64))
    feed_id: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(64))
    """The device's display name when it first spoke: the base of its voices' labels."""
    status: Mapped[str] = mapped_column(String(16), index=True)
    voices: Mapped[int | None] = mapped_column(Integer, nullable=True)
    turns_labelled: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(String(300), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class MailOutboxRecord(Base):
    """A message waiting to go out (or gone): the whole RFC 5322 text, so a restart or an SMTP
    outage loses nothing. Sent messages are purged after a while."""

    __tablename__ = "mail_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    """What the message is (``meeting.invitation``, ``transcript.ready``...), for the logs."""
    recipient: Mapped[str] = mapped_column(String(320))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    failed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    """Set when the message was given up (refused for good, or too many attempts)."""
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)


class ScheduledMeetingRecord(Base):
    """A meeting planned in a room, with its invitees: the iCalendar event Visio sends them."""

    __tablename__ = "scheduled_meetings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str] = mapped_column(String(255), unique=True)
    """The iCalendar UID: the same for every update and the cancellation."""
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    organiser_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    starts_local: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    """The wall-clock start in ``time_zone`` (what the organiser typed)."""
    time_zone: Mapped[str] = mapped_column(String(64))
    duration_minutes: Mapped[int] = mapped_column(Integer)
    recurrence: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    """``{"frequency": "weekly", "interval": 1, "days": ["MO"], "count": 10, "until": null}``."""
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    """The end of the last occurrence (UTC), to find the meetings still to come."""
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="confirmed")
    """``confirmed`` or ``cancelled``."""
    language: Mapped[str] = mapped_column(String(2), default="fr")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class MeetingAttendeeRecord(Base):
    """Someone invited to a scheduled meeting, by e-mail."""

    __tablename__ = "scheduled_meeting_attendees"

    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("scheduled_meetings.id", ondelete="CASCADE"), primary_key=True
    )
    email: Mapped[str] = mapped_column(String(320), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(120), nullable=True)
    language: Mapped[str | None] = mapped_column(String(2), nullable=True)
    partstat: Mapped[str] = mapped_column(String(16), default="NEEDS-ACTION")


class DirectoryPersonRecord(Base):
    """A person read from the directory (LDAP) at the last sync: invitee suggestions."""

    __tablename__ = "directory_people"

    email: Mapped[str] = mapped_column(String(320), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    synced_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
class CalendarAccountRecord(Base):
    """The calendar a person connected themselves (CalDAV): where it is and how to sign in.
    The password is sealed with VISIO_CALDAV_ENCRYPTION_KEY (visio.calendars.passwords)."""

    __tablename__ = "calendar_accounts"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    url: Mapped[str] = mapped_column(String(2000))
    username: Mapped[str] = mapped_column(String(320))
    password_sealed: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    checked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    """When Visio last talked to the calendar, successfully or not."""
    failure: Mapped[str | None] = mapped_column(String(32), nullable=True)
    """The reason code of the last failure (visio.calendars.errors), None after a success."""
    failure_message: Mapped[str | None] = mapped_column(String(500), nullable=True)
