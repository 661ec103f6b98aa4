"""Which calendar servers Visio may talk to: URL checks and the guard against SSRF.

A calendar URL comes from a person (their own calendar) or from the operator (a template with
``{email}``). Visio then makes requests to it from inside the operator's network, so a hostile
URL could reach services that are not meant to be reachable (``http://169.254.169.254/``, an
admin port on loopback). Two checks stop that:

- :func:`check_calendar_url` refuses, before anything is stored, URLs that are not https (unless
  ``VISIO_CALDAV_ALLOW_HTTP``), that carry credentials, a query or a fragment, or that name a
  non-public IP address;
- :class:`GuardedNetworkBackend` resolves every host name when a connection opens, refuses it
  when any address is not public (unless ``VISIO_CALDAV_ALLOW_PRIVATE``), and connects to the
  address it checked, so a DNS answer that changes between the check and the connection
  (DNS rebinding) reaches nothing else. Redirects are never followed.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Iterable
from http.cookiejar import CookieJar, DefaultCookiePolicy
from urllib.parse import quote

import httpcore
import httpx

from visio.calendars.errors import CalendarError

MAX_URL_LENGTH = 2000
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
TEMPLATE_FIELDS = frozenset({"email", "user"})

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, NAT64, IPv4-compatible), if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64 or address in _IPV4_COMPATIBLE:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public_address(address: IpAddress) -> bool:
    """Whether ``address`` is a public unicast address (not loopback, private, link-local,
    shared, reserved, multicast or unspecified); an IPv6 address that carries an IPv4 one
    (mapped, 6to4, NAT64, IPv4-compatible) is judged by that one too."""
    if not address.is_global or address.is_multicast:
        return False
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return is_public_address(embedded)
    return True


def _ip_literal(host: str) -> IpAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def check_calendar_url(url: str, *, allow_http: bool, allow_private: bool) -> str:
    """The calendar collection URL ``url``, normalised to end with ``/``; raise
    :class:`CalendarError` (``invalid_url`` or ``refused_address``) saying what is wrong."""
    if len(url) > MAX_URL_LENGTH:
        raise CalendarError("invalid_url", f"the calendar URL is longer than {MAX_URL_LENGTH}")
    if not url.isprintable() or any(char.isspace() for char in url):
        raise CalendarError("invalid_url", "the calendar URL must not contain spaces or controls")
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise CalendarError("invalid_url", f"the calendar URL is not a URL ({exc})") from None
    schemes = ("https", "http") if allow_http else ("https",)
    if parsed.scheme not in schemes:
        raise CalendarError(
            "invalid_url",
            "the calendar URL must start with https://"
            if not allow_http
            else "the calendar URL must start with https:// or http://",
        )
    if not parsed.host:
        raise CalendarError("invalid_url", "the calendar URL has no host name")
    if parsed.userinfo:
        raise CalendarError(
            "invalid_url", "put the user name and password in their own fields, not in the URL"
        )
    if parsed.query or parsed.fragment:
        raise CalendarError("invalid_url", "the calendar URL must not have a ?query or #fragment")
    address = _ip_literal(parsed.host)
    if address is not None and not allow_private and not is_public_address(address):
        raise CalendarError(
            "refused_address",
            f"{address} is not a public address; Visio does not connect to it",
        )
    text = str(parsed)
    return text if text.endswith("/") else text + "/"


def check_url_template(template: str) -> str:
    """The operator's VISIO_CALDAV_URL, checked: only ``{email}`` and ``{user}`` placeholders,
    and a URL once they are filled in (the address policy applies when it is used)."""
    for name in _PLACEHOLDER.findall(template):
        if name not in TEMPLATE_FIELDS:
            raise ValueError(f"{{{name}}} is not a placeholder; use {{email}} or {{user}}")
    try:
        check_calendar_url(
            fill_template(template, "someone@example.org"), allow_http=True, allow_private=True
        )
    except CalendarError as exc:
        raise ValueError(exc.message) from None
    return template


def fill_template(template: str, email: str) -> str:
    """The calendar URL of the person with this e-mail address (percent-encoded into the path,
    so an address cannot add path segments)."""
    user = email.partition("@")[0]
    return template.replace("{email}", quote(email, safe="@+")).replace(
        "{user}", quote(user, safe="+")
    )


def fill_username(template: str, email: str) -> str:
    """The user name to sign in with for this person: ``{email}`` and ``{user}`` filled in as
    they are (La Suite's calendar takes the person's e-mail with a service token as password)."""
    return template.replace("{email}", email).replace("{user}", email.partition("@")[0])


def has_placeholder(text: str) -> bool:
    return any(f"{{{name}}}" in text for name in TEMPLATE_FIELDS)


class NonPublicAddressError(httpcore.ConnectError):
    """A connection the guard refused: the host is or resolves to a non-public address."""


class GuardedNetworkBackend(httpcore.AsyncNetworkBackend):
    """Opens TCP connections only to public addresses, resolved and checked here."""

    def __init__(self, allow_private: bool) -> None:
        self._inner = httpcore.AnyIOBackend()
        self._allow_private = allow_private

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        target = host
        if not self._allow_private:
            target = str(await self._public_address(host, port, timeout))
        return await self._inner.connect_tcp(target, port, timeout, local_address, socket_options)

    async def _public_address(self, host: str, port: int, timeout: float | None) -> IpAddress:
        literal = _ip_literal(host)
        if literal is not None:
            addresses = [literal]
        else:
            try:
                infos = await asyncio.wait_for(
                    asyncio.get_running_loop().getaddrinfo(
                        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
                    ),
                    timeout,
                )
            except (OSError, TimeoutError) as exc:
                raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from None
            addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
        if not addresses:
            raise httpcore.ConnectError(f"{host} has no address")
        refused = [a for a in addresses if not is_public_address(a)]
        if refused:
            # Every address must be public: a host that also resolves to 127.0.0.1 could be
            # reached there on the next connection.
            raise NonPublicAddressError(f"{host} resolves to a non-public address ({refused[0]})")
        return addresses[0]

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("calendar servers are reached over TCP only")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport with :class:`GuardedNetworkBackend` underneath.

    httpx has no public way to choose httpcore's network backend, so this replaces the
    connection pool that ``AsyncHTTPTransport`` builds with one that uses the guard."""

    def __init__(self, allow_private: bool) -> None:
        super().__init__(trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=20,
            max_keepalive_connections=5,
            keepalive_expiry=5.0,
            network_backend=GuardedNetworkBackend(allow_private),
        )


def guarded_client(*, allow_private: bool, timeout: float) -> httpx.AsyncClient:
    """The HTTP client for calendar servers: the guard, no redirects, no proxy from the
    environment, no cookies kept between people (each request sends its own credentials)."""
    return httpx.AsyncClient(
        transport=GuardedTransport(allow_private),
        timeout=timeout,
        follow_redirects=False,
        trust_env=False,
        cookies=httpx.Cookies(CookieJar(DefaultCookiePolicy(allowed_domains=[]))),
    )
