"""What a room socket may cost the server: joined in time, a few per address, every frame counted.

Regression tests for issue 7, findings 6 (3,000 idle sockets from one address were all held) and
7 (frames of 64 KiB and more skipped the rate limit and slowed everyone else down).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import ExitStack

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from tests.rooms.test_signaling_hostile_input import assert_alive, join, socket_to
from tests.support import RunningServer, start_server

JOIN_TIMEOUT_S = 2
SOCKETS_PER_ADDRESS = 5


@pytest.fixture(scope="module")
def strict_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A server with a short join timeout and few sockets per address."""
    server = start_server(
        tmp_path_factory.mktemp("visio-limits"),
        protocol_join_timeout_seconds=str(JOIN_TIMEOUT_S),
        protocol_max_sockets_per_address=str(SOCKETS_PER_ADDRESS),
    )
    yield server
    server.stop()


def test_socket_that_never_joins_is_closed(strict_server: RunningServer) -> None:
    """A socket that sends no join within the timeout is closed with 4002 (reconnect and join)."""
    slug = strict_server.create_room()
    started = time.monotonic()
    with socket_to(strict_server, slug) as ws:
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=JOIN_TIMEOUT_S + 20)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4002
    assert time.monotonic() - started >= JOIN_TIMEOUT_S


def test_socket_that_joined_is_kept_past_the_join_timeout(strict_server: RunningServer) -> None:
    """A participant is not bound by the join timeout: it stays as long as it likes."""
    slug = strict_server.create_room()
    with socket_to(strict_server, slug) as ws:
        assert join(ws)["type"] == "joined"
        deadline = time.monotonic() + JOIN_TIMEOUT_S + 1
        while time.monotonic() < deadline:
            assert_alive(ws)
            time.sleep(0.2)  # a quiet participant between pings, observed past the timeout


def test_sockets_per_address_are_limited_and_freed(strict_server: RunningServer) -> None:
    """One address holds at most the limit of open sockets; closing one frees a place."""
    slug = strict_server.create_room()
    url = f"{strict_server.ws_base}/api/v1/rooms/{slug}/ws"
    with ExitStack() as sockets:
        held = [sockets.enter_context(connect(url)) for _ in range(SOCKETS_PER_ADDRESS)]
        for ws in held:  # joined, so the join timeout does not close them meanwhile
            assert join(ws)["type"] == "joined"
        with pytest.raises((InvalidStatus, ConnectionClosed)), connect(url) as extra:
            assert_alive(extra)
        held[0].close()
        deadline = time.monotonic() + 10
        while True:  # the server notices the close a moment later
            try:
                with connect(url) as again:
                    assert join(again)["type"] == "joined"
                break
            except (InvalidStatus, ConnectionClosed):
                assert time.monotonic() < deadline, "a closed socket's place was never freed"
                time.sleep(0.1)


def test_large_frames_count_against_the_rate_limit(shared_server: RunningServer) -> None:
    """Past the burst, even oversized frames are refused as rate_limited (not size-checked for
    free), and the socket recovers once the flood stops."""
    slug = shared_server.create_room()
    big = json.dumps({"type": "ping", "id": "x" * 70_000})
    frames = 150
    with socket_to(shared_server, slug) as ws:
        started = time.monotonic()
        for _ in range(frames):
            ws.send(big)
        codes = [json.loads(ws.recv(timeout=20))["code"] for _ in range(frames)]
        elapsed = time.monotonic() - started
        # The burst (60), plus what the refill (20 per second) allowed while they streamed in.
        allowed = 60 + 20 * elapsed + 1
        assert codes.count("message_too_large") <= allowed, (
            codes.count("message_too_large"),
            elapsed,
        )
        assert codes.count("rate_limited") >= frames - allowed
        deadline = time.monotonic() + 10
        while True:
            ws.send(json.dumps({"type": "ping", "id": "after"}))
            reply = json.loads(ws.recv(timeout=10))
            if reply["type"] == "pong":
                break
            assert reply["code"] == "rate_limited" and time.monotonic() < deadline
            time.sleep(0.1)
