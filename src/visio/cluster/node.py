"""One app server among several: where each room socket is served, and the leases kept alive.

A socket whose room nobody owns makes this node the owner; a socket whose room another node
owns is relayed there. Each second this node renews its leases and heartbeat, closes the
relayed sockets whose owner went away (close code 1012: the browser reconnects and lands on
a node that claims the room), and lets go of relayed sockets whose edge went away. While Redis
is down, rooms in progress go on where they are; a room that is not here yet waits for Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import replace

from prometheus_client import CollectorRegistry
from redis.asyncio import Redis
from starlette.datastructures import Address
from starlette.types import Message
from starlette.websockets import WebSocket, WebSocketState

from visio.cluster.placement import RENEW_INTERVAL_S, NodeLoad, Placement
from visio.cluster.redis import UNAVAILABLE
from visio.cluster.relay import CLOSE_SERVICE_RESTART, Relay, RelayedSocket
from visio.rooms.participant import Visitor
from visio.rooms.protocol import ProtocolError, encode
from visio.rooms.signaling import RoomConnection, RoomTransport
from visio.rooms.slugs import normalise_slug
from visio.settings import Settings

logger = logging.getLogger(__name__)

CLOSE_TRY_AGAIN_LATER = 1013
PLACEMENT_WAIT_S = 10.0
"""How long a socket whose room cannot be placed (Redis down) waits before being told to retry."""
DOWN_RETRY_S = 0.25

ConnectionFactory = Callable[[RoomTransport, str, Visitor], RoomConnection]


class _Accepted:
    """A Starlette WebSocket this node accepted already (to tell the browser it waits)."""

    def __init__(self, websocket: WebSocket) -> None:
        self._ws = websocket

    @property
    def client_state(self) -> WebSocketState:
        return self._ws.client_state

    @client_state.setter
    def client_state(self, state: WebSocketState) -> None:
        self._ws.client_state = state

    @property
    def client(self) -> Address | None:
        return self._ws.client

    async def accept(
        self, subprotocol: str | None = None, headers: Iterable[tuple[bytes, bytes]] | None = None
    ) -> None:
        """Accepted already."""

    async def receive(self) -> Message:
        return await self._ws.receive()

    async def send_text(self, data: str) -> None:
        await self._ws.send_text(data)

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        await self._ws.close(code, reason)


class ClusterNode:
    """This app server's part in a cluster sharing Redis (``VISIO_REDIS_URL``)."""

    def __init__(
        self,
        redis: Redis,
        settings: Settings,
        registry: CollectorRegistry,
        connection: ConnectionFactory,
        load: Callable[[], NodeLoad],
    ) -> None:
        self.node_id = settings.effective_node_id
        self.placement = Placement(redis, self.node_id)
        self.relay = Relay(redis, self.node_id, settings, registry)
        self.relay.on_open = self._serve_relayed
        self._redis = redis
        self._connection = connection
        self._load = load
        self._connections: dict[str, set[RoomConnection]] = defaultdict(set)
        self._draining = False
        self._ticker: asyncio.Task[None] | None = None
        self.redis_up = False
        self._redis_lost = False
        self.on_nodes: Callable[[dict[str, NodeLoad]], None] | None = None
        """Told every node's heartbeat after each renewal (cluster-wide Janus load)."""

    async def start(self) -> None:
        self.relay.start()
        self._ticker = asyncio.create_task(self._tick_forever(), name="cluster-leases")

    async def stop(self) -> None:
        """A graceful stop: every socket here is told to reconnect (1012), leases released."""
        self._draining = True
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
        for connections in self._connections.values():
            for connection in connections:
                connection.shed(CLOSE_SERVICE_RESTART)
        self.relay.shed_edges(None, CLOSE_SERVICE_RESTART)
        deadline = asyncio.get_running_loop().time() + 3
        while (  # noqa: ASYNC110 - two registries, emptied by other tasks; a short poll
            any(self._connections.values()) or self.relay.edges
        ) and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.05)
        await self.placement.leave()
        await self.relay.stop()

    async def redis_answers(self) -> bool:
        """For /readyz: a PING within the client's timeouts."""
        try:
            return bool(await self._redis.ping())
        except UNAVAILABLE:
            return False

    # ---- serving sockets -----------------------------------------------------------------------

    async def serve(
        self,
        websocket: WebSocket,
        slug: str,
        visitor: Visitor,
        headers: list[tuple[bytes, bytes]],
    ) -> None:
        """Serve a browser's room socket here, or relay it to the room's owner."""
        await websocket.accept(headers=headers)
        if self._draining:
            await websocket.close(CLOSE_SERVICE_RESTART)
            return
        normalised = normalise_slug(slug)
        if normalised is None:
            # Not a room: refused as on one machine, without asking Redis.
            await self._run(_Accepted(websocket), slug, visitor, held=False)
            return
        owner = await self._place(websocket, normalised)
        if owner is None:
            if websocket.client_state == WebSocketState.CONNECTED:
                with contextlib.suppress(Exception):
                    await websocket.close(CLOSE_TRY_AGAIN_LATER)
            return
        if owner == self.node_id:
            await self._run(_Accepted(websocket), normalised, visitor, held=True)
        else:
            await self.relay.serve_edge(websocket, normalised, visitor, owner)

    async def _place(self, websocket: WebSocket, slug: str) -> str | None:
        """The room's owner (holding it when that is this node), waiting while Redis is down;
        None when it stays down (the browser was told and will retry)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + PLACEMENT_WAIT_S
        if self.placement.holds(slug):
            # Ours and renewed each second (a renewal that finds it lost closes its sockets).
            self.placement.hold(slug)
            return self.node_id
        waited = told = False
        while True:
            try:
                settling = self.relay.bus.listening_since + RENEW_INTERVAL_S + DOWN_RETRY_S
                if waited or loop.time() < settling:
                    # Redis came back: owners re-assert their leases within a renewal; let
                    # them, rather than take their rooms from them.
                    await asyncio.sleep(
                        max(
                            RENEW_INTERVAL_S + DOWN_RETRY_S if waited else 0, settling - loop.time()
                        )
                    )
                    waited = False
                owner = await self.placement.claim(slug)
                if owner != self.node_id and not self.relay.up:
                    raise ConnectionError("this node's pub/sub link is down")
            except UNAVAILABLE:
                if self.placement.holds(slug):
                    # A meeting in progress here goes on: nobody else can claim it either.
                    self.placement.hold(slug)
                    return self.node_id
                if loop.time() >= deadline:
                    logger.warning("room %s: Redis stayed unreachable; a socket will retry", slug)
                    return None
                if not told:
                    told = True
                    if not await self._tell_waiting(websocket):
                        return None
                waited = True
                await asyncio.sleep(DOWN_RETRY_S)
                continue
            if owner == self.node_id:
                self.placement.hold(slug)
            return owner

    async def _tell_waiting(self, websocket: WebSocket) -> bool:
        error = ProtocolError(
            "service_unavailable",
            "the servers cannot reach their shared state (Redis) to place this meeting; "
            "waiting for it, then joining",
        ).error
        try:
            await websocket.send_text(encode(error))
        except Exception:
            return False
        return True

    async def _serve_relayed(self, socket: RelayedSocket, slug: str, visitor: Visitor) -> None:
        """A socket relayed from another node for a room this node should own."""
        if self._draining or normalise_slug(slug) != slug:
            await socket.close(CLOSE_SERVICE_RESTART)
            return
        if self.placement.holds(slug):
            owner = self.node_id
        else:
            try:
                owner = await self.placement.claim(slug)
            except UNAVAILABLE:
                owner = ""
        if owner != self.node_id:
            await socket.close(CLOSE_SERVICE_RESTART)
            return
        self.placement.hold(slug)
        await self._run(socket, slug, visitor, held=True)

    async def _run(
        self, transport: RoomTransport, slug: str, visitor: Visitor, *, held: bool
    ) -> None:
        connection = self._connection(transport, slug, visitor)
        self._connections[slug].add(connection)
        try:
            await connection.run()
        finally:
            self._connections[slug].discard(connection)
            if not self._connections[slug]:
                del self._connections[slug]
            if held:
                await self.placement.unhold(slug)

    # ---- each second -------------------------------------------------------------------------

    async def _tick_forever(self) -> None:
        while True:
            await self.tick()
            await asyncio.sleep(RENEW_INTERVAL_S if self.redis_up else DOWN_RETRY_S)

    async def tick(self) -> None:
        """Renew leases and heartbeat; close sockets whose room moved or whose owner died."""
        try:
            lost = await self.placement.renew(
                replace(self._load(), listening=self.relay.up, incarnation=self.relay.incarnation)
            )
            if self._redis_lost:
                self._redis_lost = False
                logger.warning(
                    "Redis answers again; leases of %d rooms re-asserted",
                    len(self.placement.held()),
                )
            self.redis_up = True
            for slug in lost:
                self._moved(slug)
            await self._watch_relayed()
            if self.on_nodes is not None:
                self.on_nodes(await self.placement.nodes())
        except UNAVAILABLE as exc:
            if not self._redis_lost:
                self._redis_lost = True
                logger.error(
                    "Redis unreachable (%s): meetings here go on; new rooms wait for it", exc
                )
            self.redis_up = False
        except Exception:
            logger.exception("cluster: the lease renewal failed")

    def _moved(self, slug: str) -> None:
        """Another node owns the room now (it claimed it while Redis could not hear us)."""
        self.placement.forget(slug)
        connections = self._connections.get(slug, set())
        logger.warning(
            "room %s: another node owns it now; %d sockets here reconnect", slug, len(connections)
        )
        for connection in connections:
            connection.shed(CLOSE_SERVICE_RESTART)

    async def _watch_relayed(self) -> None:
        links = list(self.relay.edges.values())
        if links:
            slugs = sorted({link.slug for link in links})
            for slug, owner in zip(slugs, await self.placement.owners(slugs), strict=True):
                for link in links:
                    if link.slug == slug and link.owner != owner:
                        link.shed(CLOSE_SERVICE_RESTART)
            owners = sorted({link.owner for link in links})
            for node, presence in (await self.placement.presence(owners)).items():
                if presence.alive:
                    self.relay.probe(node)
                # A node restarted with the same id is alive, but its new run knows nothing of
                # the sockets its old run served: those reconnect too.
                stale = [
                    link
                    for link in links
                    if link.owner == node and not presence.still(link.owner_incarnation)
                ]
                for link in stale:
                    link.shed(CLOSE_SERVICE_RESTART)
                if stale:
                    logger.warning(
                        "node %s is %s; %d relayed sockets reconnect",
                        node,
                        "restarted" if presence.alive else "gone",
                        len(stale),
                    )
        edges = sorted(self.relay.edges_of_owned())
        for node, presence in (await self.placement.presence(edges)).items():
            gone = self.relay.disconnect_from(node, presence)
            if gone:
                logger.warning(
                    "node %s is %s; %d people it relayed left",
                    node,
                    "restarted" if presence.alive else "gone",
                    gone,
                )
