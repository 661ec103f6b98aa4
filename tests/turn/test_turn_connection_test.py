"""The pre-join connection test's ICE servers (``POST /api/v1/rooms/{slug}/connection-test``):
a TURN credential of its own, short-lived, for a random test id, that opens a relay on the real
coturn; it holds no seat in the meeting, and is limited per client address."""

from __future__ import annotations

import asyncio
import re
import ssl
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support import RunningServer, start_server
from tests.turn.coturn import TURN_URLS, RunningCoturn
from visio.turn.connection_test import TEST_CREDENTIAL_TTL_SECONDS
from visio.turn.credentials import sign
from visio.turn.probe import allocate
from visio.turn.urls import parse_turn_url


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, coturn: RunningCoturn
) -> Iterator[RunningServer]:
    running = start_server(Path(tmp_path_factory.mktemp("visio-conntest")), **coturn.settings)
    yield running
    running.stop()


def _test_servers(server: RunningServer, slug: str) -> httpx.Response:
    return httpx.post(f"{server.url}/api/v1/rooms/{slug}/connection-test", timeout=10)


def _minted(server: RunningServer) -> float:
    match = re.search(r"^visio_turn_credentials_minted_total (\S+)", server.metrics(), re.M)
    assert match, server.metrics()
    return float(match.group(1))


def test_connection_test_gets_a_short_lived_credential_that_opens_a_relay(
    server: RunningServer, coturn: RunningCoturn
) -> None:
    """The answer holds Visio's TURN URLs with a credential for a random ``test-`` id, valid
    two minutes, never cached; coturn opens a relay with it on every URL."""
    before = _minted(server)
    response = _test_servers(server, server.create_room())
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["relay"] is True
    (turn,) = body["ice_servers"]
    assert turn["urls"] == list(TURN_URLS)
    expiry, user = turn["username"].split(":")
    assert re.fullmatch(r"test-[0-9a-f]{16}", user)
    assert int(expiry) == body["expires_at"]
    assert time.time() < int(expiry) <= time.time() + TEST_CREDENTIAL_TTL_SECONDS + 1
    assert turn["credential"] == sign(coturn.secret, turn["username"])
    assert coturn.secret not in response.text
    assert _minted(server) == before + 1
    tls = ssl.create_default_context(cafile=str(coturn.ca_file))
    for url in TURN_URLS:
        result = asyncio.run(
            allocate(parse_turn_url(url), turn["username"], turn["credential"], tls=tls)
        )
        assert result.ok, f"{url}: {result.problem}"


def test_connection_test_holds_no_seat(server: RunningServer) -> None:
    """Testing does not join: the room still counts nobody, and each test gets its own id."""
    slug = server.create_room()
    first, second = (_test_servers(server, slug).json() for _ in range(2))
    assert first["ice_servers"][0]["username"] != second["ice_servers"][0]["username"]
    room = httpx.get(f"{server.url}/api/v1/rooms/{slug}", timeout=10).json()
    assert room["participant_count"] == 0


def test_connection_test_refused_for_unknown_rooms(server: RunningServer) -> None:
    """No room, no credential: a made-up code or a malformed one is refused with 404."""
    for slug in ("abc-defg-hij", "not a room"):
        response = _test_servers(server, slug)
        assert response.status_code == 404
        assert "ice_servers" not in response.text


def test_connection_test_without_turn_then_rate_limited(tmp_path: Path) -> None:
    """Without a TURN server the answer says there is no relay to test (the STUN servers
    only); past VISIO_RATE_LIMIT_CONNECTION_TESTS_PER_MINUTE an address is told to wait."""
    server = start_server(
        tmp_path,
        ice_servers='[{"urls": ["stun:stun.visio.test:3478"]}]',
        rate_limit_connection_tests_per_minute="3",
    )
    try:
        slug = server.create_room()
        body = _test_servers(server, slug).json()
        assert body == {
            "ice_servers": [{"urls": ["stun:stun.visio.test:3478"]}],
            "relay": False,
            "expires_at": None,
        }
        assert [_test_servers(server, slug).status_code for _ in range(3)] == [200, 200, 429]
        refused = _test_servers(server, slug).json()
        assert refused["error"]["code"] == "rate_limited"
        assert re.search(r"try again in \d+ s", refused["error"]["message"])
    finally:
        server.stop()
