"""Sockets that land on an app server that does not own their room reach it through Redis.

Every node listens on one channel, ``visio:node:<id>``, and publishes through one ordered queue,
so the messages of one connection arrive in the order they were sent. The *edge* (the app
server that holds the browser's WebSocket) publishes ``open`` with the visitor it authenticated,
then each client frame as opaque text, then ``close``; the *owner* runs an ordinary
``RoomConnection`` over a ``RelayedSocket`` whose sends are published back to the edge.

Redis is inside the trust boundary: only app servers can publish, so what an ``open`` says about
the visitor is what an app server found in its cookies. Messages lost while the pub/sub link
was down cannot be replayed in order, so a broken link closes every relayed connection (the
browsers reconnect) rather than let one go on with a gap.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from prometheus_client import CollectorRegistry, Histogram
from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.asyncio.connection import AbstractConnection
from starlette.datastructures import Address
from starlette.types import Message
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from visio.audit import Origin
from visio.auth.users import User
from visio.cluster.placement import Presence, node_key
from visio.cluster.redis import UNAVAILABLE
from visio.ratelimit import TokenBucket
from visio.rooms.participant import Visitor
from visio.rooms.protocol import ProtocolError, encode
from visio.settings import Settings

logger = logging.getLogger(__name__)

CLOSE_SERVICE_RESTART = 1012
"""The standard "service restart" close: the browser reconnects at once, to any app server."""
CLOSE_TOO_SLOW = 4008
OPEN_TIMEOUT_S = 3.0
"""An owner that does not acknowledge ``open`` within this is taken as gone."""
QUEUE_FRAMES = 512
"""Frames waiting for one relayed connection, either way, before it is closed as too slow."""
PUBLISH_QUEUE = 20_000
_RATE_LIMITED = encode(ProtocolError("rate_limited", "too many messages; slow down").error)


def visitor_facts(visitor: Visitor) -> dict[str, Any]:
    """What the owner needs to know of a visitor the edge authenticated."""
    return {
        "user": visitor.user.model_dump(mode="json") if visitor.user else None,
        "site_admin": visitor.site_admin,
        "guest_token": visitor.guest_token,
        "ip": visitor.origin.ip,
        "user_agent": visitor.origin.user_agent,
    }


def visitor_from_facts(facts: dict[str, Any]) -> Visitor:
    user = facts.get("user")
    return Visitor(
        user=User.model_validate(user) if user is not None else None,
        site_admin=bool(facts.get("site_admin")),
        guest_token=facts.get("guest_token"),
        origin=Origin(ip=facts.get("ip"), user_agent=facts.get("user_agent")),
    )


class Bus:
    """This node's pub/sub link: one channel it listens on, one ordered publisher."""

    def __init__(
        self,
        redis: Redis,
        node_id: str,
        on_message: Callable[[dict[str, Any]], None],
        on_lost: Callable[[], None],
    ) -> None:
        self._redis = redis
        self.node_id = node_id
        self._on_message = on_message
        self._on_lost = on_lost
        self._outgoing: asyncio.Queue[tuple[str, str]] = asyncio.Queue(PUBLISH_QUEUE)
        self._tasks: list[asyncio.Task[None]] = []
        self.listening = False
        self._subscribed_before = False
        self.listening_since = -1.0e9
        """When the link came back after a loss (loop time), so placements let owners settle."""
        self._reconnected = False
        self._listening_on: AbstractConnection | None = None
        """The connection the current subscription listens on (its reconnection loses frames)."""

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._listen(), name="relay-listen"),
            asyncio.create_task(self._publish(), name="relay-publish"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def publish(self, node: str, message: dict[str, Any]) -> None:
        """Queue a message for ``node``; order is kept for everything published here."""
        try:
            self._outgoing.put_nowait((node_key(node), json.dumps(message)))
        except asyncio.QueueFull:
            logger.error("relay: %d messages wait for Redis; dropping the relay", PUBLISH_QUEUE)
            self._drop_queue()
            self._on_lost()

    def _drop_queue(self) -> None:
        while not self._outgoing.empty():
            self._outgoing.get_nowait()

    async def _publish(self) -> None:
        while True:
            batch = [await self._outgoing.get()]
            while not self._outgoing.empty() and len(batch) < 256:
                batch.append(self._outgoing.get_nowait())
            try:
                async with self._redis.pipeline(transaction=False) as pipe:
                    for channel, payload in batch:
                        pipe.publish(channel, payload)
                    await pipe.execute()
            except UNAVAILABLE:
                logger.warning("relay: Redis refused %d messages; relayed sockets end", len(batch))
                self._drop_queue()
                self._on_lost()

    def _connection_renewed(self, connection: object) -> None:
        # redis-py reconnects and resubscribes by itself; what was published meanwhile is lost.
        # Only the connection listening now counts: one an earlier subscription gave back to the
        # pool may reconnect later for an ordinary command, which loses nothing of ours.
        if connection is self._listening_on:
            self._reconnected = True

    async def _listen(self) -> None:
        pause = 0.1
        while True:
            pubsub: PubSub = self._redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(node_key(self.node_id))
                self._listening_on = pubsub.connection
                if pubsub.connection is not None:
                    pubsub.connection.register_connect_callback(self._connection_renewed)
                self._reconnected = False
                self.listening = True
                if self._subscribed_before:
                    self.listening_since = asyncio.get_running_loop().time()
                self._subscribed_before = True
                pause = 0.1
                while not self._reconnected:
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                    if message is None or message.get("type") != "message":
                        continue
                    try:
                        envelope = json.loads(message["data"])
                    except ValueError:
                        logger.error("relay: a message that is not JSON on this node's channel")
                        continue
                    if isinstance(envelope, dict):
                        self._on_message(envelope)
                logger.warning("relay: the pub/sub link was renewed; closing relayed sockets")
            except UNAVAILABLE as exc:
                if self.listening:
                    logger.warning("relay: Redis unreachable (%s); closing relayed sockets", exc)
            finally:
                was_listening, self.listening = self.listening, False
                if was_listening:
                    self._on_lost()
                if self._listening_on is not None:
                    # The connection goes back to the shared pool: ours to unhook, not its
                    # next user's (PubSub.aclose unhooks only its own callback).
                    self._listening_on.deregister_connect_callback(self._connection_renewed)  # type: ignore[no-untyped-call]
                    self._listening_on = None
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
            await asyncio.sleep(pause)
            pause = min(pause * 2, 1.0)


class RelayedSocket:
    """The owner's end of a relayed browser socket: what ``RoomConnection`` reads and writes.

    The edge accepted the browser's WebSocket already; sends are published to the edge."""

    def __init__(
        self,
        bus: Bus,
        edge: str,
        connection_id: str,
        ip: str | None,
        edge_incarnation: str | None = None,
    ) -> None:
        self._bus = bus
        self.edge = edge
        self.edge_incarnation = edge_incarnation
        """The run of the edge's process that opened it."""
        self.connection_id = connection_id
        self._address = Address(ip or "unknown", 0)
        self._inbox: asyncio.Queue[str | bool | None] = asyncio.Queue(QUEUE_FRAMES)
        self.client_state = WebSocketState.CONNECTED

    @property
    def client(self) -> Address:
        return self._address

    async def accept(
        self, subprotocol: str | None = None, headers: Iterable[tuple[bytes, bytes]] | None = None
    ) -> None:
        """Nothing to do: the edge accepted the browser's socket (and set its cookie)."""

    async def receive(self) -> Message:
        item = await self._inbox.get()
        if item is False:
            return {"type": "websocket.disconnect", "code": 1006}
        if item is None:
            return {"type": "websocket.receive", "bytes": b""}
        return {"type": "websocket.receive", "text": item}

    async def send_text(self, data: str) -> None:
        if self.client_state != WebSocketState.CONNECTED:
            raise RuntimeError("the relayed socket is closed")
        self._bus.publish(self.edge, {"k": "frame", "c": self.connection_id, "t": data})

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        if self.client_state == WebSocketState.CONNECTED:
            self.client_state = WebSocketState.DISCONNECTED
            self._bus.publish(self.edge, {"k": "close", "c": self.connection_id, "code": code})
        self.disconnect()

    def deliver(self, text: str | None) -> None:
        """A client frame from the edge (None: a binary frame, refused as it would be here)."""
        try:
            self._inbox.put_nowait(text)
        except asyncio.QueueFull:
            logger.warning("relay: a relayed socket's frames pile up; closing it")
            self.disconnect()
            with contextlib.suppress(RuntimeError):
                self._bus.publish(
                    self.edge, {"k": "close", "c": self.connection_id, "code": CLOSE_TOO_SLOW}
                )
            self.client_state = WebSocketState.DISCONNECTED

    def disconnect(self) -> None:
        """The browser left (or its edge is gone): the next ``receive`` says so."""
        with contextlib.suppress(asyncio.QueueFull):
            self._inbox.put_nowait(False)
        if self._inbox.full():
            # Make room for the disconnect: nothing queued matters any more.
            while not self._inbox.empty():
                self._inbox.get_nowait()
            self._inbox.put_nowait(False)


class EdgeLink:
    """The edge's end: a browser socket accepted here whose room is served by ``owner``."""

    def __init__(self, slug: str, owner: str) -> None:
        self.slug = slug
        self.owner = owner
        self.owner_incarnation: str | None = None
        """The run of the owner's process that answered ``opened``."""
        self.connection_id = uuid.uuid4().hex
        self.inbox: asyncio.Queue[str | int] = asyncio.Queue(QUEUE_FRAMES)
        self.opened = asyncio.Event()

    def deliver(self, item: str | int) -> None:
        """A frame from the owner, or a close code."""
        try:
            self.inbox.put_nowait(item)
        except asyncio.QueueFull:
            self.shed(CLOSE_TOO_SLOW)

    def shed(self, code: int) -> None:
        """Close the browser's socket with ``code`` (ahead of anything still queued)."""
        while not self.inbox.empty():
            self.inbox.get_nowait()
        self.inbox.put_nowait(code)


OpenHandler = Callable[[RelayedSocket, str, Visitor], Awaitable[None]]


class Relay:
    """Both ends of relayed sockets on this node, over one ``Bus``."""

    def __init__(
        self, redis: Redis, node_id: str, settings: Settings, registry: CollectorRegistry
    ) -> None:
        self.node_id = node_id
        self.incarnation = secrets.token_hex(8)
        """This run of this node's process: a restart with the same node id is told apart."""
        self._settings = settings
        self.bus = Bus(redis, node_id, self._received, self._lost)
        self.edges: dict[str, EdgeLink] = {}
        self.owned: dict[str, RelayedSocket] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.on_open: OpenHandler | None = None
        self.round_trip = Histogram(
            "visio_relay_round_trip_seconds",
            "Edge to owner to edge through Redis pub/sub (socket opening and probes)",
            buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1.0),
            registry=registry,
        )

    def start(self) -> None:
        self.bus.start()

    async def stop(self) -> None:
        await self.bus.stop()
        for task in list(self._tasks):
            task.cancel()

    @property
    def up(self) -> bool:
        return self.bus.listening

    # ---- the edge --------------------------------------------------------------------------

    async def serve_edge(
        self, websocket: WebSocket, slug: str, visitor: Visitor, owner: str
    ) -> None:
        """Carry an accepted browser socket to ``owner`` and back until either end closes."""
        link = EdgeLink(slug, owner)
        self.edges[link.connection_id] = link
        sent_at = time.monotonic()
        self.bus.publish(
            owner,
            {
                "k": "open",
                "c": link.connection_id,
                "e": self.node_id,
                "i": self.incarnation,
                "s": slug,
                "v": visitor_facts(visitor),
            },
        )
        reader = asyncio.create_task(self._edge_reader(websocket, link), name="relay-edge-read")
        writer = asyncio.create_task(self._edge_writer(websocket, link), name="relay-edge-write")
        try:
            try:
                await asyncio.wait_for(link.opened.wait(), OPEN_TIMEOUT_S)
                self.round_trip.observe(time.monotonic() - sent_at)
            except TimeoutError:
                if not writer.done():
                    logger.warning("room %s: owner %s did not answer; reconnect", slug, owner)
                    link.shed(CLOSE_SERVICE_RESTART)
            await asyncio.wait({reader, writer}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self.edges.pop(link.connection_id, None)
            for task in (reader, writer):
                task.cancel()
            for task in (reader, writer):
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            if websocket.client_state == WebSocketState.CONNECTED:
                with contextlib.suppress(Exception):
                    await websocket.close(CLOSE_SERVICE_RESTART)

    async def _edge_reader(self, websocket: WebSocket, link: EdgeLink) -> None:
        # A bucket twice as generous as the owner's: the owner answers ``rate_limited`` as it
        # does for its own sockets; this one keeps a flood from reaching Redis at all, and
        # answers what it holds back the same way.
        bucket = TokenBucket(
            2 * self._settings.protocol_rate_per_second, 2 * self._settings.protocol_rate_burst
        )
        try:
            while True:
                event = await websocket.receive()
                if event["type"] == "websocket.disconnect":
                    break
                if not bucket.allow():
                    link.deliver(_RATE_LIMITED)
                    continue
                # Opaque text, already bounded by the server's frame size limit; the owner
                # checks the protocol's own limit as it does for its own sockets.
                text = event.get("text")
                self.bus.publish(link.owner, {"k": "frame", "c": link.connection_id, "t": text})
        except (WebSocketDisconnect, RuntimeError):
            pass
        self.bus.publish(link.owner, {"k": "close", "c": link.connection_id})

    async def _edge_writer(self, websocket: WebSocket, link: EdgeLink) -> None:
        while True:
            item = await link.inbox.get()
            if isinstance(item, int):
                if websocket.client_state == WebSocketState.CONNECTED:
                    with contextlib.suppress(Exception):
                        await websocket.close(item)
                return
            try:
                await websocket.send_text(item)
            except (WebSocketDisconnect, RuntimeError, OSError):
                return

    def probe(self, owner: str) -> None:
        """Measure a round trip to ``owner`` (sent each second while relaying to it)."""
        self.bus.publish(owner, {"k": "probe", "e": self.node_id, "t": time.monotonic()})

    def shed_edges(self, slug: str | None, code: int, owner: str | None = None) -> int:
        """Close the browser sockets relayed for ``slug`` (all with None), or to ``owner``."""
        shed = 0
        for link in list(self.edges.values()):
            if (slug is None or link.slug == slug) and (owner is None or link.owner == owner):
                link.shed(code)
                shed += 1
        return shed

    # ---- messages ----------------------------------------------------------------------------

    def _received(self, envelope: dict[str, Any]) -> None:
        kind = envelope.get("k")
        connection_id = str(envelope.get("c", ""))
        if kind == "frame":
            text = envelope.get("t")
            if connection_id in self.owned:
                self.owned[connection_id].deliver(text if isinstance(text, str) else None)
            elif connection_id in self.edges and isinstance(text, str):
                self.edges[connection_id].deliver(text)
        elif kind == "close":
            if connection_id in self.owned:
                self.owned.pop(connection_id).disconnect()
            elif connection_id in self.edges:
                code = envelope.get("code")
                self.edges[connection_id].shed(code if isinstance(code, int) else 1011)
        elif kind == "opened":
            if connection_id in self.edges:
                link = self.edges[connection_id]
                incarnation = envelope.get("i")
                link.owner_incarnation = incarnation if isinstance(incarnation, str) else None
                link.opened.set()
        elif kind == "open":
            self._open(envelope)
        elif kind == "probe":
            self.bus.publish(str(envelope.get("e")), {"k": "probe_ack", "t": envelope.get("t")})
        elif kind == "probe_ack":
            sent = envelope.get("t")
            if isinstance(sent, float):
                self.round_trip.observe(time.monotonic() - sent)

    def _open(self, envelope: dict[str, Any]) -> None:
        connection_id = str(envelope.get("c", ""))
        edge = str(envelope.get("e", ""))
        slug = envelope.get("s")
        facts = envelope.get("v")
        if (
            not connection_id
            or not edge
            or not isinstance(slug, str)
            or not isinstance(facts, dict)
        ):
            logger.error("relay: a malformed open from %r; ignored", edge)
            return
        try:
            visitor = visitor_from_facts(facts)
        except ValueError:
            logger.error("relay: an open from %s with an invalid visitor; closing it", edge)
            self.bus.publish(edge, {"k": "close", "c": connection_id, "code": 4000})
            return
        incarnation = envelope.get("i")
        socket = RelayedSocket(
            self.bus,
            edge,
            connection_id,
            visitor.origin.ip,
            incarnation if isinstance(incarnation, str) else None,
        )
        self.owned[connection_id] = socket
        self.bus.publish(edge, {"k": "opened", "c": connection_id, "i": self.incarnation})
        task = asyncio.create_task(self._serve_owned(socket, slug, visitor), name="relay-owned")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _serve_owned(self, socket: RelayedSocket, slug: str, visitor: Visitor) -> None:
        try:
            if self.on_open is None:
                await socket.close(CLOSE_SERVICE_RESTART)
                return
            await self.on_open(socket, slug, visitor)
        except Exception:
            logger.exception("room %s: a relayed socket failed", slug)
        finally:
            self.owned.pop(socket.connection_id, None)
            await socket.close(CLOSE_SERVICE_RESTART)

    def edges_of_owned(self) -> set[str]:
        return {socket.edge for socket in self.owned.values()}

    def disconnect_from(self, edge: str, presence: Presence) -> int:
        """The sockets ``edge`` relays here whose run of it is gone (dead, or restarted with
        the same id: the new run knows nothing of them): their browsers left."""
        gone = [
            s
            for s in self.owned.values()
            if s.edge == edge and not presence.still(s.edge_incarnation)
        ]
        for socket in gone:
            self.owned.pop(socket.connection_id, None)
            socket.disconnect()
        return len(gone)

    def _lost(self) -> None:
        """The pub/sub link broke: what was in flight is lost, so every relayed socket ends."""
        shed = self.shed_edges(None, CLOSE_SERVICE_RESTART)
        owned = list(self.owned.values())
        self.owned.clear()
        for socket in owned:
            socket.disconnect()
            socket.client_state = WebSocketState.DISCONNECTED
        if shed or owned:
            logger.warning(
                "relay: closed %d relayed browser sockets and %d served ones", shed, len(owned)
            )
