"""What a participant's browser gets: the static STUN servers and Visio's TURN URLs with a
credential of its own (``joined``, then ``ice.servers``), never the shared secret."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.rooms.people import RoomSocket
from tests.support import RunningServer, start_server
from visio.turn.credentials import sign

SECRET = "0123456789abcdef" * 4
TTL = 600
URLS = ["turn:turn.visio.test:3478?transport=udp", "turns:turn.visio.test:443?transport=tcp"]
STUN = [{"urls": ["stun:stun.visio.test:3478"]}]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(
        Path(tmp_path_factory.mktemp("visio-turn")),
        turn_urls=",".join(URLS),
        turn_secret=SECRET,
        turn_credential_ttl_seconds=str(TTL),
        ice_servers=json.dumps(STUN),
    )
    yield running
    running.stop()


def _minted(server: RunningServer) -> float:
    match = re.search(r"^visio_turn_credentials_minted_total (\S+)", server.metrics(), re.M)
    assert match, server.metrics()
    return float(match.group(1))


def test_turn_joined_carries_a_credential_of_ones_own(server: RunningServer) -> None:
    """`joined` lists the STUN server, then the TURN URLs with username "<expiry>:<participant
    id>" and the HMAC-SHA1 credential coturn expects; the browser is told when to ask again."""
    before = _minted(server)
    socket = RoomSocket(server, server.create_room(), "")
    try:
        joined = socket.join("Alice")
        stun, turn = joined["ice_servers"]
        assert stun == STUN[0]
        assert turn["urls"] == URLS
        expiry, participant = turn["username"].split(":")
        assert participant == joined["participant"]["id"]
        assert time.time() + TTL - 60 < int(expiry) <= time.time() + TTL
        assert turn["credential"] == sign(SECRET, turn["username"])
        assert joined["ice_refresh_seconds"] == pytest.approx(TTL * 0.75, abs=5)
        assert _minted(server) == before + 1
    finally:
        socket.close()


def test_turn_ice_servers_request_gives_the_same_credential_while_fresh(
    server: RunningServer,
) -> None:
    """Asking again and again (`ice.servers`) while the credential is fresh gives the same one
    and mints nothing: a client cannot collect usernames to get round coturn's user quota."""
    socket = RoomSocket(server, server.create_room(), "")
    try:
        joined = socket.join("Bob")
        minted = _minted(server)
        for request in range(3):
            socket.send(type="ice.servers", id=request)
            reply = socket.expect("ice.servers", reply_to=request)
            assert reply["ice_servers"] == joined["ice_servers"]
            assert 0 < reply["refresh_seconds"] <= TTL * 0.75
        assert _minted(server) == minted
    finally:
        socket.close()


def test_turn_secret_never_leaves_the_server(server: RunningServer) -> None:
    """The shared secret is in no message a browser gets and in no log line."""
    socket = RoomSocket(server, server.create_room(), "")
    try:
        joined = socket.join("Carol")
        socket.send(type="ice.servers", id="again")
        reply = socket.expect("ice.servers", reply_to="again")
        assert SECRET not in json.dumps(joined) + json.dumps(reply)
    finally:
        socket.close()
    assert SECRET not in server.log()


def test_turn_ice_servers_refused_before_join(server: RunningServer) -> None:
    """Nobody gets a TURN credential without having joined the room."""
    socket = RoomSocket(server, server.create_room(), "")
    try:
        socket.send(type="ice.servers", id=1)
        assert socket.expect("error", reply_to=1)["code"] == "not_joined"
    finally:
        socket.close()


def _paths(server: RunningServer, target: str, kind: str, protocol: str) -> float:
    pattern = (
        rf'^visio_media_paths_total\{{candidate_type="{kind}",relay_protocol="{protocol}",'
        rf'target="{target}"\}} (\S+)'
    )
    match = re.search(pattern, server.metrics(), re.M)
    return float(match.group(1)) if match else 0.0


def test_turn_media_path_reports_counted_once_per_socket(server: RunningServer) -> None:
    """`media.path` reports reach /metrics by path, each once per socket however often sent;
    a report that is not a known path is refused."""
    before = _paths(server, "subscriber", "relay", "tls")
    socket = RoomSocket(server, server.create_room(), "")
    try:
        socket.join("Dan")
        for _ in range(3):
            socket.send(
                type="media.path", target="subscriber", candidate_type="relay", relay_protocol="tls"
            )
        socket.send(type="media.path", target="publisher", candidate_type="teleport", id="bad")
        assert socket.expect("error", reply_to="bad")["code"] == "invalid_message"
    finally:
        socket.close()
    assert _paths(server, "subscriber", "relay", "tls") == before + 1
