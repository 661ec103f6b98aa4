"""Transcripts in the database: all the SQL about transcripts, their turns and their search
index (FTS5 on SQLite, a tsvector column on PostgreSQL, both made by migration 0011)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    column,
    delete,
    func,
    literal_column,
    select,
    table,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from visio.rooms.policy import MODERATING_ROLES
from visio.storage.models import (
    DirectoryGroupRecord,
    DirectoryMembershipRecord,
    RoomGroupRoleRecord,
    RoomRecord,
    RoomRoleRecord,
    TranscriptRecord,
    TranscriptSharedDeviceRecord,
    TranscriptTurnRecord,
)
from visio.transcripts import search

SEARCH_LIMIT = 50
"""Turns a search returns at most, newest meetings first."""


def _aware(moment: datetime) -> datetime:
    """SQLite returns naive datetimes; every stored time is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Turn:
    """One speaker's final: their name then (and user id when signed in), when, what."""

    participant_id: str
    speaker: str
    user_id: int | None
    started_at: datetime
    ended_at: datetime
    text: str
    language: str


@dataclass(frozen=True)
class StoredTurn(Turn):
    id: int


@dataclass(frozen=True)
class StoredTranscript:
    id: int
    room_id: int
    room_slug: str
    room_name: str | None
    started_at: datetime
    ended_at: datetime | None
    started_by: str
    status: str
    language: str
    turn_count: int


SPLIT_STATUSES = ("pending", "done", "no_audio", "failed")
"""Where telling a shared device's voices apart stands (``transcript_shared_devices.status``)."""


@dataclass(frozen=True)
class SharedDevice:
    """A shared room device that spoke in a transcript, and where its voice split stands."""

    transcript_id: int
    participant_id: str
    feed_id: int
    name: str
    status: str
    voices: int | None = None
    turns_labelled: int | None = None
    error: str | None = None


def _device(record: TranscriptSharedDeviceRecord) -> SharedDevice:
    return SharedDevice(
        transcript_id=record.transcript_id,
        participant_id=record.participant_id,
        feed_id=record.feed_id,
        name=record.name,
        status=record.status,
        voices=record.voices,
        turns_labelled=record.turns_labelled,
        error=record.error,
    )


@dataclass(frozen=True)
class SearchHit:
    transcript: StoredTranscript
    turn: StoredTurn
    snippet: list[search.Fragment]


def _turn(record: TranscriptTurnRecord) -> StoredTurn:
    return StoredTurn(
        id=record.id,
        participant_id=record.participant_id,
        speaker=record.speaker,
        user_id=record.user_id,
        started_at=_aware(record.started_at),
        ended_at=_aware(record.ended_at),
        text=record.text,
        language=record.language,
    )


def _transcript(record: TranscriptRecord, room: RoomRecord, turns: int) -> StoredTranscript:
    return StoredTranscript(
        id=record.id,
        room_id=record.room_id,
        room_slug=room.slug,
        room_name=room.name,
        started_at=_aware(record.started_at),
        ended_at=_aware(record.ended_at) if record.ended_at else None,
        started_by=record.started_by,
        status=record.status,
        language=record.language,
        turn_count=turns,
    )


def _turn_count() -> Any:
    counted = aliased(TranscriptTurnRecord)
    return (
        select(func.count(counted.id))
        .where(counted.transcript_id == TranscriptRecord.id)
        .correlate(TranscriptRecord)
        .scalar_subquery()
    )


class TranscriptStore:
    """Creates transcripts, appends their turns, finds, searches, deletes and purges them."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def create(
        self,
        room_id: int,
        started_at: datetime,
        started_by: str,
        started_by_user_id: int | None,
        language: str,
    ) -> int:
        async with self._sessions() as session, session.begin():
            record = TranscriptRecord(
                room_id=room_id,
                started_at=started_at,
                started_by=started_by,
                started_by_user_id=started_by_user_id,
                status="active",
                language=language,
            )
            session.add(record)
            await session.flush()
            return record.id

    async def add_turn(self, transcript_id: int, turn: Turn) -> int:
        """Store a turn and its search entry (written by the database: a trigger on SQLite, a
        generated column on PostgreSQL)."""
        async with self._sessions() as session, session.begin():
            record = TranscriptTurnRecord(
                transcript_id=transcript_id,
                participant_id=turn.participant_id,
                speaker=turn.speaker,
                user_id=turn.user_id,
                started_at=turn.started_at,
                ended_at=turn.ended_at,
                text=turn.text,
                language=turn.language,
                search_text=search.index_text(turn.text, turn.language),
            )
            session.add(record)
            await session.flush()
            return record.id

    async def rename_speaker(
        self,
        transcript_id: int,
        speaker: str,
        name: str,
        *,
        participants: Collection[str] | None = None,
    ) -> int:
        """Give every turn of ``speaker`` in this transcript (of ``participants`` only, when
        given) the name ``name``; return how many turns changed (exports and search read the
        turns, so they show it at once)."""
        turns = update(TranscriptTurnRecord).where(
            TranscriptTurnRecord.transcript_id == transcript_id,
            TranscriptTurnRecord.speaker == speaker,
        )
        if participants is not None:
            turns = turns.where(TranscriptTurnRecord.participant_id.in_(set(participants)))
        async with self._sessions() as session, session.begin():
            result = await session.execute(turns.values(speaker=name))
        return int(getattr(result, "rowcount", 0) or 0)

    async def relabel(self, transcript_id: int, labels: dict[int, str]) -> None:
        """Give each turn (by id) its new speaker label (a shared device's voices told apart)."""
        async with self._sessions() as session, session.begin():
            for turn_id, label in labels.items():
                await session.execute(
                    update(TranscriptTurnRecord)
                    .where(
                        TranscriptTurnRecord.transcript_id == transcript_id,
                        TranscriptTurnRecord.id == turn_id,
                    )
                    .values(speaker=label)
                )

    # ---- shared room devices ------------------------------------------------------------------

    async def add_shared_device(
        self, transcript_id: int, participant_id: str, feed_id: int, name: str
    ) -> None:
        """Remember that ``participant_id`` (Janus feed ``feed_id``) spoke as a shared room
        device in this transcript; its voices are to be told apart (``pending``). Once only: a
        second call changes nothing."""
        async with self._sessions() as session, session.begin():
            known = await session.scalar(
                select(TranscriptSharedDeviceRecord.id).where(
                    TranscriptSharedDeviceRecord.transcript_id == transcript_id,
                    TranscriptSharedDeviceRecord.participant_id == participant_id,
                )
            )
            if known is None:
                session.add(
                    TranscriptSharedDeviceRecord(
                        transcript_id=transcript_id,
                        participant_id=participant_id,
                        feed_id=feed_id,
                        name=name,
                        status="pending",
                        updated_at=datetime.now(UTC),
                    )
                )

    async def shared_devices(self, transcript_id: int) -> list[SharedDevice]:
        async with self._sessions() as session:
            records = await session.scalars(
                select(TranscriptSharedDeviceRecord)
                .where(TranscriptSharedDeviceRecord.transcript_id == transcript_id)
                .order_by(TranscriptSharedDeviceRecord.id)
            )
            return [_device(r) for r in records]

    async def pending_splits(self) -> list[int]:
        """The finished transcripts (complete or interrupted) with a shared device whose voices
        are still to be told apart: what a stop interrupted, or never reached."""
        async with self._sessions() as session:
            ids = await session.scalars(
                select(TranscriptSharedDeviceRecord.transcript_id)
                .join(
                    TranscriptRecord,
                    TranscriptRecord.id == TranscriptSharedDeviceRecord.transcript_id,
                )
                .where(
                    TranscriptSharedDeviceRecord.status == "pending",
                    TranscriptRecord.status != "active",
                )
                .distinct()
                .order_by(TranscriptSharedDeviceRecord.transcript_id)
            )
            return list(ids)

    async def split_done(
        self,
        device: SharedDevice,
        labels: dict[int, str],
        voices: int,
        was: Mapping[int, str] | None = None,
    ) -> int | None:
        """The device's voices were told apart: it becomes ``done`` and its turns take their
        labels, in one transaction (a crash leaves both undone, and the job runs again); return
        how many turns took a label. None when it was no longer ``pending`` (another server
        finished it first): nothing changes.
        ``was`` holds each turn's speaker when the split read it: a turn renamed since (the
        owner renamed the device while its voices were being told apart) keeps that name."""
        async with self._sessions() as session, session.begin():
            result = await session.execute(
                update(TranscriptSharedDeviceRecord)
                .where(
                    TranscriptSharedDeviceRecord.transcript_id == device.transcript_id,
                    TranscriptSharedDeviceRecord.participant_id == device.participant_id,
                    TranscriptSharedDeviceRecord.status == "pending",
                )
                .values(status="done", voices=voices, error=None, updated_at=datetime.now(UTC))
            )
            if not getattr(result, "rowcount", 0):
                return None
            labelled = 0
            for turn_id, label in labels.items():
                unchanged = (
                    []
                    if was is None or turn_id not in was
                    else [TranscriptTurnRecord.speaker == was[turn_id]]
                )
                changed = await session.execute(
                    update(TranscriptTurnRecord)
                    .where(
                        TranscriptTurnRecord.transcript_id == device.transcript_id,
                        TranscriptTurnRecord.participant_id == device.participant_id,
                        TranscriptTurnRecord.id == turn_id,
                        *unchanged,
                    )
                    .values(speaker=label)
                )
                labelled += int(getattr(changed, "rowcount", 0) or 0)
            await session.execute(
                update(TranscriptSharedDeviceRecord)
                .where(
                    TranscriptSharedDeviceRecord.transcript_id == device.transcript_id,
                    TranscriptSharedDeviceRecord.participant_id == device.participant_id,
                )
                .values(turns_labelled=labelled)
            )
        return labelled

    async def split_failed(self, device: SharedDevice, status: str, error: str) -> None:
        """The voices could not be told apart (``no_audio`` or ``failed``): the turns keep the
        device's name; ``error`` says why. A device no longer ``pending`` stays as it is."""
        assert status in ("no_audio", "failed")
        async with self._sessions() as session, session.begin():
            await session.execute(
                update(TranscriptSharedDeviceRecord)
                .where(
                    TranscriptSharedDeviceRecord.transcript_id == device.transcript_id,
                    TranscriptSharedDeviceRecord.participant_id == device.participant_id,
                    TranscriptSharedDeviceRecord.status == "pending",
                )
                .values(status=status, error=error[:300], updated_at=datetime.now(UTC))
            )

    async def existing_ids(self, ids: list[int]) -> set[int]:
        """Which of ``ids`` are transcripts that still exist."""
        async with self._sessions() as session:
            found = await session.scalars(
                select(TranscriptRecord.id).where(TranscriptRecord.id.in_(ids))
            )
            return set(found)

    async def finish(self, transcript_id: int, ended_at: datetime, status: str) -> None:
        async with self._sessions() as session, session.begin():
            await session.execute(
                update(TranscriptRecord)
                .where(TranscriptRecord.id == transcript_id)
                .values(ended_at=ended_at, status=status)
            )

    async def interrupt_active(self, now: datetime) -> int:
        """Transcripts still marked active when this server starts were cut short by its stop:
        they end now as ``interrupted`` (their turns stay)."""
        async with self._sessions() as session, session.begin():
            result = await session.execute(
                update(TranscriptRecord)
                .where(TranscriptRecord.status == "active")
                .values(ended_at=now, status="interrupted")
            )
        return int(getattr(result, "rowcount", 0) or 0)

    async def of_room(self, room_id: int) -> list[StoredTranscript]:
        """A room's transcripts, newest first."""
        async with self._sessions() as session:
            rows = await session.execute(
                select(TranscriptRecord, RoomRecord, _turn_count())
                .join(RoomRecord, RoomRecord.id == TranscriptRecord.room_id)
                .where(TranscriptRecord.room_id == room_id)
                .order_by(TranscriptRecord.started_at.desc(), TranscriptRecord.id.desc())
            )
            return [_transcript(t, r, int(n or 0)) for t, r, n in rows.all()]

    async def get(self, transcript_id: int) -> StoredTranscript | None:
        async with self._sessions() as session:
            row = (
                await session.execute(
                    select(TranscriptRecord, RoomRecord, _turn_count())
                    .join(RoomRecord, RoomRecord.id == TranscriptRecord.room_id)
                    .where(TranscriptRecord.id == transcript_id)
                )
            ).first()
            return None if row is None else _transcript(row[0], row[1], int(row[2] or 0))

    async def turns(self, transcript_id: int) -> list[StoredTurn]:
        """A transcript's turns in the order they were spoken."""
        async with self._sessions() as session:
            records = await session.scalars(
                select(TranscriptTurnRecord)
                .where(TranscriptTurnRecord.transcript_id == transcript_id)
                .order_by(TranscriptTurnRecord.started_at, TranscriptTurnRecord.id)
            )
            return [_turn(r) for r in records]

    async def finished_ids(self) -> list[int]:
        """The ids of every transcript no longer being written (complete or interrupted)."""
        async with self._sessions() as session:
            ids = await session.scalars(
                select(TranscriptRecord.id)
                .where(TranscriptRecord.status != "active")
                .order_by(TranscriptRecord.id)
            )
            return list(ids)

    async def delete(self, transcript_id: int) -> bool:
        """Delete a transcript, its turns and their search entries; return whether it existed."""
        async with self._sessions() as session, session.begin():
            await session.execute(
                delete(TranscriptSharedDeviceRecord).where(
                    TranscriptSharedDeviceRecord.transcript_id == transcript_id
                )
            )
            await session.execute(
                delete(TranscriptTurnRecord).where(
                    TranscriptTurnRecord.transcript_id == transcript_id
                )
            )
            result = await session.execute(
                delete(TranscriptRecord).where(TranscriptRecord.id == transcript_id)
            )
        return bool(getattr(result, "rowcount", 0))

    async def purge(self, older_than: datetime) -> int:
        """Delete the finished transcripts that started before ``older_than`` (with their turns
        and search entries); return how many went."""
        async with self._sessions() as session, session.begin():
            expired = select(TranscriptRecord.id).where(
                TranscriptRecord.started_at < older_than, TranscriptRecord.status != "active"
            )
            await session.execute(
                delete(TranscriptSharedDeviceRecord).where(
                    TranscriptSharedDeviceRecord.transcript_id.in_(expired)
                )
            )
            await session.execute(
                delete(TranscriptTurnRecord).where(TranscriptTurnRecord.transcript_id.in_(expired))
            )
            result = await session.execute(
                delete(TranscriptRecord).where(
                    TranscriptRecord.started_at < older_than, TranscriptRecord.status != "active"
                )
            )
        return int(getattr(result, "rowcount", 0) or 0)

    async def search(
        self, user_id: int, member_key: str | None, query: str, limit: int = SEARCH_LIMIT
    ) -> list[SearchHit]:
        """The turns matching every word of ``query``, among the transcripts of the rooms where
        this person is an owner or administrator (themselves or through a directory group):
        the access rule is part of the query, so nothing else is ever read."""
        words = search.parse_query(query)
        if not words:
            return []
        async with self._sessions() as session:
            dialect = session.get_bind().dialect.name
            statement = (
                select(TranscriptTurnRecord, TranscriptRecord, RoomRecord, _turn_count())
                .join(TranscriptRecord, TranscriptRecord.id == TranscriptTurnRecord.transcript_id)
                .join(RoomRecord, RoomRecord.id == TranscriptRecord.room_id)
                .where(TranscriptRecord.room_id.in_(_readable_rooms(user_id, member_key)))
                .where(_matches(dialect, words))
                .order_by(TranscriptRecord.started_at.desc(), TranscriptTurnRecord.started_at)
                .limit(limit)
            )
            rows = (await session.execute(statement)).all()
        return [
            SearchHit(
                transcript=_transcript(transcript, room, int(count or 0)),
                turn=_turn(turn),
                snippet=search.snippet(turn.text, turn.language, words),
            )
            for turn, transcript, room, count in rows
        ]


def _readable_rooms(user_id: int, member_key: str | None) -> Any:
    """The ids of the rooms whose records this person may read (``policy.read_records``: the
    owners and administrators, in person or through a group)."""
    personal = select(RoomRoleRecord.room_id).where(
        RoomRoleRecord.user_id == user_id, RoomRoleRecord.role.in_(MODERATING_ROLES)
    )
    if not member_key:
        return personal
    through_groups = (
        select(RoomGroupRoleRecord.room_id)
        .join(DirectoryGroupRecord, DirectoryGroupRecord.name == RoomGroupRoleRecord.group_name)
        .join(
            DirectoryMembershipRecord,
            DirectoryMembershipRecord.group_id == DirectoryGroupRecord.id,
        )
        .where(
            DirectoryMembershipRecord.member_key == member_key.lower(),
            RoomGroupRoleRecord.role.in_(MODERATING_ROLES),
        )
    )
    return personal.union(through_groups)


def _matches(dialect: str, words: list[search.QueryWord]) -> ColumnElement[bool]:
    """The full-text condition: FTS5 on SQLite, tsvector @@ tsquery on PostgreSQL. The person's
    words are bound parameters, never SQL; on SQLite they are quoted FTS5 strings."""
    if dialect == "postgresql":
        french: ColumnElement[Any] = literal_column("'french'::regconfig")
        english: ColumnElement[Any] = literal_column("'english'::regconfig")
        query: ColumnElement[Any] | None = None
        for word in words:
            either = func.plainto_tsquery(french, word.french).op("||")(
                func.plainto_tsquery(english, word.english)
            )
            query = either if query is None else query.op("&&")(either)
        assert query is not None
        return literal_column("transcript_turns.search").op("@@")(query).is_(True)
    index = table("transcript_search", column("rowid"), column("search_text"))
    matching = select(index.c.rowid).where(
        literal_column("transcript_search").op("MATCH")(search.fts5_query(words))
    )
    return TranscriptTurnRecord.id.in_(matching)
