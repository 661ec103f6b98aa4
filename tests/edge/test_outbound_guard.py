"""The one SSRF guard (visio.edge.outbound) webhooks and calendars go through: which addresses
it refuses, whatever form they take, and how it connects to the address it checked."""

from __future__ import annotations

import ipaddress
import ssl
from collections.abc import Iterator

import httpx
import pytest

from tests.webhooks.receiver import Receiver
from visio.edge.outbound import (
    OutboundGuard,
    RefusedAddress,
    guarded_client,
    guarded_pool,
    why_refused,
)

PRIVATE = [
    "127.0.0.1",
    "127.8.9.10",
    "::1",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.1.1",
    "fe80::1",
    "100.64.0.1",
    "fd00::1",
    "fd12:3456::1",
    "198.18.0.1",
    "192.0.2.1",
    "2001:db8::1",
    "240.0.0.1",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "::127.0.0.1",
    "64:ff9b::7f00:1",
    "64:ff9b::a00:1",
    "2002:7f00:1::",
]
"""Loopback, RFC 1918, link-local, CGNAT, unique-local, benchmarking, documentation and reserved
addresses, and IPv4 ones hidden in IPv6 (mapped, IPv4-compatible, NAT64, 6to4)."""
NEVER = [
    "169.254.169.254",
    "169.254.170.2",
    "100.100.100.200",
    "fd00:ec2::254",
    "::ffff:169.254.169.254",
    "64:ff9b::a9fe:a9fe",
    "2002:a9fe:a9fe::",
    "224.0.0.251",
    "ff02::1",
    "0.0.0.0",
    "::",
    "::ffff:0.0.0.0",
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",
]
"""Cloud metadata (however spelled), multicast, unspecified and Teredo: refused even when the
operator allows private addresses."""
PUBLIC = [
    "8.8.8.8",
    "93.184.215.14",
    "2606:4700:4700::1111",
    "2a00:1450:4007:80f::200e",
    "::ffff:8.8.8.8",
    "2002:808:808::",
]


@pytest.mark.parametrize("address", PRIVATE + NEVER)
def test_outbound_guard_refuses_non_public_addresses(address: str) -> None:
    assert why_refused(ipaddress.ip_address(address), allow_private=False) is not None


@pytest.mark.parametrize("address", PRIVATE)
def test_outbound_guard_lets_the_operator_allow_private_addresses(address: str) -> None:
    assert why_refused(ipaddress.ip_address(address), allow_private=True) is None


@pytest.mark.parametrize("address", NEVER)
def test_outbound_guard_never_opens_metadata_multicast_or_unspecified(address: str) -> None:
    assert why_refused(ipaddress.ip_address(address), allow_private=True) is not None


@pytest.mark.parametrize("address", PUBLIC)
def test_outbound_guard_lets_public_addresses_through(address: str) -> None:
    assert why_refused(ipaddress.ip_address(address), allow_private=False) is None


@pytest.mark.parametrize(
    "host", ["localhost", "2130706433", "017700000001", "0x7f000001", "0177.0.0.1", "127.1"]
)
async def test_outbound_guard_resolves_names_and_odd_forms_before_judging(host: str) -> None:
    """A name resolving to loopback, and decimal, octal and hexadecimal spellings of
    127.0.0.1, are refused for what they resolve to; the feature's hint ends the message."""
    with pytest.raises(RefusedAddress, match=r"loopback address \(127\.0\.0\.1\); the hint$"):
        await OutboundGuard(allow_private=False, hint="the hint").resolve(host, 443)


async def test_outbound_guard_connects_to_the_checked_address_keeping_the_host_name(
    receiver: Receiver,
) -> None:
    """The connection goes to the address that was checked, and the request still names the
    host (Host header; TLS sends it as SNI); without the override, nothing connects."""
    context = ssl.create_default_context()
    allowed = guarded_pool(OutboundGuard(True, "hint"), ssl_context=context, max_connections=1)
    async with allowed:
        response = await allowed.request("GET", receiver.url("/guard", host="localhost"))
    assert response.status == 200
    [request] = receiver.received("/guard")
    assert request.headers["host"] == f"localhost:{receiver.port}"
    refused = guarded_pool(OutboundGuard(False, "hint"), ssl_context=context, max_connections=1)
    async with refused:
        with pytest.raises(RefusedAddress):
            await refused.request("GET", receiver.url("/guard", host="localhost"))
    assert len(receiver.received("/guard")) == 1


async def test_outbound_guard_client_never_follows_redirects(receiver: Receiver) -> None:
    """The httpx client hands a redirect back as it is, without asking for its target."""
    receiver.answer("/moved", 302)
    receiver.redirect("/moved", receiver.url("/inside"))
    async with guarded_client(OutboundGuard(True, "hint"), timeout=10) as http:
        response = await http.post(receiver.url("/moved"), content=b"{}")
    assert response.status_code == 302
    assert len(receiver.received("/moved")) == 1
    assert receiver.received("/inside") == []


async def test_outbound_guard_client_refuses_metadata_with_private_addresses_allowed() -> None:
    """The httpx client reports the refusal as a connection error caused by the guard."""
    async with guarded_client(OutboundGuard(True, "hint"), timeout=10) as http:
        with pytest.raises(httpx.ConnectError) as refused:
            await http.get("http://169.254.169.254/latest/meta-data/")
    assert isinstance(refused.value.__cause__, RefusedAddress)
    assert "a cloud metadata address" in str(refused.value.__cause__)


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    """A real HTTP server on loopback that records the requests it receives."""
    running = Receiver()
    yield running
    running.close()
