"""A real TURN Allocate against one of Visio's TURN URLs, as a browser would make it.

``visio check`` runs it against every URL with a freshly minted credential, and the tests run it
with forged and expired ones. The TURN client is aioice's (the ICE library of aiortc): it speaks
TURN over UDP and over TCP or TLS streams, and answers the 401 realm/nonce challenge.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from dataclasses import dataclass

from aioice import stun
from aioice.turn import TurnClientTcpProtocol, TurnClientUdpProtocol

from visio.turn.urls import TurnUrl


class _Closing:
    """Knows when its socket is closed, so that nothing outlives the probe."""

    def _closed_future(self) -> asyncio.Future[None]:
        if not hasattr(self, "_closed"):
            self._closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        return self._closed

    def _mark_closed(self) -> None:
        if not self._closed_future().done():
            self._closed_future().set_result(None)

    async def wait_closed(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self._closed_future()), 5)


class _TcpClient(_Closing, TurnClientTcpProtocol):
    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        self._mark_closed()


class _UdpClient(_Closing, TurnClientUdpProtocol):
    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        self._mark_closed()


@dataclass(frozen=True)
class AllocateResult:
    """What the TURN server answered: a relayed address, or the reason it refused."""

    relayed: tuple[str, int] | None
    error_code: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.relayed is not None


async def open_turn_client(
    url: TurnUrl, username: str, password: str, tls: ssl.SSLContext | None
) -> tuple[asyncio.BaseTransport, _TcpClient | _UdpClient]:
    """A connected aioice TURN client for ``url``, before its Allocate (``connect()``); close
    the transport, then ``await client.wait_closed()``."""
    loop = asyncio.get_running_loop()
    server = (url.host, url.port)
    if url.transport == "udp":
        return await loop.create_datagram_endpoint(
            lambda: _UdpClient(
                server, username=username, password=password, lifetime=600, channel_refresh_time=500
            ),
            remote_addr=server,
        )
    context = (tls or ssl.create_default_context()) if url.transport == "tls" else None
    return await loop.create_connection(
        lambda: _TcpClient(
            server, username=username, password=password, lifetime=600, channel_refresh_time=500
        ),
        host=url.host,
        port=url.port,
        ssl=context,
    )


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
    try:
        async with asyncio.timeout(timeout):
            transport, client = await open_turn_client(url, username, password, tls)
    except TimeoutError:
        return AllocateResult(None, problem="no answer (blocked, or nothing listens there)")
    except (OSError, ssl.SSLError) as exc:
        return AllocateResult(None, problem=f"cannot connect: {exc}")
    try:
        async with asyncio.timeout(timeout):
            relayed = await client.connect()
            await client.delete()
        return AllocateResult(relayed)
    except stun.TransactionFailed as exc:
        code, reason = exc.response.attributes.get("ERROR-CODE", (None, "refused"))
        return AllocateResult(None, error_code=code, problem=f"refused: {code} {reason}")
    except (stun.TransactionTimeout, TimeoutError):
        return AllocateResult(None, problem="no answer (blocked, or nothing listens there)")
    except (OSError, ConnectionError, ssl.SSLError) as exc:
        return AllocateResult(None, problem=f"cannot connect: {exc}")
    finally:
        transport.close()
        await client.wait_closed()
