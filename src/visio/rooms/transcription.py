"""A meeting's transcript: who said what, and when, while a moderator has it on.

Visio already receives each participant's own microphone, so it knows who speaks: the
transcript reuses the live subtitles' streams (:mod:`visio.rooms.captions`, one recognition
stream per publishing participant), which run while a transcript is on even when nobody reads
subtitles. Each *final* of a stream becomes a turn, stored at once with the speaker's display
name at that moment (and their user id when signed in), the wall-clock time it was said, the
text and its language. The transcript ends when a moderator stops it or when the meeting ends
(the last person leaves, or a moderator ends it for everyone).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from visio import text
from visio.rooms import policy
from visio.rooms.captions import RoomCaptions
from visio.rooms.participant import Participant
from visio.rooms.protocol import (
    CaptionLanguage,
    ProtocolError,
    TranscriptionInfo,
    TranscriptionState,
)
from visio.rooms.recording import shared_feeds
from visio.rooms.repository import RoomRepository
from visio.speech.protocol import CaptionMessage
from visio.transcripts.store import TranscriptStore, Turn

if TYPE_CHECKING:
    from visio.rooms.audit import ModeratorAudit
    from visio.rooms.device_spool import DeviceSpool
    from visio.rooms.room import Room
    from visio.transcripts.voice_split import VoiceSplits

logger = logging.getLogger(__name__)


@dataclass(eq=False)
class LiveTranscript:
    """The transcript being made of a meeting, as the room holds it."""

    transcript_id: int
    started_at: datetime
    started_by: str
    """The participant id of the moderator who started it."""
    language: CaptionLanguage
    writes: set[asyncio.Task[None]] = field(default_factory=set)
    """Turns on their way to the database (awaited before the transcript is closed)."""
    turns: int = 0
    shared_devices: dict[str, str] = field(default_factory=dict)
    """The participants marked as shared room devices that spoke (id → display name): their
    turns are the ones to tell apart by voice once the meeting is over
    (:mod:`visio.transcripts.voice_split`; stored with the transcript too)."""
    shared_feeds: dict[str, int] = field(default_factory=dict)
    """Their Janus feed ids (participant id → feed id): where their own audio is found."""
    spooled: dict[str, object] = field(default_factory=dict)
    """The shared devices Janus records on their own for this transcript, with the publisher
    handle that records (:mod:`visio.rooms.device_spool`; a new handle records anew)."""


def transcription_info(room: Room) -> TranscriptionInfo:
    live = room.transcript
    if live is None:
        return TranscriptionInfo(active=False)
    return TranscriptionInfo(active=True, started_at=live.started_at, started_by=live.started_by)


@dataclass(frozen=True)
class TranscriptReady:
    """A meeting's transcript is complete: which one, in which room, how many turns."""

    transcript_id: int
    room_slug: str
    turns: int


class RoomTranscription:
    """Starts and stops meetings' transcripts and stores their turns as finals come."""

    def __init__(
        self,
        captions: RoomCaptions,
        store: TranscriptStore,
        repository: RoomRepository,
        audit: ModeratorAudit,
    ) -> None:
        self._captions = captions
        self._store = store
        self._repository = repository
        self._audit = audit
        self.failed_turns = 0
        """Turns that could not be stored (the database refused them): logged each time."""
        captions.on_final = self.heard
        self.device_spool: DeviceSpool | None = None
        """Has Janus record the shared devices on their own while a transcript is on."""
        self.voice_splits: VoiceSplits | None = None
        """Keeps the shared devices' audio for the split after the meeting (when wired)."""
        self.ready_listeners: list[Callable[[TranscriptReady], Awaitable[None]]] = []
        """Told when a transcript is complete (e-mail to the owners, webhooks); one that fails
        is logged and the others still run."""

    async def start(self, room: Room, by: Participant, language: CaptionLanguage) -> None:
        """A moderator starts the transcript; everyone present sees it at once."""
        policy.enforce(policy.transcribe(by.standing))
        if room.transcript is not None:
            by.send(TranscriptionState(**transcription_info(room).model_dump()))
            return
        if not self._captions.available:
            raise ProtocolError(
                "transcription_unavailable",
                "no speech worker is available to transcribe right now; try again later",
            )
        stored = await self._repository.get(room.slug)
        if stored is None:
            raise ProtocolError("room_not_found", "this room was deleted", fatal=True)
        if room.captions.enabled:
            language = room.captions.language
        started_at = datetime.now(UTC)
        transcript_id = await self._store.create(
            stored.id,
            started_at,
            by.visitor.label,
            by.visitor.user.id if by.visitor.user else None,
            language,
        )
        if room.transcript is not None:  # another moderator was quicker, while we wrote
            await self._store.finish(transcript_id, started_at, "complete")
            return
        room.transcript = LiveTranscript(transcript_id, started_at, by.id, language)
        room.broadcast(TranscriptionState(**transcription_info(room).model_dump()))
        logger.info(
            "room %s: transcript %d started by %s (%s)", room.slug, transcript_id, by.id, language
        )
        await self._audit.record(
            "room.transcription_started", by, room, transcript=transcript_id, language=language
        )
        await self._captions.follow(room)
        if self.device_spool is not None:
            await self.device_spool.start_all(room)

    async def stop(self, room: Room, by: Participant) -> None:
        """A moderator stops the transcript."""
        policy.enforce(policy.transcribe(by.standing))
        live = await self._end(room, "complete")
        if live is None:
            by.send(TranscriptionState(active=False))
            return
        await self._audit.record(
            "room.transcription_stopped", by, room, transcript=live.transcript_id, turns=live.turns
        )

    async def meeting_over(self, room: Room) -> None:
        """The meeting ended (everyone left): its transcript, if any, is complete."""
        await self._end(room, "complete")

    async def server_stopping(self, room: Room) -> None:
        await self._end(room, "interrupted")

    async def _end(self, room: Room, status: str) -> LiveTranscript | None:
        live = room.transcript
        if live is None:
            return None
        if self.device_spool is not None:
            await self.device_spool.stop_all(room)
        room.transcript = None
        room.broadcast(TranscriptionState(active=False))
        await self._captions.follow(room)
        if live.writes:
            await asyncio.wait(set(live.writes), timeout=30)
        recording = room.recording.current
        if self.voice_splits is not None and recording is not None:
            await self.voice_splits.keep_from_recording(
                live.transcript_id,
                recording.recording_id,
                [*live.shared_feeds.values(), *shared_feeds(room)],
            )
        await self._store.finish(live.transcript_id, datetime.now(UTC), status)
        logger.info(
            "room %s: transcript %d %s with %d turns",
            room.slug,
            live.transcript_id,
            status,
            live.turns,
        )
        if status == "complete":
            ready = TranscriptReady(live.transcript_id, room.slug, live.turns)
            for listener in list(self.ready_listeners):
                try:
                    await listener(ready)
                except Exception:
                    logger.exception("transcript %d: a ready listener failed", live.transcript_id)
        return live

    def heard(
        self, room: Room, speaker: Participant, caption: CaptionMessage, clock_start: datetime
    ) -> None:
        """A final of ``speaker``'s stream: a turn of the transcript, if one is on."""
        live = room.transcript
        said = text.safe_for_output(caption.text).strip()
        if live is None or not said:
            return
        now = datetime.now(UTC)
        ended_at = min(clock_start + timedelta(seconds=max(caption.end, 0.0)), now)
        started_at = min(clock_start + timedelta(seconds=max(caption.start, 0.0)), ended_at)
        turn = Turn(
            participant_id=speaker.id,
            speaker=speaker.name,
            user_id=speaker.visitor.user.id if speaker.visitor.user else None,
            started_at=started_at,
            ended_at=ended_at,
            text=said,
            language=text.safe_for_output(caption.language, max_length=16) or live.language,
        )
        live.turns += 1
        if speaker.shared_device and speaker.id not in live.shared_devices:
            live.shared_devices[speaker.id] = speaker.name
            live.shared_feeds[speaker.id] = speaker.feed_id
            marked = asyncio.create_task(self._mark_shared(room, live, speaker))
            live.writes.add(marked)
            marked.add_done_callback(live.writes.discard)
        task = asyncio.create_task(self._write(room, live, turn))
        live.writes.add(task)
        task.add_done_callback(live.writes.discard)

    async def _mark_shared(self, room: Room, live: LiveTranscript, speaker: Participant) -> None:
        """Store with the transcript that ``speaker`` is a shared room device (its voices are
        told apart after the meeting)."""
        try:
            await self._store.add_shared_device(
                live.transcript_id, speaker.id, speaker.feed_id, speaker.name
            )
        except Exception:
            self.failed_turns += 1
            logger.exception(
                "room %s: shared device %s not stored with transcript %d; its voices will not "
                "be told apart",
                room.slug,
                speaker.id,
                live.transcript_id,
            )

    async def _write(self, room: Room, live: LiveTranscript, turn: Turn) -> None:
        try:
            await self._store.add_turn(live.transcript_id, turn)
        except Exception:
            self.failed_turns += 1
            logger.exception(
                "room %s: a turn of %s could not be stored in transcript %d",
                room.slug,
                turn.participant_id,
                live.transcript_id,
            )
