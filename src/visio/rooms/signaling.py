"""The participant WebSocket: frames in, limits and parsing at the edge, room service calls out."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from typing import Protocol

from starlette.datastructures import Address
from starlette.types import Message
from starlette.websockets import WebSocketDisconnect, WebSocketState

from visio.observability import Metrics
from visio.ratelimit import RateLimit, TokenBucket
from visio.rooms.layers import set_layers
from visio.rooms.participant import Entrant, Outbox, Participant, Visitor, WaitingPerson
from visio.rooms.protocol import (
    PROTOCOL_VERSION,
    CaptionsSet,
    CaptionsTranslation,
    CaptionsTranslationState,
    ChatDelete,
    ChatSend,
    ClientMessage,
    Hand,
    IceRestart,
    IceServers,
    IceServersRequest,
    Join,
    Leave,
    LeaveReason,
    LobbyAdmit,
    LobbyDeny,
    MediaPathReport,
    MediaState,
    Moderate,
    Ping,
    Pong,
    ProtocolError,
    Publish,
    PublishAnswer,
    React,
    RecordingStart,
    RecordingStop,
    RoomEnd,
    RoomLock,
    SubscriberAnswer,
    SubscriptionSet,
    TranscriptionStart,
    TranscriptionStop,
    Trickle,
    parse_client_message,
)
from visio.rooms.reactions import ParticipantReactions
from visio.rooms.room import Room
from visio.rooms.service import RoomService
from visio.rooms.slugs import normalise_slug
from visio.settings import Settings

logger = logging.getLogger(__name__)

__all__ = ["GUEST_COOKIE", "RoomConnection", "RoomTransport", "Visitor"]

GUEST_COOKIE = "visio_guest"
"""A random per-browser id the server gives guests, so a removed guest stays out."""
CLOSE_NORMAL = 1000
CLOSE_FATAL = 4000
CLOSE_JOIN_TIMEOUT = 4002
"""Not fatal: a client that reconnects and joins is welcome."""
CLOSE_TOO_SLOW = 4008
CLOSE_TOO_MANY_SOCKETS = 4029
"""The client's address holds ``VISIO_PROTOCOL_MAX_SOCKETS_PER_ADDRESS`` sockets already."""


class RoomTransport(Protocol):
    """What a ``RoomConnection`` uses of its socket: Starlette's WebSocket, or a socket another
    app server holds and relays (``visio.cluster.relay``)."""

    client_state: WebSocketState

    @property
    def client(self) -> Address | None: ...

    async def accept(
        self, subprotocol: str | None = None, headers: Iterable[tuple[bytes, bytes]] | None = None
    ) -> None: ...

    async def receive(self) -> Message: ...

    async def send_text(self, data: str) -> None: ...

    async def close(self, code: int = 1000, reason: str | None = None) -> None: ...


class RoomConnection:
    """One participant's WebSocket, from ``join`` to ``leave`` or disconnection."""

    def __init__(
        self,
        websocket: RoomTransport,
        slug: str,
        visitor: Visitor,
        service: RoomService,
        settings: Settings,
        metrics: Metrics,
        join_limiter: RateLimit,
    ) -> None:
        self._metrics = metrics
        self._join_limiter = join_limiter
        self._ws = websocket
        self._slug = slug
        self._visitor = visitor
        self._waiting: WaitingPerson | None = None
        self._service = service
        self._settings = settings
        self._outbox = Outbox()
        self._bucket = TokenBucket(settings.protocol_rate_per_second, settings.protocol_rate_burst)
        self._room: Room | None = None
        self._participant: Participant | None = None
        self._leave_reason: LeaveReason = "disconnected"
        self._close_code: int | None = None
        self._reactions = ParticipantReactions()
        self._paths_reported: set[tuple[str, str, str]] = set()
        """Media paths this socket reported: each counts once, however often it is sent."""
        self._resumable: asyncio.Task[None] | None = None
        """Sends fresh resume tokens while the participant is here (``visio.rooms.resume``)."""

    def shed(self, code: int) -> None:
        """Close the socket with ``code`` after what is queued (the room moves elsewhere)."""
        self._close_code = code
        self._outbox.close()

    async def run(self, headers: list[tuple[bytes, bytes]] | None = None) -> None:
        """Serve the socket; ``headers`` go with the handshake's answer (a guest cookie)."""
        await self._ws.accept(headers=headers)
        writer = asyncio.create_task(self._write_loop(), name="ws-writer")
        try:
            await self._read_loop()
        finally:
            if self._resumable is not None:
                self._resumable.cancel()
            if self._room is not None and self._participant is not None:
                await self._service.leave(self._room, self._participant, self._leave_reason)
            elif self._room is not None and self._waiting is not None:
                await self._service.leave_lobby(self._room, self._waiting)
            self._outbox.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer, 5)
            writer.cancel()

    async def _read_loop(self) -> None:
        slug = normalise_slug(self._slug)
        if slug is None:
            await self._fail(ProtocolError("room_not_found", "this is not a room link", fatal=True))
            return
        join_deadline = (
            asyncio.get_running_loop().time() + self._settings.protocol_join_timeout_seconds
        )
        while True:
            try:
                if self._joined:
                    event = await self._ws.receive()
                else:
                    async with asyncio.timeout_at(join_deadline):
                        event = await self._ws.receive()
            except TimeoutError:
                logger.debug("room %s: a socket sent no join in time; closing it", slug)
                self._close_code = CLOSE_JOIN_TIMEOUT
                self._outbox.close()
                return
            except (WebSocketDisconnect, RuntimeError):
                return
            if event["type"] == "websocket.disconnect":
                return
            if self._outbox.overflowed.is_set():
                return
            # Every frame counts against the rate limit, whatever its size or content.
            if not self._bucket.allow():
                self._error(ProtocolError("rate_limited", "too many messages; slow down"))
                continue
            text = event.get("text")
            if text is None:
                self._error(ProtocolError("binary_not_supported", "send JSON text frames only"))
                continue
            if (
                len(text.encode("utf-8", "surrogatepass"))
                > self._settings.protocol_max_message_bytes
            ):
                limit = self._settings.protocol_max_message_bytes
                self._error(
                    ProtocolError("message_too_large", f"frames are limited to {limit} bytes")
                )
                continue
            try:
                message = parse_client_message(text)
                done = await self._handle(slug, message)
            except ProtocolError as exc:
                if exc.error.fatal:
                    await self._fail(exc)
                    return
                self._error(exc)
                continue
            except Exception:
                logger.exception(
                    "room %s participant %s: unexpected error",
                    slug,
                    self._participant.id if self._participant else "-",
                )
                self._error(ProtocolError("internal", "the server failed; this was logged"))
                continue
            if done:
                return

    async def _handle(self, slug: str, message: ClientMessage) -> bool:
        """Act on one valid message; return True when the connection should close."""
        if isinstance(message, Join):
            if self._joined:
                raise ProtocolError(
                    "already_joined", "join was already accepted", reply_to=message.id
                )
            client = self._ws.client.host if self._ws.client else "unknown"
            if not await self._join_limiter.allow(client):
                raise ProtocolError(
                    "rate_limited",
                    "too many attempts to join from your address; wait a minute and retry",
                    reply_to=message.id,
                    fatal=True,
                )
            if message.version != PROTOCOL_VERSION:
                raise ProtocolError(
                    "unsupported_version",
                    f"this server speaks protocol version {PROTOCOL_VERSION}",
                    reply_to=message.id,
                    fatal=True,
                )
            entrant = Entrant(
                name=message.name,
                audio=message.audio,
                video=message.video,
                visitor=self._visitor,
                outbox=self._outbox,
                reply_to=message.id,
                invitation=message.invitation,
                resume=message.resume,
                shared_device=message.shared_device,
            )
            try:
                self._room, entered = await self._service.join(slug, entrant, self._admitted)
                if isinstance(entered, WaitingPerson):
                    self._waiting = entered
                else:
                    self._admitted(entered)
            except ProtocolError as exc:
                exc.error = exc.error.model_copy(update={"reply_to": message.id})
                raise
            return False
        if isinstance(message, Ping):
            self._outbox.send(Pong(reply_to=message.id))
            return False
        if isinstance(message, Leave) and self._waiting is not None:
            self._leave_reason = "left"
            return True
        if self._waiting is not None:
            raise ProtocolError(
                "in_lobby", "you are waiting for a moderator to let you in", reply_to=message.id
            )
        if self._room is None or self._participant is None:
            raise ProtocolError("not_joined", "send join first", reply_to=message.id)
        room, participant = self._room, self._participant
        service = self._service
        try:
            if isinstance(message, Publish):
                sdp = await service.media.publish(room, participant, message)
                self._outbox.send(PublishAnswer(reply_to=message.id, sdp=sdp))
            elif isinstance(message, SubscriberAnswer):
                await service.media.subscriber_answer(participant, message.sdp)
            elif isinstance(message, Trickle):
                await service.media.trickle(participant, message.target, message.candidate)
            elif isinstance(message, MediaState):
                await service.set_media_state(room, participant, message.audio, message.video)
            elif isinstance(message, Hand):
                service.raise_hand(room, participant, message.raised)
            elif isinstance(message, Moderate):
                await service.moderation.moderate(
                    room, participant, message.action, message.participant_id
                )
            elif isinstance(message, RoomLock):
                await service.moderation.lock(room, participant, message.locked)
            elif isinstance(message, RoomEnd):
                await service.moderation.end(room, participant)
                return True
            elif isinstance(message, LobbyAdmit):
                await service.admit(room, participant, message.waiting_id)
            elif isinstance(message, LobbyDeny):
                await service.lobby.deny(room, participant, message.waiting_id)
            elif isinstance(message, CaptionsSet):
                await service.set_captions(room, participant, message.enabled, message.language)
            elif isinstance(message, CaptionsTranslation):
                await service.set_caption_translation(room, participant, message.enabled)
                self._outbox.send(
                    CaptionsTranslationState(reply_to=message.id, enabled=message.enabled)
                )
            elif isinstance(message, IceRestart):
                await service.media.restart_subscriber_ice(room, participant)
            elif isinstance(message, Leave):
                self._leave_reason = "left"
                return True
            elif isinstance(message, SubscriptionSet):
                self._outbox.send(
                    await set_layers(
                        room, participant, message, self._settings.subscriber_video_budget_kbps
                    )
                )
            elif isinstance(message, ChatSend):
                await service.chat.send(room, participant, message.text, message.id)
            elif isinstance(message, ChatDelete):
                await service.chat.delete(room, participant, message.message_id)
            elif isinstance(message, React):
                self._reactions.react(room, participant, message.reaction, message.id)
            elif isinstance(message, RecordingStart):
                await service.recorder.start(room, service.media, participant, message.video)
            elif isinstance(message, RecordingStop):
                await service.recorder.stop(room, participant)
            elif isinstance(message, TranscriptionStart):
                await service.transcription.start(room, participant, message.language)
            elif isinstance(message, TranscriptionStop):
                await service.transcription.stop(room, participant)
            elif isinstance(message, IceServersRequest):
                ice = service.ice_servers(participant)
                self._outbox.send(
                    IceServers(
                        reply_to=message.id,
                        ice_servers=ice.servers,
                        refresh_seconds=ice.refresh_seconds,
                    )
                )
            elif isinstance(message, MediaPathReport):
                path = (message.target, message.candidate_type, message.relay_protocol or "none")
                if path not in self._paths_reported and len(self._paths_reported) < 16:
                    self._paths_reported.add(path)
                    self._metrics.media_paths.labels(*path).inc()
        except ProtocolError as exc:
            if exc.error.reply_to is None and message.id is not None:
                exc.error = exc.error.model_copy(update={"reply_to": message.id})
            raise
        return False

    def _admitted(self, participant: Participant) -> None:
        """This connection now carries a participant (straight away, or admitted later)."""
        self._participant = participant
        self._waiting = None
        self._metrics.joins.inc()
        if self._room is not None:
            self._resumable = asyncio.get_running_loop().create_task(
                self._service.keep_resumable(self._room, participant), name="resume-tokens"
            )

    @property
    def _joined(self) -> bool:
        """In the meeting, or waiting in its lobby."""
        return self._participant is not None or self._waiting is not None

    def _error(self, exc: ProtocolError) -> None:
        self._metrics.protocol_errors.labels(exc.error.code).inc()
        self._outbox.send(exc.error)

    async def _fail(self, exc: ProtocolError) -> None:
        """Send a fatal error and close the socket."""
        self._error(exc)
        self._outbox.close()
        await asyncio.sleep(0)

    async def _write_loop(self) -> None:
        try:
            while True:
                frame = await self._outbox.frames.get()
                if self._outbox.overflowed.is_set():
                    logger.warning("participant too slow to read; disconnecting")
                    await self._ws.close(CLOSE_TOO_SLOW)
                    return
                if frame is None:
                    break
                await self._ws.send_text(frame)
            if self._ws.client_state == WebSocketState.CONNECTED:
                code = self._close_code or (
                    CLOSE_NORMAL if self._leave_reason == "left" else CLOSE_FATAL
                )
                await self._ws.close(code)
        except (WebSocketDisconnect, RuntimeError, OSError):
            return
