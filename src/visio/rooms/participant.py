"""A participant in a live meeting: who they are, what they publish and their media handles."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from visio.audit import Origin
from visio.auth.users import User
from visio.hashing import secret_digest
from visio.media.janus.publisher import VideoRoomPublisher
from visio.media.janus.subscriber import Feed, VideoRoomSubscriber
from visio.rooms.layers import ReceivedLayers
from visio.rooms.policy import Standing
from visio.rooms.protocol import (
    IceCandidate,
    Identity,
    ModeratorBy,
    ParticipantInfo,
    RequestId,
    Role,
    ServerMessage,
    Source,
    WaitingPersonInfo,
    WaitReason,
    encode,
)

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
        self.send_frame(encode(message))

    def send_frame(self, frame: str) -> None:
        """Queue an already encoded message (a broadcast encodes once for everyone)."""
        if self.overflowed.is_set():
            return
        try:
            self.frames.put_nowait(frame)
        except asyncio.QueueFull:
            self.overflowed.set()

    def close(self) -> None:
        """Ask the writer to stop after the frames already queued."""
        try:
            self.frames.put_nowait(None)
        except asyncio.QueueFull:
            self.overflowed.set()


@dataclass(frozen=True)
class Visitor:
    """Who opened a room socket: the signed-in user behind the session cookie, or a guest known
    only by a per-browser cookie; and where from."""

    user: User | None = None
    site_admin: bool = False
    guest_token: str | None = None
    origin: Origin = field(default_factory=Origin)

    @property
    def identity(self) -> Identity:
        return "signed_in" if self.user is not None else "guest"

    @property
    def key(self) -> str | None:
        """What identifies this person across connections (None: a guest without a cookie)."""
        if self.user is not None:
            return f"user:{self.user.id}"
        if self.guest_token:
            return "guest:" + secret_digest(self.guest_token)[:32]
        return None

    @property
    def label(self) -> str:
        """How the audit trail names them."""
        if self.user is not None:
            return self.user.audit_label
        return self.key or "guest"


@dataclass(frozen=True)
class Entrant:
    """Someone asking to join a meeting: what their ``join`` said, who they are, their socket."""

    name: str
    audio: bool
    video: bool
    visitor: Visitor
    outbox: Outbox
    reply_to: RequestId | None = None
    invitation: str | None = None
    resume: str | None = None
    """The resume token their client sent (``visio.rooms.resume``), when it rejoins."""
    shared_device: bool = False
    """Several people use this microphone (``join.shared_device``)."""


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
    publisher: VideoRoomPublisher | None = None
    publishing: bool = False
    """True once Janus has the publisher's media flowing (others can subscribe)."""
    subscriber: VideoRoomSubscriber | None = None
    subscribed: set[Feed] = field(default_factory=set)
    """(feed id, publisher mid) pairs the subscriber PeerConnection currently receives."""
    offer_pending: bool = False
    pending_publisher_candidates: list[IceCandidate | None] = field(default_factory=list)
    sync_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    gone: bool = False
    paused_sources: set[Source] = field(default_factory=set)
    """Sources a moderator turned off, which Janus does not relay until their owner turns them
    back on themselves."""
    visitor: Visitor = field(default_factory=Visitor)
    role: Role | None = None
    """Their role in the room, looked up when they joined."""
    hand_raised_at: datetime | None = None
    moderator_by: ModeratorBy | None = None
    """Why they moderate: their role, a moderator's promotion, or the interim rule (the earliest
    participant present moderates while nobody with a moderating role is there)."""
    received: ReceivedLayers = field(default_factory=ReceivedLayers)
    """The videos of their subscription and the simulcast layer each is relayed at."""
    talking: bool = False
    """Janus hears speech on their microphone (``speakers``; shown only while it is on)."""
    counts_from: float | None = None
    """Janus began hearing them: from then (``time.monotonic()``) it counts as a turn, if Janus
    hears them then or again soon after (a cough is over before; ``speakers``)."""
    quiet_since: float | None = None
    """Janus stopped hearing them before their turn counted (``speakers``)."""
    held_until: float | None = None
    """Janus stopped hearing them, but a pause shorter than the speaker hold does not end their
    turn: they count as speaking until then (``time.monotonic()``; ``speakers``)."""
    unmuted_until: float | None = None
    """They turned their microphone on lately: in a large meeting their audio is relayed until
    then (``time.monotonic()``) before Janus hears them, as they are about to speak
    (``audible``)."""
    turn_expires_at: int | None = None
    """When the TURN credential they were last given expires (``visio.turn``)."""
    shared_device: bool = False
    """A shared room device: several people use this microphone (chosen before joining)."""

    @classmethod
    def entering(
        cls, entrant: Entrant, role: Role | None, moderator_by: ModeratorBy | None
    ) -> Participant:
        return cls(
            name=entrant.name,
            audio=entrant.audio,
            video=entrant.video,
            outbox=entrant.outbox,
            visitor=entrant.visitor,
            role=role,
            moderator_by=moderator_by,
            shared_device=entrant.shared_device,
        )

    @property
    def moderator(self) -> bool:
        return self.moderator_by is not None

    @property
    def standing(self) -> Standing:
        return Standing(role=self.role, moderator_by=self.moderator_by)

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
            identity=self.visitor.identity,
            role=self.role,
            moderator_by=self.moderator_by,
            hand_raised_at=self.hand_raised_at,
            shared_device=True if self.shared_device else None,
        )

    def send(self, message: ServerMessage) -> None:
        self.outbox.send(message)


def new_waiting_id() -> str:
    return "w_" + secrets.token_urlsafe(12)


@dataclass(eq=False)
class WaitingPerson:
    """Someone waiting in a room's lobby: their socket is open, they are not in the meeting."""

    entrant: Entrant
    reason: WaitReason
    on_admitted: Callable[[Participant], None]
    """Tells their connection it now carries a participant."""
    role: Role | None = None
    id: str = field(default_factory=new_waiting_id)
    since: datetime = field(default_factory=lambda: datetime.now(UTC))
    gone: bool = False

    @property
    def visitor(self) -> Visitor:
        return self.entrant.visitor

    def info(self) -> WaitingPersonInfo:
        return WaitingPersonInfo(
            id=self.id,
            name=self.entrant.name,
            identity=self.visitor.identity,
            reason=self.reason,
            since=self.since,
        )

    def send(self, message: ServerMessage) -> None:
        self.entrant.outbox.send(message)

    def close(self) -> None:
        self.entrant.outbox.close()
