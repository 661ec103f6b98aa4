"""Several Janus instances under one app server: each kept up on its own, rooms placed on the
least-loaded healthy one.

A room lives on one Janus at a time (``Room.janus``). When it opens it goes to the healthy
instance forwarding the fewest subscriber streams (not the fewest rooms: a 300-person meeting
costs Janus far more than ten small ones); ties go to the name that sorts first. The load comes
from a :class:`PlacementLoad`: today the rooms this app server holds, later figures shared by
every app server. When an instance is lost, the pool tells its listeners which one, so its rooms
can move to another at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from websockets.exceptions import WebSocketException

from visio.media.engine import MediaEngine, MediaUnavailableError
from visio.media.janus.client import JanusConnection, JanusError, JanusSession
from visio.media.janus.videoroom import VideoRoomAdmin

logger = logging.getLogger(__name__)


@dataclass(eq=False)
class JanusInstance:
    """One Janus: its name (its URL), its connection and its VideoRoom administration."""

    name: str
    engine: MediaEngine
    videoroom: VideoRoomAdmin

    @property
    def connected(self) -> bool:
        return self.engine.connected

    @property
    def generation(self) -> int:
        """Sessions opened so far: a Janus room made in an older one is gone."""
        return self.engine.generation


class PlacementLoad(Protocol):
    """What placement compares: per instance name, the subscriber streams it forwards now and
    the rooms it carries (an instance missing from a mapping counts 0)."""

    def forwarded_streams(self) -> Mapping[str, int]: ...

    def rooms(self) -> Mapping[str, int]: ...


class NoLoad:
    """Before anything measures: every instance counts 0 (placement by name)."""

    def forwarded_streams(self) -> Mapping[str, int]:
        return {}

    def rooms(self) -> Mapping[str, int]:
        return {}


@dataclass(frozen=True)
class InstanceFigures:
    """One instance as ``/metrics`` and ``/readyz`` show it."""

    name: str
    up: bool
    rooms: int
    forwarded_streams: int


InstanceListener = Callable[[JanusInstance], Awaitable[None]]


class JanusPool:
    """The Janus instances this app server uses, each with its own health."""

    def __init__(self, instances: Sequence[JanusInstance]) -> None:
        if not instances:
            raise ValueError("a Janus pool needs at least one instance")
        names = [instance.name for instance in instances]
        if len(set(names)) != len(names):
            raise ValueError(f"Janus instances must have distinct names: {names}")
        self.instances = tuple(sorted(instances, key=lambda instance: instance.name))
        self.load: PlacementLoad = NoLoad()
        self.local_load: PlacementLoad = self.load
        self._on_lost: list[InstanceListener] = []
        self._on_restored: list[InstanceListener] = []
        for instance in self.instances:
            instance.engine.on_lost(self._notifier(self._on_lost, instance))
            instance.engine.on_restored(self._notifier(self._on_restored, instance))

    @classmethod
    def connect_to(
        cls, urls: Sequence[str], api_secret: str | None, room_admin_key: str | None
    ) -> JanusPool:
        """A pool of the Janus instances at ``urls`` (checked settings), sharing one API secret
        and one VideoRoom admin key."""
        instances = []
        for url in urls:
            engine = MediaEngine(url, api_secret, room_admin_key)
            instances.append(JanusInstance(url, engine, VideoRoomAdmin(engine)))
        return cls(instances)

    def measure_with(self, load: PlacementLoad, local: PlacementLoad | None = None) -> None:
        """Place by ``load``; ``/metrics`` shows ``local`` (this app server's own share, when
        ``load`` adds other app servers' figures)."""
        self.load = load
        self.local_load = local or load

    def on_lost(self, listener: InstanceListener) -> None:
        """Called with the instance whose connection broke (its rooms are gone from it)."""
        self._on_lost.append(listener)

    def on_restored(self, listener: InstanceListener) -> None:
        """Called with an instance that answers again after it was lost."""
        self._on_restored.append(listener)

    @property
    def connected(self) -> bool:
        """Whether at least one instance is up (meetings can have media)."""
        return any(instance.connected for instance in self.instances)

    @property
    def connections(self) -> int:
        """Janus sessions opened since start, all instances together."""
        return sum(instance.generation for instance in self.instances)

    def healthy(self) -> list[JanusInstance]:
        return [instance for instance in self.instances if instance.connected]

    def down(self) -> list[JanusInstance]:
        return [instance for instance in self.instances if not instance.connected]

    def place(self) -> JanusInstance:
        """The healthy instance forwarding the fewest streams (ties: the first name), or
        :class:`MediaUnavailableError` when none is up."""
        healthy = self.healthy()
        if not healthy:
            raise MediaUnavailableError("no Janus instance is connected")
        streams = self.load.forwarded_streams()
        return min(healthy, key=lambda instance: (streams.get(instance.name, 0), instance.name))

    def figures(self) -> list[InstanceFigures]:
        streams, rooms = self.local_load.forwarded_streams(), self.local_load.rooms()
        return [
            InstanceFigures(
                instance.name,
                instance.connected,
                rooms.get(instance.name, 0),
                streams.get(instance.name, 0),
            )
            for instance in self.instances
        ]

    async def start(self) -> None:
        for instance in self.instances:
            await instance.engine.start()

    async def wait_ready(self, timeout: float) -> None:
        """Until one instance is connected (``TimeoutError`` after ``timeout`` seconds)."""
        waits = [
            asyncio.ensure_future(instance.engine.wait_ready(timeout))
            for instance in self.instances
        ]
        try:
            for finished in asyncio.as_completed(waits):
                try:
                    await finished
                    return
                except TimeoutError:
                    continue
            raise TimeoutError("no Janus instance answered")
        finally:
            for wait in waits:
                wait.cancel()

    async def stop(self) -> None:
        for instance in self.instances:
            await instance.engine.stop()

    def _notifier(
        self, listeners: list[InstanceListener], instance: JanusInstance
    ) -> Callable[[], Awaitable[None]]:
        async def notify() -> None:
            for listener in listeners:
                try:
                    await listener(instance)
                except Exception:
                    logger.exception("Janus pool listener failed for %s", instance.name)

        return notify


async def janus_answers(url: str, api_secret: str | None, timeout: float = 5.0) -> str | None:
    """Open a session on the Janus at ``url`` and close it (``visio check``); None when it
    answers, else what went wrong."""
    connection = JanusConnection(url, api_secret, request_timeout=timeout)
    try:
        await connection.connect(timeout)
        session = await JanusSession.create(connection)
        await session.destroy()
    except (OSError, TimeoutError, JanusError, WebSocketException) as exc:
        return str(exc) or type(exc).__name__
    finally:
        with contextlib.suppress(Exception):
            await connection.close()
    return None
