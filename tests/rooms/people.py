"""People in the rooms tests: signed-in or guest browsers (httpx) and their room sockets."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.auth.signin import sign_in
from tests.oidc.provider import TestProvider
from tests.support import RunningServer

EMAILS = {
    "pierre": "pierre.dupont@interieur.gouv.fr",
    "marie": "marie.curie@recherche.gouv.fr",
    "jean": "jean.moulin@culture.gouv.fr",
    "lucie": "lucie.aubrac@education.gouv.fr",
}


class Browser:
    """One browser: its cookies (a session when signed in, else a guest cookie) and API calls."""

    def __init__(self, server: RunningServer, provider: TestProvider, user: str | None) -> None:
        self.server = server
        self.http = httpx.Client(timeout=15, base_url=server.url)
        if user is not None:
            sign_in(self.http, server, provider, user)
            csrf = self.http.get("/api/v1/me").json()["csrf_token"]
            self.http.headers["X-CSRF-Token"] = csrf

    def create_room(self, **body: Any) -> str:
        response = self.http.post("/api/v1/rooms", json=body)
        assert response.status_code == 201, response.text
        return str(response.json()["slug"])

    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.http.cookies.jar)

    def socket(self, slug: str) -> RoomSocket:
        self.http.get(f"/api/v1/rooms/{slug}")  # the pre-join screen's call (a guest cookie)
        return RoomSocket(self.server, slug, self.cookie_header())

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class RoomSocket:
    """A room protocol connection, with the browser's cookies."""

    def __init__(self, server: RunningServer, slug: str, cookies: str) -> None:
        headers = {"Cookie": cookies} if cookies else {}
        self.ws: ClientConnection = connect(
            f"{server.ws_base}/api/v1/rooms/{slug}/ws", additional_headers=headers
        ).__enter__()
        self.id: str | None = None
        self._ids = 0
        self.joined: dict[str, Any] = {}

    def join(self, name: str, **extra: Any) -> dict[str, Any]:
        """Send join; returns the answer: joined, lobby.waiting or an error."""
        self.send(type="join", id="join", version=1, name=name, audio=True, video=True, **extra)
        reply = self.expect_any({"joined", "lobby.waiting", "error"})
        if reply["type"] == "joined":
            self.id = reply["participant"]["id"]
        return reply

    def send(self, **message: Any) -> None:
        self.ws.send(json.dumps(message))

    def expect(self, kind: str, timeout: float = 10, **match: Any) -> dict[str, Any]:
        return self.expect_any({kind}, timeout, **match)

    def expect_any(self, kinds: set[str], timeout: float = 10, **match: Any) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            raw = self.ws.recv(timeout=max(0.1, deadline - time.monotonic()))
            message: dict[str, Any] = json.loads(raw)
            if message["type"] in kinds and all(message.get(k) == v for k, v in match.items()):
                return message
        raise AssertionError(f"none of {sorted(kinds)} arrived")

    def outcome(self, **message: Any) -> str:
        """Send a request and say how it went: ``ok``, or the error code it got back."""
        self._ids += 1
        request_id = f"r{self._ids}"
        self.send(id=request_id, **message)
        self.send(type="ping", id=f"{request_id}-ping")
        while True:
            reply = self.expect_any({"error", "pong"})
            if reply["type"] == "error" and reply.get("reply_to") in (request_id, None):
                return str(reply["code"])
            if reply["type"] == "pong" and reply.get("reply_to") == f"{request_id}-ping":
                return "ok"

    def expect_closed(self) -> int:
        """Read until the server closes the socket; return its close code."""
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                self.ws.recv(timeout=5)
        assert closed.value.rcvd is not None
        return closed.value.rcvd.code

    def close(self) -> None:
        self.ws.close()
