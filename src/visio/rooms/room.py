"""A live meeting: the participants present now and the Janus VideoRoom that carries their media."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from visio.rooms.chat import ChatLog
from visio.rooms.participant import Participant, WaitingPerson
from visio.rooms.protocol import Caption, CaptionLanguage, CaptionsInfo, ServerMessage, encode
from visio.rooms.recording import RecordingSlot

if TYPE_CHECKING:  # the transcript's module imports this one
    from visio.media.pool import JanusInstance
    from visio.rooms.transcription import LiveTranscript

logger = logging.getLogger(__name__)


FINALS_KEPT = 300
"""How many of the latest finals a room keeps for people whose connection dropped."""


def new_janus_room_id() -> int:
    return secrets.randbelow(2**53 - 1) + 1


@dataclass(eq=False)
class CaptionStream:
    """One participant's microphone on its way to a speech worker."""

    stream_id: str
    feed_id: int
    forwarder_id: int | None = None
    janus_room_id: int | None = None
    media_generation: int = 0
    janus: JanusInstance | None = None
    """The Janus instance forwarding it (its forwarder is gone if that one lost its session)."""
    undelivered: int = 0
    """Captions of this stream that came after it stopped being the speaker's."""
    translate: bool = False
    """Whether someone wanted English when the stream started, so the worker was asked for it
    (a worker that cannot translate captions the stream without)."""
    language: CaptionLanguage = "auto"
    """The language the worker was asked for."""
    clock_started_at: datetime | None = None
    """When the stream's clock started (its forwarder came up): a caption's ``start`` and
    ``end`` are seconds after this."""


@dataclass(eq=False)
class Room:
    slug: str
    participants: dict[str, Participant] = field(default_factory=dict)
    janus_room_id: int | None = None
    media_generation: int = 0
    """The media engine generation the Janus room was created in (0: not created)."""
    janus: JanusInstance | None = None
    """The Janus instance the room is placed on (None: not placed, or moving after a loss)."""
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    captions: CaptionsInfo = field(
        default_factory=lambda: CaptionsInfo(enabled=False, language="auto")
    )
    caption_streams: dict[str, CaptionStream] = field(default_factory=dict)
    """Participant id → the stream carrying their microphone to recognition."""
    english_viewers: set[str] = field(default_factory=set)
    recent_finals: deque[tuple[datetime, Caption]] = field(
        default_factory=lambda: deque(maxlen=FINALS_KEPT)
    )
    """The latest finals shown to the room and when: someone who comes back on a resume token
    gets those said since they first joined, so a dropped connection loses no subtitle."""
    """Participants who asked to read the captions in English (``captions.translation``)."""
    locked: bool = False
    """A locked room sends newcomers to the lobby."""
    lobby: dict[str, WaitingPerson] = field(default_factory=dict)
    """People waiting to be admitted, by waiting id, in the order they knocked."""
    speaking: list[str] = field(default_factory=list)
    """Who is speaking now (participant ids), in the order they started (``speakers``)."""
    active_speaker: str | None = None
    """The last participant who started speaking, still present (for layouts and recordings)."""
    recent_speakers: list[str] = field(default_factory=list)
    """Who started speaking lately, the latest last (``visio.rooms.audible``)."""
    heard: frozenset[str] | None = None
    """Whose microphones the subscriptions are set to relay (None: everyone's)."""
    chat: ChatLog = field(default_factory=ChatLog)
    """The meeting's chat (and, for members, the kept history of earlier meetings)."""
    recording: RecordingSlot = field(default_factory=RecordingSlot)
    """The meeting's recording, while one runs."""
    transcript: LiveTranscript | None = None
    """The transcript being made of this meeting, while there is one."""

    @property
    def empty(self) -> bool:
        return not self.participants and not self.lobby

    def moderators(self) -> list[Participant]:
        return [p for p in self.participants.values() if p.moderator]

    def tell_moderators(self, message: ServerMessage) -> None:
        self._send_each(self.moderators(), message)

    def by_feed(self, feed_id: int) -> Participant | None:
        for participant in self.participants.values():
            if participant.feed_id == feed_id:
                return participant
        return None

    def others(self, participant: Participant) -> list[Participant]:
        return [p for p in self.participants.values() if p is not participant]

    def broadcast(self, message: ServerMessage, *, exclude: Participant | None = None) -> None:
        self._send_each([p for p in self.participants.values() if p is not exclude], message)

    def _send_each(self, participants: list[Participant], message: ServerMessage) -> None:
        """One message to several people. Text is checked where it comes in, so a message that
        cannot be encoded is a bug: it is logged with the room, and nobody else misses out."""
        try:
            frame = encode(message)
        except ValueError:
            logger.exception("room %s: could not encode a %s message", self.slug, message.type)
            return
        for participant in participants:
            participant.outbox.send_frame(frame)
