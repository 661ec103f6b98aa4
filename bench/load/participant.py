"""A synthetic participant: one room socket that joins and reads, with no media and no browser.

It speaks the room protocol (docs/protocol.md) as the web app does for signaling only: open the
WebSocket from a chosen source address, send ``join`` with microphone and camera off, wait for
``joined``, then keep reading every frame (as a browser does, so that the server's pings are
answered and its outbox never fills). A participant ``tagged`` for a fan-out measurement notes
when each ``chat.message`` and ``reaction`` arrived, on the machine's monotonic clock, which is
the same in every process.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException

Arrival = tuple[str, str, float]
"""(kind, key, monotonic seconds): kind ``chat`` keyed by the text, ``reaction`` keyed by
``sender id#n``, the n-th reaction of that sender this participant saw (from 1)."""


class JoinFailed(Exception):
    """The socket did not get ``joined``: ``reason`` is short and groups alike failures."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def source_address(index: int, base: int = 1) -> str:
    """The ``index``-th loopback address of a block: 127.<base>.x.y, y in 1..250.

    Inside the bench's network namespace all of 127.0.0.0/8 is on ``lo``, so a client may bind
    any of these and the server sees as many different client addresses."""
    return f"127.{base}.{index // 250}.{index % 250 + 1}"


@dataclass(eq=False)
class SyntheticParticipant:
    ws_base: str
    slug: str
    source: str
    name: str
    tagged: bool = False
    compression: Literal["deflate"] | None = "deflate"
    """Browsers offer permessage-deflate, and Visio's server accepts it: so do we by default."""
    id: str | None = None
    arrivals: list[Arrival] = field(default_factory=list)
    closed_with: str | None = None
    _ws: ClientConnection | None = None
    _reader: asyncio.Task[None] | None = None
    _reactions_seen: dict[str, int] = field(default_factory=dict)

    async def join(self, timeout: float = 10.0) -> float:
        """Connect and join; return the seconds from opening the socket to ``joined``."""
        started = time.monotonic()
        try:
            async with asyncio.timeout(timeout):
                self._ws = await connect(
                    f"{self.ws_base}/api/v1/rooms/{self.slug}/ws",
                    compression=self.compression,
                    ping_interval=None,  # the server pings; the client only answers
                    max_size=None,
                    local_addr=(self.source, 0),
                )
                await self._ws.send(
                    json.dumps(
                        {
                            "type": "join",
                            "id": 1,
                            "version": 1,
                            "name": self.name,
                            "audio": False,
                            "video": False,
                        }
                    )
                )
                while True:
                    reply = json.loads(await self._ws.recv())
                    if reply["type"] == "joined":
                        self.id = reply["participant"]["id"]
                        break
                    if reply["type"] == "error":
                        raise JoinFailed(f"error {reply['code']}")
        except TimeoutError:
            await self.close()
            raise JoinFailed("timeout") from None
        except ConnectionClosed as exc:
            await self.close()
            code = exc.rcvd.code if exc.rcvd else "none"
            raise JoinFailed(f"closed {code}") from None
        except InvalidStatus as exc:
            await self.close()
            raise JoinFailed(f"http {exc.response.status_code}") from None
        except OSError as exc:
            await self.close()
            raise JoinFailed(f"os {exc.strerror or type(exc).__name__}") from None
        except WebSocketException as exc:  # a handshake cut short, a malformed answer
            await self.close()
            raise JoinFailed(type(exc).__name__) from None
        except JoinFailed:
            await self.close()
            raise
        self._reader = asyncio.create_task(self._read())
        return time.monotonic() - started

    async def send(self, message: dict[str, Any]) -> None:
        assert self._ws is not None, "join first"
        await self._ws.send(json.dumps(message))

    async def _read(self) -> None:
        assert self._ws is not None
        try:
            async for raw in self._ws:
                at = time.monotonic()
                if not self.tagged:
                    continue
                message = json.loads(raw)
                kind = message["type"]
                if kind == "chat.message":
                    self.arrivals.append(("chat", message["message"]["text"], at))
                elif kind == "reaction":
                    sender = message["participant_id"]
                    seen = self._reactions_seen.get(sender, 0) + 1
                    self._reactions_seen[sender] = seen
                    self.arrivals.append(("reaction", f"{sender}#{seen}", at))
        except ConnectionClosed as exc:
            self.closed_with = f"closed {exc.rcvd.code if exc.rcvd else 'none'}"
            return
        self.closed_with = "closed"

    def take_arrivals(self) -> list[Arrival]:
        taken, self.arrivals = self.arrivals, []
        return taken

    @property
    def open(self) -> bool:
        return self._ws is not None and self.closed_with is None

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        if self._ws is not None:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(2):
                    await self._ws.close()
            # A busy server may not finish the closing handshake within the timeout, which leaves
            # the socket open past the event loop: drop it.
            self._ws.transport.abort()
