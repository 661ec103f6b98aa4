"""The app server's link to the media engine: one Janus connection and session, kept up.

When Janus goes away (it crashed, or the network to it broke) the engine tells its listeners,
reconnects as soon as Janus answers again, and tells them it is back so rooms can be rebuilt.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from websockets.exceptions import WebSocketException

from visio.backoff import Backoff
from visio.media.janus.client import JanusConnection, JanusError, JanusSession

logger = logging.getLogger(__name__)

Listener = Callable[[], Awaitable[None]]


class MediaUnavailableError(Exception):
    """The media engine is not connected right now."""


class MediaEngine:
    """Keeps a Janus session open and reports when it is lost and when it is back."""

    def __init__(self, url: str, api_secret: str | None, room_admin_key: str | None) -> None:
        self._url = url
        self._api_secret = api_secret
        self.room_admin_key = room_admin_key
        """The VideoRoom plugin's ``admin_key``, needed to create rooms (None: not required)."""
        self._session: JanusSession | None = None
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self._on_lost: list[Listener] = []
        self._on_restored: list[Listener] = []
        self.generation = 0

    def on_lost(self, listener: Listener) -> None:
        self._on_lost.append(listener)

    def on_restored(self, listener: Listener) -> None:
        self._on_restored.append(listener)

    @property
    def session(self) -> JanusSession:
        """The live Janus session, or :class:`MediaUnavailableError`."""
        if self._session is None or self._session.connection.closed.is_set():
            raise MediaUnavailableError("the media engine is not connected")
        return self._session

    @property
    def connected(self) -> bool:
        return self._session is not None and not self._session.connection.closed.is_set()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="media-engine")

    async def wait_ready(self, timeout: float) -> None:
        await asyncio.wait_for(self._ready.wait(), timeout)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._session is not None:
            await self._session.destroy()
            await self._session.connection.close()

    async def _run(self) -> None:
        backoff = Backoff(initial=0.05, maximum=1.0, factor=1.5)
        failures = 0
        while True:
            connection = JanusConnection(self._url, self._api_secret)
            try:
                await connection.connect()
                session = await JanusSession.create(connection)
            except Exception as exc:
                # Usually Janus is not listening yet, or half up (a handshake cut short while it
                # starts); whatever it is, the engine must keep trying rather than die.
                failures += 1
                expected = isinstance(exc, OSError | TimeoutError | JanusError | WebSocketException)
                if not expected:
                    logger.exception("unexpected error reaching Janus at %s", self._url)
                elif failures == 20 or failures % 200 == 0:
                    logger.warning("cannot reach Janus at %s yet: %s", self._url, exc)
                elif failures == 1:  # normal while Janus starts
                    logger.info("waiting for Janus at %s", self._url)
                with contextlib.suppress(Exception):
                    await connection.close()
                await asyncio.sleep(backoff.next_delay())
                continue
            backoff.reset()
            failures = 0
            self._session = session
            self.generation += 1
            logger.info("connected to Janus (session %s)", session.session_id)
            self._ready.set()
            if self.generation > 1:
                await self._notify(self._on_restored)
            await connection.closed.wait()
            self._ready.clear()
            self._session = None
            logger.error("lost the connection to Janus; reconnecting")
            await self._notify(self._on_lost)

    async def _notify(self, listeners: list[Listener]) -> None:
        for listener in listeners:
            try:
                await listener()
            except Exception:
                logger.exception("media engine listener failed")
