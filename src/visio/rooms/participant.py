"""A participant in a live meeting: who they are, what they publish and their media handles."""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime

from visio.media.janus.client import JanusHandle
from visio.rooms.protocol import IceCandidate, ParticipantInfo, ServerMessage, Source, encode

logger = logging.getLogger(__name__)


class Outbox:
    """The messages waiting to be written to one participant's WebSocket.

    Broadcasts never wait on a slow client: they queue here, and a client that lets the queue
    fill up is disconnected rather than holding the room back.
    """

    def __init__(self, capacity: int = 512) -> None:
        self.frames: asyncio.Queue[str | None] = asyncio.Queue(capacity)
        self.overflowed = asyncio.Event()

    def send(self, message: ServerMessage) -> None:
        if self.overflowed.is_set():
            return
        try:
            self.frames.put_nowait(encode(message))
        except asyncio.QueueFull:
            self.overflowed.set()

    def close(self) -> None:
        """Ask the writer to stop after the frames already queued."""
        try:
            self.frames.put_nowait(None)
        except asyncio.QueueFull:
            self.overflowed.set()


def new_participant_id() -> str:
    return "p_" + secrets.token_urlsafe(12)


def new_feed_id() -> int:
    """A Janus feed id; kept under 2^53 so browsers could read it exactly."""
    return secrets.randbelow(2**53 - 1) + 1


@dataclass(eq=False)
class Participant:
    """One person in a room, as the server sees them."""

    name: str
    audio: bool
    video: bool
    outbox: Outbox
    id: str = field(default_factory=new_participant_id)
    feed_id: int = field(default_factory=new_feed_id)
    joined_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    tracks: dict[str, Source] = field(default_factory=dict)
    """What the publisher PeerConnection carries: mid → source."""
    publisher: JanusHandle | None = None
    publishing: bool = False
    """True once Janus has the publisher's media flowing (others can subscribe)."""
    subscriber: JanusHandle | None = None
    subscribed: set[tuple[int, str]] = field(default_factory=set)
    """(feed id, publisher mid) pairs the subscriber PeerConnection currently receives."""
    offer_pending: bool = False
    pending_publisher_candidates: list[IceCandidate | None] = field(default_factory=list)
    sync_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    gone: bool = False
    paused_sources: set[Source] = field(default_factory=set)
    """Sources a moderator turned off, which Janus does not relay until their owner turns them
    back on themselves."""
    moderator: bool = False
    """Until rooms have owners, the earliest participant present moderates the meeting."""

    @property
    def screen(self) -> bool:
        return "screen" in self.tracks.values()

    def info(self) -> ParticipantInfo:
        return ParticipantInfo(
            id=self.id,
            name=self.name,
            audio=self.audio,
            video=self.video,
            screen=self.screen,
            moderator=self.moderator,
            joined_at=self.joined_at,
        )

    def send(self, message: ServerMessage) -> None:
        self.outbox.send(message)
