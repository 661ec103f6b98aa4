"""Several app servers share the recordings table: one that starts must not finish the others'
live recordings, and each interrupted recording is processed by one server only."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from redis.asyncio import Redis

from tests.redis_server import RunningRedis, start_redis
from visio.recording.claims import OneServer, RedisRecordingClaims
from visio.recording.store import RecordingStatus, StoredRecording


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RunningRedis]:
    server = start_redis(tmp_path / "redis")
    yield server
    server.stop()


def _recording(status: RecordingStatus, slug: str = "abc-defg-hij") -> StoredRecording:
    return StoredRecording(
        id="r_" + status, room_id=1, room_slug=slug, kind="audio", status=status,
        started_at=datetime.now(UTC), started_by=None, started_by_name="Zoë",
    )  # fmt: skip


def test_recording_claims_leave_live_rooms_alone_and_process_each_once(
    redis_server: RunningRedis,
) -> None:
    async def scenario() -> list[bool]:
        a_client, b_client = Redis.from_url(redis_server.url), Redis.from_url(redis_server.url)
        a, b = RedisRecordingClaims(a_client, "a"), RedisRecordingClaims(b_client, "b")
        results = []
        live = _recording("recording")
        await a_client.set("visio:room:abc-defg-hij:owner", "a", px=3000)
        results.append(await b.may_finish(live))  # the meeting goes on on a: not b's
        await a_client.delete("visio:room:abc-defg-hij:owner")
        results.append(await b.may_finish(live))  # a died with it: b finishes it
        results.append(await a.may_finish(live))  # ... and only b
        await a.processing_here("r_processing")  # a stopped a recording and processes it
        results.append(await b.may_finish(_recording("processing")))
        await a_client.aclose()
        await b_client.aclose()
        return results

    assert asyncio.run(scenario()) == [False, True, False, False]


def test_recording_claims_redis_down_leaves_recordings_for_later(
    redis_server: RunningRedis,
) -> None:
    redis_server.kill()

    async def scenario() -> bool:
        client = Redis.from_url(redis_server.url, socket_connect_timeout=0.5)
        try:
            await RedisRecordingClaims(client, "a").processing_here("r_x")  # logged, no raise
            return await RedisRecordingClaims(client, "a").may_finish(_recording("recording"))
        finally:
            await client.aclose()

    assert asyncio.run(scenario()) is False


def test_one_server_finishes_everything() -> None:
    assert asyncio.run(OneServer().may_finish(_recording("recording"))) is True
