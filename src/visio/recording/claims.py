"""Which app server finishes an interrupted recording, when several share the database.

At start-up an app server processes the recordings a crash or a stop interrupted. With several
app servers the database also lists recordings that *other* servers are recording or processing
right now: taking those would cut a live recording short or process one twice. So, with Redis,
a recording still marked ``recording`` is left alone while its room has a live owner (the
meeting goes on somewhere), and processing one takes a claim in Redis first
(``visio:recording:<id>:processing``, held 6 h): one server processes it. A recording skipped
here is processed at a later start of any server, once its room is no longer live.
"""

from __future__ import annotations

import logging
from typing import Protocol

from redis.asyncio import Redis

from visio.cluster.redis import UNAVAILABLE, key
from visio.recording.store import StoredRecording

logger = logging.getLogger(__name__)

CLAIM_SECONDS = 6 * 3600


class RecordingClaims(Protocol):
    async def may_finish(self, recording: StoredRecording) -> bool: ...
    async def processing_here(self, recording_id: str) -> None: ...


class OneServer:
    """One machine: every unfinished recording in the database is this server's."""

    async def may_finish(self, recording: StoredRecording) -> bool:
        return True

    async def processing_here(self, recording_id: str) -> None:
        pass


class RedisRecordingClaims:
    """Several app servers: skip live rooms' recordings; one server claims each to process."""

    def __init__(self, redis: Redis, node_id: str) -> None:
        self._redis = redis
        self._node_id = node_id

    async def may_finish(self, recording: StoredRecording) -> bool:
        try:
            if recording.status == "recording" and await self._redis.exists(
                key("room", recording.room_slug, "owner")
            ):
                logger.info(
                    "recording %s: its room %s is live on another app server; left to it",
                    recording.id,
                    recording.room_slug,
                )
                return False
            claimed = await self._redis.set(
                key("recording", recording.id, "processing"),
                self._node_id,
                nx=True,
                ex=CLAIM_SECONDS,
            )
        except UNAVAILABLE as exc:
            logger.warning("recording %s: Redis unavailable, left for later: %s", recording.id, exc)
            return False
        if not claimed:
            logger.info("recording %s: another app server is processing it", recording.id)
        return bool(claimed)

    async def processing_here(self, recording_id: str) -> None:
        """This server's meeting stopped recording and processes it: others see the claim."""
        try:
            await self._redis.set(
                key("recording", recording_id, "processing"), self._node_id, ex=CLAIM_SECONDS
            )
        except UNAVAILABLE as exc:
            logger.warning(
                "recording %s: claim not written (Redis unavailable): %s", recording_id, exc
            )
