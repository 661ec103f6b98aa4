"""A client of Janus's WebSocket API: one connection, its sessions and their plugin handles.

Janus answers a plugin message first with an ``ack`` and later with an ``event`` carrying the same
transaction; events without a pending transaction (trickle candidates, ``webrtcup``, renegotiation
offers Janus makes by itself) go to the handle they concern.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection

logger = logging.getLogger(__name__)

JsonObject = dict[str, Any]


class JanusError(Exception):
    """Janus refused a request or could not be reached."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"Janus error {code}: {reason}")
        self.code = code
        self.reason = reason


class JanusClosedError(JanusError):
    """The connection to Janus is gone."""

    def __init__(self, reason: str = "connection to Janus closed") -> None:
        super().__init__(0, reason)


@dataclass(frozen=True)
class PluginEvent:
    """An asynchronous message for a handle: a plugin event or a core notification."""

    kind: str  # "event", "trickle", "webrtcup", "hangup", "media", "slowlink", "detached"
    data: JsonObject  # the plugin's data for "event", the whole message otherwise
    jsep: JsonObject | None = None


EventListener = Callable[[PluginEvent], Awaitable[None]]


class JanusConnection:
    """One WebSocket to Janus; multiplexes requests by transaction and routes events to handles."""

    def __init__(self, url: str, api_secret: str | None, request_timeout: float = 10.0) -> None:
        self._url = url
        self._api_secret = api_secret
        self._request_timeout = request_timeout
        self._ws: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._pending: dict[str, asyncio.Future[JsonObject]] = {}
        self._awaiting_event: set[str] = set()
        self._handles: dict[int, JanusHandle] = {}
        self._transactions = itertools.count(1)
        self._prefix = secrets.token_hex(4)
        self.closed = asyncio.Event()

    async def connect(self, timeout: float = 5.0) -> None:
        """Open the WebSocket (Janus speaks the ``janus-protocol`` subprotocol)."""
        self._ws = await asyncio.wait_for(
            websockets.connect(
                self._url,
                subprotocols=[websockets.Subprotocol("janus-protocol")],
                max_size=8 * 1024 * 1024,
                ping_interval=None,
            ),
            timeout,
        )
        self._reader = asyncio.create_task(self._read_loop(), name="janus-reader")

    async def close(self) -> None:
        """Close the WebSocket; pending requests fail with :class:`JanusClosedError`."""
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader

    async def request(
        self, body: JsonObject, *, wait_event: bool = False, timeout: float | None = None
    ) -> JsonObject:
        """Send one Janus API request; return its reply (or, with ``wait_event``, its event)."""
        if self._ws is None or self.closed.is_set():
            raise JanusClosedError()
        transaction = f"{self._prefix}-{next(self._transactions)}"
        message = {**body, "transaction": transaction}
        if self._api_secret:
            message["apisecret"] = self._api_secret
        future: asyncio.Future[JsonObject] = asyncio.get_running_loop().create_future()
        self._pending[transaction] = future
        if wait_event:
            self._awaiting_event.add(transaction)
        try:
            await self._ws.send(json.dumps(message))
            reply = await asyncio.wait_for(future, timeout or self._request_timeout)
        except TimeoutError:
            raise JanusError(0, f"no reply from Janus to {body.get('janus')!r}") from None
        except websockets.ConnectionClosed:
            raise JanusClosedError() from None
        finally:
            self._pending.pop(transaction, None)
            self._awaiting_event.discard(transaction)
        if reply.get("janus") == "error":
            error = reply.get("error", {})
            raise JanusError(int(error.get("code", 0)), str(error.get("reason", "unknown error")))
        return reply

    def register(self, handle: JanusHandle) -> None:
        self._handles[handle.handle_id] = handle

    def unregister(self, handle_id: int) -> None:
        self._handles.pop(handle_id, None)

    async def _read_loop(self) -> None:
        assert self._ws is not None
        try:
            async for raw in self._ws:
                try:
                    message = json.loads(raw)
                except (json.JSONDecodeError, UnicodeDecodeError):
                    logger.error("Janus sent a frame that is not JSON; ignored")
                    continue
                if isinstance(message, dict):
                    self._dispatch(message)
        except websockets.ConnectionClosed:
            pass
        finally:
            self.closed.set()
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(JanusClosedError())

    def _dispatch(self, message: JsonObject) -> None:
        kind = message.get("janus")
        transaction = message.get("transaction")
        if isinstance(transaction, str) and transaction in self._pending:
            waiting_event = transaction in self._awaiting_event
            if kind == "ack" and waiting_event:
                return
            if kind in {"event", "error", "success", "ack", "server_info"} or not waiting_event:
                future = self._pending[transaction]
                if not future.done():
                    future.set_result(message)
                return
        sender = message.get("sender")
        handle = self._handles.get(sender) if isinstance(sender, int) else None
        if handle is None:
            if kind not in {"ack", "keepalive"}:
                logger.debug("Janus message for no known handle: %s", kind)
            return
        if kind == "event":
            plugindata = message.get("plugindata", {}).get("data", {})
            handle.deliver(PluginEvent("event", plugindata, message.get("jsep")))
        elif isinstance(kind, str):
            handle.deliver(PluginEvent(kind, message))


class JanusSession:
    """A Janus session: the unit that owns handles and must be kept alive."""

    def __init__(self, connection: JanusConnection, session_id: int) -> None:
        self.connection = connection
        self.session_id = session_id
        self._keepalive = asyncio.create_task(self._keep_alive(), name="janus-keepalive")

    @classmethod
    async def create(cls, connection: JanusConnection) -> JanusSession:
        reply = await connection.request({"janus": "create"})
        return cls(connection, int(reply["data"]["id"]))

    async def attach(self, plugin: str, listener: EventListener) -> JanusHandle:
        """Attach a new handle to ``plugin``; its events go to ``listener``."""
        reply = await self.connection.request(
            {"janus": "attach", "plugin": plugin, "session_id": self.session_id}
        )
        handle = JanusHandle(self, int(reply["data"]["id"]), listener)
        self.connection.register(handle)
        return handle

    async def destroy(self) -> None:
        self._keepalive.cancel()
        with contextlib.suppress(JanusError):
            await self.connection.request({"janus": "destroy", "session_id": self.session_id})

    async def _keep_alive(self) -> None:
        while True:
            await asyncio.sleep(25)
            try:
                await self.connection.request({"janus": "keepalive", "session_id": self.session_id})
            except JanusError as exc:
                logger.warning("Janus keepalive failed: %s", exc)
                return


class JanusHandle:
    """A handle attached to a plugin; delivers its events one at a time, in order."""

    def __init__(self, session: JanusSession, handle_id: int, listener: EventListener) -> None:
        self.session = session
        self.handle_id = handle_id
        self._listener = listener
        self._events: asyncio.Queue[PluginEvent] = asyncio.Queue()
        self._consumer = asyncio.create_task(self._consume(), name=f"janus-handle-{handle_id}")

    def deliver(self, event: PluginEvent) -> None:
        self._events.put_nowait(event)

    async def _consume(self) -> None:
        while True:
            event = await self._events.get()
            try:
                await self._listener(event)
            except Exception:
                logger.exception("handling Janus event %s on handle %s", event.kind, self.handle_id)

    async def message(
        self, body: JsonObject, jsep: JsonObject | None = None
    ) -> tuple[JsonObject, JsonObject | None]:
        """Send a plugin request; return the plugin's data and any JSEP, raising on an error."""
        request: JsonObject = {
            "janus": "message",
            "session_id": self.session.session_id,
            "handle_id": self.handle_id,
            "body": body,
        }
        if jsep is not None:
            request["jsep"] = jsep
        reply = await self.session.connection.request(request, wait_event=True)
        data = reply.get("plugindata", {}).get("data", {})
        if "error_code" in data or "error" in data:
            raise JanusError(int(data.get("error_code", 0)), str(data.get("error", "plugin error")))
        return data, reply.get("jsep")

    async def trickle(self, candidate: JsonObject | None) -> None:
        """Pass a browser's ICE candidate to Janus (``None`` means end of candidates)."""
        await self.session.connection.request(
            {
                "janus": "trickle",
                "session_id": self.session.session_id,
                "handle_id": self.handle_id,
                "candidate": candidate if candidate is not None else {"completed": True},
            }
        )

    def forget(self) -> None:
        """Drop a handle whose Janus session is already gone, without asking Janus anything."""
        self.session.connection.unregister(self.handle_id)
        if asyncio.current_task() is not self._consumer:
            self._consumer.cancel()

    async def detach(self) -> None:
        """Detach from the plugin (Janus hangs up its PeerConnection) and stop the consumer."""
        self.session.connection.unregister(self.handle_id)
        if asyncio.current_task() is not self._consumer:
            self._consumer.cancel()
        with contextlib.suppress(JanusError):
            await self.session.connection.request(
                {
                    "janus": "detach",
                    "session_id": self.session.session_id,
                    "handle_id": self.handle_id,
                }
            )
