"""The one guard against SSRF: every request Visio makes to an address someone else chose
(webhook endpoints, calendar servers) goes through it.

- :func:`why_refused` says whether an IP address may be reached: public unicast addresses only,
  unless the operator allows private ones; cloud metadata, multicast and unspecified addresses
  stay refused even then. An IPv6 address carrying an IPv4 one (mapped, IPv4-compatible, NAT64,
  6to4) is judged by that one; Teredo tunnels are refused.
- :meth:`OutboundGuard.resolve` resolves a host name and checks every address it resolves to
  (one refused address refuses the host: the next connection could go there).
- :class:`GuardedNetworkBackend` is httpcore's network layer with the guard in it: the name is
  resolved once, when the connection opens, and the connection goes to an address that was
  checked, so a DNS answer that changes between a check and a connection (DNS rebinding)
  reaches nothing else. TLS still verifies the certificate against the host name (SNI) and the
  Host header is the URL's. :func:`guarded_pool` and :func:`guarded_client` build on it; neither
  follows redirects (a redirect could point inside).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Final

import httpcore
import httpx

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_CGNAT: Final = ipaddress.ip_network("100.64.0.0/10")
_NAT64: Final = ipaddress.ip_network("64:ff9b::/96")
_IPV4_COMPATIBLE: Final = ipaddress.ip_network("::/96")
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


class RefusedAddress(httpcore.ConnectError):
    """The host is, or resolves to, an address the guard refuses (or does not resolve).

    A ``ConnectError`` so that httpx reports it as one, with this as its ``__cause__``."""


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, NAT64, IPv4-compatible), if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    # ``::`` and ``::1`` sit in ::/96 too but are IPv6's own unspecified and loopback addresses.
    if address in _NAT64 or (address in _IPV4_COMPATIBLE and int(address) > 1):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def why_refused(address: IpAddress, allow_private: bool) -> str | None:
    """Why Visio may not reach ``address`` (None: it may)."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
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


def ip_literal(host: str) -> IpAddress | None:
    """The IP address ``host`` spells (``[::1]`` included), or None for a host name."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


@dataclass(frozen=True)
class OutboundGuard:
    """One feature's use of the guard: whether its operator allows private addresses, and the
    hint every refusal ends with (what the feature reaches, and which setting opens more)."""

    allow_private: bool
    hint: str

    def refusal(self, address: IpAddress, host: str | None = None) -> str | None:
        """The message refusing ``address`` (reached as ``host``), or None when it is allowed."""
        reason = why_refused(address, self.allow_private)
        if reason is None:
            return None
        named = f"{host} is {reason} ({address})" if host is not None else f"{address} is {reason}"
        return f"{named}; {self.hint}"

    async def resolve(self, host: str, port: int) -> list[IpAddress]:
        """Every address ``host`` resolves to, if all of them are allowed; RefusedAddress names
        the first that is not (or says the name does not resolve)."""
        literal = ip_literal(host)
        if literal is not None:
            addresses = [literal]
        else:
            try:
                found = await asyncio.wait_for(
                    asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM),
                    RESOLVE_TIMEOUT_S,
                )
            except (OSError, TimeoutError) as exc:
                raise RefusedAddress(f"{host} does not resolve ({exc})") from None
            addresses = list(
                dict.fromkeys(
                    ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in found
                )
            )
        if not addresses:
            raise RefusedAddress(f"{host} does not resolve")
        for address in addresses:
            refused = self.refusal(address, None if address == literal else host)
            if refused is not None:
                raise RefusedAddress(refused)
        return addresses


class GuardedNetworkBackend(httpcore.AsyncNetworkBackend):
    """Connects only to addresses :meth:`OutboundGuard.resolve` accepted, and to those very
    addresses (the host name is resolved once, here)."""

    def __init__(self, guard: OutboundGuard) -> None:
        self._guard = guard
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await self._guard.resolve(host, port)
        failure: httpcore.ConnectError | httpcore.ConnectTimeout | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise RefusedAddress(f"Unix sockets are never reached; {self._guard.hint}")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def guarded_pool(
    guard: OutboundGuard,
    *,
    ssl_context: ssl.SSLContext,
    max_connections: int,
    max_keepalive_connections: int | None = None,
) -> httpcore.AsyncConnectionPool:
    """httpcore's connection pool on :class:`GuardedNetworkBackend` (httpcore never follows
    redirects nor reads proxies from the environment)."""
    return httpcore.AsyncConnectionPool(
        ssl_context=ssl_context,
        max_connections=max_connections,
        max_keepalive_connections=max_keepalive_connections,
        keepalive_expiry=5.0,
        network_backend=GuardedNetworkBackend(guard),
    )


class _GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport on :func:`guarded_pool`.

    httpx has no public way to choose httpcore's network backend, so this replaces the
    connection pool that ``AsyncHTTPTransport`` builds with the guarded one."""

    def __init__(self, guard: OutboundGuard) -> None:
        super().__init__(trust_env=False)
        self._pool = guarded_pool(
            guard,
            ssl_context=httpx.create_ssl_context(),
            max_connections=20,
            max_keepalive_connections=5,
        )


def guarded_client(guard: OutboundGuard, *, timeout: float) -> httpx.AsyncClient:
    """An httpx client through the guard: no redirects, no proxy from the environment, no
    cookies kept between requests (each request sends its own credentials)."""
    return httpx.AsyncClient(
        transport=_GuardedTransport(guard),
        timeout=timeout,
        follow_redirects=False,
        trust_env=False,
        cookies=httpx.Cookies(CookieJar(DefaultCookiePolicy(allowed_domains=[]))),
    )
