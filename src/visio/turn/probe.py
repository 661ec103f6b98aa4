"""A real TURN Allocate against one of Visio's TURN URLs, as a browser would make it.

``visio check`` runs it against every URL with a freshly minted credential, and the tests run it
with forged and expired ones. The client is aioice's (the ICE and TURN library of aiortc): it
speaks TURN over UDP, TCP and TLS and follows the 401 realm/nonce challenge.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from dataclasses import dataclass

from aioice import stun
from aioice.turn import create_turn_endpoint

from visio.turn.urls import TurnUrl


class _Relay(asyncio.DatagramProtocol):
    """Knows when the relay is released (the client sent its zero-lifetime Refresh)."""

    def __init__(self) -> None:
        self.released: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.released.done():
            self.released.set_result(None)


@dataclass(frozen=True)
class AllocateResult:
    """What the TURN server answered: a relayed address, or the reason it refused."""

    relayed: tuple[str, int] | None
    error_code: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.relayed is not None


async def allocate(
    url: TurnUrl,
    username: str,
    password: str,
    *,
    timeout: float = 10.0,
    tls: ssl.SSLContext | None = None,
) -> AllocateResult:
    """Open a relay on the TURN server at ``url`` with this credential, then release it.
    ``tls``: how to check a ``turns:`` server's certificate (default: the system's CAs, which
    honour ``SSL_CERT_FILE``)."""
    context = None
    if url.transport == "tls":
        context = tls or ssl.create_default_context()
    try:
        async with asyncio.timeout(timeout):
            transport, relay = await create_turn_endpoint(
                _Relay,
                server_addr=(url.host, url.port),
                username=username,
                password=password,
                ssl=context,
                transport="udp" if url.transport == "udp" else "tcp",
            )
    except stun.TransactionFailed as exc:
        code, reason = exc.response.attributes.get("ERROR-CODE", (None, "refused"))
        return AllocateResult(None, error_code=code, problem=f"refused: {code} {reason}")
    except (stun.TransactionTimeout, TimeoutError):
        return AllocateResult(None, problem="no answer (blocked, or nothing listens there)")
    except (OSError, ConnectionError, ssl.SSLError) as exc:
        return AllocateResult(None, problem=f"cannot connect: {exc}")
    relayed = transport.get_extra_info("sockname")
    transport.close()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.shield(relay.released), 5)
    return AllocateResult(relayed)
