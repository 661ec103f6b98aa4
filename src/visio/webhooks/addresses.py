"""The SSRF guard: webhooks reach public Internet addresses only, unless the operator allows
private ones (VISIO_WEBHOOKS_ALLOW_PRIVATE).

A host name is resolved, every address it resolves to is checked, and the connection is made to
an address that was checked (:class:`GuardedNetworkBackend`), so a name that resolves to a
public address when checked and to 127.0.0.1 a moment later (DNS rebinding) reaches nothing. TLS
still verifies the certificate against the host name (SNI), and the Host header is the URL's.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from typing import Final

import httpcore

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_CGNAT: Final = ipaddress.ip_network("100.64.0.0/10")
_NAT64: Final = ipaddress.ip_network("64:ff9b::/96")
METADATA_ADDRESSES: Final = frozenset(
    {
        ipaddress.ip_address("169.254.169.254"),  # AWS, GCP, Azure, OpenStack, Scaleway...
        ipaddress.ip_address("169.254.170.2"),  # AWS ECS task metadata
        ipaddress.ip_address("fd00:ec2::254"),  # AWS over IPv6
        ipaddress.ip_address("100.100.100.200"),  # Alibaba Cloud
    }
)
"""Cloud metadata services hand out credentials: refused even when private addresses are
allowed."""
RESOLVE_TIMEOUT_S: Final = 5.0


class BlockedAddress(Exception):
    """The address (or one the host resolves to) is one webhooks may not reach."""


def why_refused(address: IpAddress, allow_private: bool) -> str | None:
    """Why webhooks may not reach ``address`` (None: they may)."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return why_refused(embedded, allow_private)
        if address.teredo is not None:
            return "a Teredo tunnel address"
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_multicast:
        return "a multicast address"
    if allow_private:
        return None
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address in _CGNAT:
        return "a shared (CGNAT) address"
    if address.is_private:
        return "a private address"
    if address.is_reserved or not address.is_global:
        return "not a public address"
    return None


async def resolve_allowed(host: str, port: int, allow_private: bool) -> list[IpAddress]:
    """Every address ``host`` resolves to, if webhooks may reach all of them; BlockedAddress
    names the first that they may not (or says the name does not resolve)."""
    literal = host.strip("[]")
    try:
        addresses: list[IpAddress] = [ipaddress.ip_address(literal)]
    except ValueError:
        loop = asyncio.get_running_loop()
        try:
            found = await asyncio.wait_for(
                loop.getaddrinfo(literal, port, type=socket.SOCK_STREAM), RESOLVE_TIMEOUT_S
            )
        except (OSError, TimeoutError) as exc:
            raise BlockedAddress(f"{host} does not resolve ({exc})") from None
        addresses = list(
            dict.fromkeys(ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in found)
        )
    if not addresses:
        raise BlockedAddress(f"{host} does not resolve")
    for address in addresses:
        reason = why_refused(address, allow_private)
        if reason is not None:
            refused = f"{host} is {reason} ({address})" if str(address) != literal else None
            raise BlockedAddress(
                (refused or f"{address} is {reason}")
                + "; webhooks reach public addresses only (VISIO_WEBHOOKS_ALLOW_PRIVATE)"
            )
    return addresses


class GuardedNetworkBackend(httpcore.AsyncNetworkBackend):
    """Connects only to addresses :func:`resolve_allowed` accepted, and to those very
    addresses (the host name is resolved once, here)."""

    def __init__(self, allow_private: bool) -> None:
        self._allow_private = allow_private
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: object = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await resolve_allowed(host, port, self._allow_private)
        failure: httpcore.ConnectError | httpcore.ConnectTimeout | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    str(address), port, timeout=timeout, local_address=local_address
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None
        raise failure

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: object = None
    ) -> httpcore.AsyncNetworkStream:
        raise BlockedAddress("webhooks do not reach Unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)
