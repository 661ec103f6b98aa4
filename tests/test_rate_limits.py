"""Per-client rate limits on room creation, joining (and knocking) and sign-in."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from websockets.sync.client import connect

from tests.oidc.provider import visio_with_provider
from tests.support import start_server


def test_room_creation_is_rate_limited_per_client(tmp_path: Path) -> None:
    """Past the limit, creating a room answers 429 rate_limited."""
    server = start_server(tmp_path / "visio", rate_limit_room_creation_per_minute="3")
    try:
        codes = [httpx.post(f"{server.url}/api/v1/rooms").status_code for _ in range(4)]
        assert codes == [201, 201, 201, 429]
        refused = httpx.post(f"{server.url}/api/v1/rooms")
        assert refused.json()["error"]["code"] == "rate_limited"
    finally:
        server.stop()


def test_joining_is_rate_limited_per_client(tmp_path: Path) -> None:
    """Past the limit, a join (or a knock on the lobby) is refused and the socket closed."""
    server = start_server(tmp_path / "visio", rate_limit_joins_per_minute="2")
    try:
        slug = server.create_room()
        replies = []
        for _ in range(3):
            with connect(f"{server.ws_base}/api/v1/rooms/{slug}/ws") as ws:
                ws.send(
                    json.dumps(
                        {"type": "join", "version": 1, "name": "A", "audio": True, "video": True}
                    )
                )
                replies.append(json.loads(ws.recv(timeout=5)))
        assert [r["type"] for r in replies] == ["joined", "joined", "error"]
        assert (replies[2]["code"], replies[2]["fatal"]) == ("rate_limited", True)
    finally:
        server.stop()


def test_sign_in_is_rate_limited_per_client(tmp_path: Path) -> None:
    """Past the limit, starting a sign-in sends the browser home with login_error=rate_limited."""
    with visio_with_provider(tmp_path / "visio", rate_limit_sign_in_per_minute="2") as (
        server,
        provider,
    ):
        provider_id = json.loads(provider.settings_json())[0]["id"]
        locations = [
            httpx.get(f"{server.url}/auth/{provider_id}/login").headers["location"]
            for _ in range(3)
        ]
        assert all("login_error" not in location for location in locations[:2])
        assert locations[2].endswith("login_error=rate_limited")
