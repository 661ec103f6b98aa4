"""Several Janus instances under one app server: placement by forwarded streams, health of each,
rooms moved off a Janus that dies, and what /readyz, /metrics and `visio check` say."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path

import httpx
import pytest

from tests.media.janus_instances import (
    JanusInstances,
    janus_figures,
    room_instance,
    start_janus_instances,
)
from tests.recording.media import audit_events, recording_rows
from tests.rooms.test_moderation import Member
from tests.rooms.test_recording import start as start_recording
from tests.support import VISIO, RunningServer, start_server, wait_until
from visio.media.engine import MediaUnavailableError
from visio.media.pool import JanusInstance, JanusPool


class Load:
    """Loads as another app server (or Redis) could report them: instance → figure."""

    def __init__(self, streams: Mapping[str, int], rooms: Mapping[str, int]) -> None:
        self._streams, self._rooms = streams, rooms

    def forwarded_streams(self) -> Mapping[str, int]:
        return self._streams

    def rooms(self) -> Mapping[str, int]:
        return self._rooms


@pytest.fixture
def janus(tmp_path: Path) -> Iterator[JanusInstances]:
    instances = start_janus_instances(tmp_path / "janus", 2)
    yield instances
    instances.stop()


@pytest.fixture
async def pool(janus: JanusInstances) -> AsyncIterator[JanusPool]:
    connected = JanusPool.connect_to(janus.urls, janus.api_secret, janus.admin_key)
    await connected.start()
    try:
        for instance in connected.instances:
            await instance.engine.wait_ready(30)
        yield connected
    finally:
        await connected.stop()


async def test_janus_pool_places_on_the_fewest_forwarded_streams(pool: JanusPool) -> None:
    """The lighter instance by forwarded streams wins, whatever its room count; ties go to the
    first name."""
    first, second = (instance.name for instance in pool.instances)
    assert first < second
    assert pool.place().name == first  # nothing measured: by name
    pool.measure_with(Load({first: 4}, {first: 1}))
    assert pool.place().name == second
    pool.measure_with(Load({first: 0, second: 2}, {first: 7, second: 1}))
    assert pool.place().name == first  # seven small rooms weigh less than one with streams
    pool.measure_with(Load({first: 3, second: 3}, {}))
    assert pool.place().name == first
    assert [(f.name, f.up, f.rooms, f.forwarded_streams) for f in pool.figures()] == [
        (first, True, 0, 3),
        (second, True, 0, 3),
    ]


async def test_janus_pool_says_which_instance_was_lost_and_places_on_the_others(
    pool: JanusPool, janus: JanusInstances
) -> None:
    """SIGKILL on one Janus: the pool names it, stays connected through the other and places
    there even when the other is busier; with both gone nothing can be placed."""
    lost: list[str] = []
    both_lost = asyncio.Event()

    async def on_lost(instance: JanusInstance) -> None:
        lost.append(instance.name)
        if len(lost) == 2:
            both_lost.set()

    pool.on_lost(on_lost)
    first, second = pool.instances
    pool.measure_with(Load({second.name: 50}, {}))
    assert pool.place() is first
    janus.by_url(first.name).kill()
    await _until(lambda: lost == [first.name])
    assert pool.connected
    assert pool.down() == [first]
    assert pool.place() is second
    janus.by_url(second.name).kill()
    await asyncio.wait_for(both_lost.wait(), 30)
    assert not pool.connected
    with pytest.raises(MediaUnavailableError):
        pool.place()


@pytest.fixture
def pooled_server(janus: JanusInstances, tmp_path: Path) -> Iterator[RunningServer]:
    server = start_server(tmp_path / "visio", **janus.server_settings())
    try:
        wait_until(
            lambda: (
                janus_figures(server.metrics(), "visio_janus_up") == dict.fromkeys(janus.urls, 1.0)
            ),
            30,
            lambda: f"not both up: {janus_figures(server.metrics(), 'visio_janus_up')}",
        )
    except BaseException:
        server.stop()
        raise
    yield server
    server.stop()


def test_janus_pool_moves_rooms_off_a_killed_janus_at_once(
    pooled_server: RunningServer, janus: JanusInstances
) -> None:
    """Two rooms on the first Janus (no streams yet: a tie, so by name, not by room count); it
    is killed: both rooms move to the other at once, everyone gets media.reset, the people and
    the raised hand are unchanged, the recording goes on as a new one there, and metrics and
    /readyz say so."""
    server = pooled_server
    first, second = sorted(janus.urls)
    before = janus_figures(server.metrics(), "visio_janus_rooms")
    slug = server.create_room()
    alice, bob = Member(server, slug, "Alice"), Member(server, slug, "Bob")
    assert room_instance(server.url, before) == first
    before = janus_figures(server.metrics(), "visio_janus_rooms")
    carol = Member(server, server.create_room(), "Carol")
    assert room_instance(server.url, before) == first
    bob.send(type="hand", raised=True)
    alice.expect("participant.updated")
    assert start_recording(alice)["active"]
    bob.expect("recording.state", active=True)

    killed_at = time.monotonic()
    janus.by_url(first).kill()
    for member in (alice, bob, carol):
        member.expect("media.interrupted", timeout=30)
    for member in (alice, bob):  # stopped, and processed from what Janus wrote
        assert member.expect("recording.state", timeout=30)["active"] is False
    for member in (alice, bob, carol):
        assert member.expect("media.reset", timeout=30)["reason"] == "media_engine_moved"
    print(f"\nJanus killed → media.reset on the other: {time.monotonic() - killed_at:.2f} s")
    for member in (alice, bob):  # and a new recording continues on the other Janus
        assert member.expect("recording.state", timeout=30)["active"] is True
    rows = sorted(recording_rows(server), key=lambda row: str(row["started_at"]))
    assert [row["status"] for row in rows][1:] == ["recording"]
    assert rows[0]["status"] in ("processing", "failed")  # what the lost Janus wrote
    assert rows[1]["started_by_name"] == "Alice"
    audited = [(e["event"], json.loads(e["details"])) for e in audit_events(server, "room.rec")]
    assert audited[-2:] == [
        ("room.recording_stopped", {"recording": rows[0]["id"], "reason": "media_engine_lost"}),
        (
            "room.recording_started",
            {
                "recording": rows[1]["id"],
                "continues": rows[0]["id"],
                "reason": "media_engine_moved",
            },
        ),
    ]

    metrics = server.metrics()
    assert janus_figures(metrics, "visio_janus_up") == {first: 0.0, second: 1.0}
    assert janus_figures(metrics, "visio_janus_rooms") == {first: 0.0, second: 2.0}
    assert "visio_janus_room_moves_total 2.0" in metrics
    ready = httpx.get(f"{server.url}/readyz", timeout=5)
    assert ready.status_code == 200
    assert ready.json()["janus_down"] == [first]

    dave = Member(server, slug, "Dave")
    people = {p["id"]: p for p in dave.joined["participants"]}
    assert set(people) == {alice.id, bob.id}
    assert people[bob.id]["hand_raised_at"] is not None
    assert people[alice.id].get("hand_raised_at") is None

    janus.by_url(second).kill()
    dave.expect("media.interrupted", timeout=30)
    wait_until(
        lambda: httpx.get(f"{server.url}/readyz", timeout=5).status_code == 503,
        30,
        "still ready with no Janus",
    )
    assert sorted(httpx.get(f"{server.url}/readyz", timeout=5).json()["janus_down"]) == [
        first,
        second,
    ]


def test_janus_pool_visio_check_covers_every_janus(janus: JanusInstances, tmp_path: Path) -> None:
    """`visio check` opens a session on each Janus and names the one that does not answer."""
    up, down = janus.urls
    janus.by_url(down).kill()
    settings = {key: value for key, value in janus.server_settings().items() if key != "janus_urls"}
    env = {k: v for k, v in os.environ.items() if not k.startswith("VISIO_")} | {
        f"VISIO_{key.upper()}": value for key, value in settings.items()
    }
    env |= {"VISIO_JANUS_URLS": f"{up},{down}", "VISIO_DATA_DIR": str(tmp_path / "visio")}
    janus_up = asyncio.run(_wait_answering(up, janus.api_secret))
    assert janus_up
    result = subprocess.run(
        [str(VISIO), "check"], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert f"ok   Janus at {up} answers" in result.stdout
    assert f"ERR  Janus at {down} answers: " in result.stdout
    assert result.returncode == 1


async def _wait_answering(url: str, secret: str) -> bool:
    from visio.media.pool import janus_answers

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if await janus_answers(url, secret) is None:
            return True
        await asyncio.sleep(0.1)
    return False


async def _until(condition: object, timeout: float = 30) -> None:
    assert callable(condition)
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)
