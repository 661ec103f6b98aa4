"""The pre-join connection test's ICE servers: ``POST /api/v1/rooms/{slug}/connection-test``.

Before joining, a browser tests its network against Visio's own TURN server (web/src/
connectionTest): which transports open a relay, and round trip and loss on a data channel
between two of its own peer connections through that relay. This route gives it the ICE servers
to do so, with a TURN credential of its own: short-lived (``TEST_CREDENTIAL_TTL_SECONDS``), for a
random test id (it holds no seat in the meeting and names nobody), and limited per client
address (``VISIO_RATE_LIMIT_CONNECTION_TESTS_PER_MINUTE``), since every answer opens relays.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

from visio.auth.dependencies import OptionalSession, container_of
from visio.errors import ApiProblem, ErrorReply
from visio.rooms.rest import RoomSlug
from visio.settings import Settings
from visio.turn.credentials import mint

TEST_CREDENTIAL_TTL_SECONDS = 120
"""Long enough for a test (at most about 20 s) and a retry; too short to be worth stealing."""

router = APIRouter(prefix="/api/v1", tags=["rooms"])


class ConnectionTestServers(BaseModel):
    """What the browser's connection test puts in ``RTCConfiguration.iceServers``."""

    ice_servers: list[dict[str, Any]]
    relay: bool
    """Whether Visio runs a TURN server (without one, there is no relay to test)."""
    expires_at: int | None
    """When the TURN credential stops opening relays (Unix time; None without TURN)."""


def connection_test_servers(settings: Settings, now: float) -> ConnectionTestServers:
    """The static STUN servers plus, when Visio runs coturn, its URLs with a fresh credential
    for a random ``test-`` id."""
    static = [server.model_dump(exclude_none=True) for server in settings.ice_servers]
    if not settings.turn_urls or settings.turn_secret is None:
        return ConnectionTestServers(ice_servers=static, relay=False, expires_at=None)
    credential = mint(
        settings.turn_secret.get_secret_value(),
        f"test-{secrets.token_hex(8)}",
        TEST_CREDENTIAL_TTL_SECONDS,
        now,
    )
    turn = {
        "urls": list(settings.turn_urls),
        "username": credential.username,
        "credential": credential.credential,
    }
    return ConnectionTestServers(
        ice_servers=[*static, turn], relay=True, expires_at=credential.expires_at
    )


@router.post(
    "/rooms/{slug}/connection-test",
    response_model=ConnectionTestServers,
    responses={
        403: {"model": ErrorReply, "description": "CSRF token missing (signed-in browsers)"},
        404: {"model": ErrorReply, "description": "no such room, or not a room link"},
        429: {"model": ErrorReply, "description": "too many tests from this address"},
    },
)
async def start_connection_test(
    slug: RoomSlug, request: Request, response: Response, session: OptionalSession
) -> ConnectionTestServers:
    """ICE servers for the pre-join connection test of this room, with a TURN credential valid
    two minutes. It does not join the meeting. Browser sessions and guests only."""
    container = container_of(request)
    client = request.client.host if request.client else "unknown"
    limit = container.connection_test_rate
    if not await limit.allow(client):
        raise ApiProblem(
            429,
            "rate_limited",
            f"too many connection tests from your address; try again in "
            f"{await limit.retry_after(client)} s",
        )
    await container.room_administration.describe(session.user if session else None, slug)
    servers = connection_test_servers(container.settings, time.time())
    if servers.relay:
        container.metrics.turn_credentials.inc()
    response.headers["cache-control"] = "no-store"
    return servers
