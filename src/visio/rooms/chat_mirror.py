"""This meeting's chat, mirrored in Redis when several app servers share rooms.

A room's chat lives with the room (:class:`~visio.rooms.chat.ChatLog`). With several app
servers the room can move: its owner dies and another server rebuilds it. So that people who
arrive after the move still read what was said, the owner also appends each message to the
Redis list ``visio:room:<slug>:chat`` (the newest :data:`~visio.rooms.chat.HISTORY_LIMIT`,
expiring :data:`MIRROR_TTL_SECONDS` after the last message) and the next owner reads it back.
Writes go through one queue, in order, and the room never waits on them; while Redis is away
they are dropped (logged once), and the meeting goes on. On one machine nothing is mirrored.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Final, Protocol

from pydantic import ValidationError
from redis.asyncio import Redis

from visio.cluster.redis import UNAVAILABLE, key
from visio.rooms.protocol import ChatMessageInfo

logger = logging.getLogger(__name__)

MIRROR_TTL_SECONDS: Final = 12 * 3600
"""A mirrored chat outlives its last message by this long (a meeting everyone dropped out of)."""


class ChatMirror(Protocol):
    def added(self, slug: str, message: ChatMessageInfo, limit: int) -> None: ...
    def removed(self, slug: str, message: ChatMessageInfo) -> None: ...
    def forget(self, slug: str) -> None: ...
    async def recent(self, slug: str) -> list[ChatMessageInfo]: ...
    async def close(self) -> None: ...


class NoMirror:
    """One machine: the room's memory is the only copy."""

    def added(self, slug: str, message: ChatMessageInfo, limit: int) -> None:
        pass

    def removed(self, slug: str, message: ChatMessageInfo) -> None:
        pass

    def forget(self, slug: str) -> None:
        pass

    async def recent(self, slug: str) -> list[ChatMessageInfo]:
        return []

    async def close(self) -> None:
        pass


def _chat_key(slug: str) -> str:
    return key("room", slug, "chat")


class RedisChatMirror:
    """The list ``visio:room:<slug>:chat`` of messages as JSON, oldest first."""

    def __init__(self, redis: Redis, queue_limit: int = 10_000) -> None:
        self._redis = redis
        self._queue: asyncio.Queue[tuple[str, str, str, int]] = asyncio.Queue(queue_limit)
        self._worker: asyncio.Task[None] | None = None
        self._failing = False

    def added(self, slug: str, message: ChatMessageInfo, limit: int) -> None:
        self._put(("add", slug, message.model_dump_json(), limit))

    def removed(self, slug: str, message: ChatMessageInfo) -> None:
        self._put(("remove", slug, message.model_dump_json(), 0))

    def forget(self, slug: str) -> None:
        self._put(("forget", slug, "", 0))

    async def recent(self, slug: str) -> list[ChatMessageInfo]:
        """The mirrored messages of a room being rebuilt here ([] if none or Redis is away)."""
        try:
            items = await self._redis.lrange(_chat_key(slug), 0, -1)
        except UNAVAILABLE as exc:
            logger.warning("room %s: its mirrored chat could not be read: %s", slug, exc)
            return []
        messages = []
        for item in items:
            try:
                messages.append(ChatMessageInfo.model_validate_json(item))
            except ValidationError:
                logger.warning("room %s: a mirrored chat message is not valid; skipped", slug)
        return messages

    def _put(self, change: tuple[str, str, str, int]) -> None:
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._write(), name="chat-mirror")
        try:
            self._queue.put_nowait(change)
        except asyncio.QueueFull:
            logger.warning("room %s: chat mirror behind; a change was dropped", change[1])

    async def _write(self) -> None:
        while True:
            what, slug, payload, limit = await self._queue.get()
            name = _chat_key(slug)
            try:
                if what == "add":
                    async with self._redis.pipeline(transaction=True) as pipe:
                        pipe.rpush(name, payload)
                        pipe.ltrim(name, -limit, -1)
                        pipe.expire(name, MIRROR_TTL_SECONDS)
                        await pipe.execute()
                elif what == "remove":
                    await self._redis.lrem(name, 0, payload)
                else:
                    await self._redis.delete(name)
            except UNAVAILABLE as exc:
                if not self._failing:
                    logger.warning("chat mirror: Redis unavailable, changes dropped: %s", exc)
                self._failing = True
            else:
                if self._failing:
                    logger.info("chat mirror: Redis answers again")
                self._failing = False

    async def close(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
