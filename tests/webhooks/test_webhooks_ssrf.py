"""The SSRF guard: webhooks reach public addresses only, at registration and at delivery,
whatever form the address takes, unless the operator allows private ones."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from pathlib import Path

import httpcore
import pytest

from tests.auth.conftest import ADMIN_EMAIL
from tests.oidc.provider import TestProvider, visio_with_provider
from tests.rooms.people import Browser
from tests.support import RunningServer, wait_until
from tests.webhooks.receiver import Receiver
from visio.webhooks.addresses import (
    BlockedAddress,
    GuardedNetworkBackend,
    resolve_allowed,
    why_refused,
)

REFUSED = [
    "127.0.0.1",
    "127.8.9.10",
    "::1",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "100.100.100.200",
    "fd00::1",
    "fd00:ec2::254",
    "fe80::1",
    "224.0.0.251",
    "ff02::1",
    "0.0.0.0",
    "::",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",
    "64:ff9b::7f00:1",
    "2002:7f00:1::",
    "192.0.2.1",
    "240.0.0.1",
]
PUBLIC = ["8.8.8.8", "93.184.215.14", "2606:4700:4700::1111", "2a00:1450:4007:80f::200e"]


@pytest.mark.parametrize("address", REFUSED)
def test_webhooks_guard_refuses_non_public_addresses(address: str) -> None:
    """Loopback, private, link-local, CGNAT, unique-local, multicast, unspecified, documentation
    and reserved addresses, and IPv4 ones hidden in IPv6 (mapped, NAT64, 6to4), are refused."""
    assert why_refused(ipaddress.ip_address(address), allow_private=False) is not None


@pytest.mark.parametrize("address", PUBLIC)
def test_webhooks_guard_lets_public_addresses_through(address: str) -> None:
    assert why_refused(ipaddress.ip_address(address), allow_private=False) is None


@pytest.mark.parametrize(
    "address", ["169.254.169.254", "::ffff:169.254.169.254", "fd00:ec2::254", "0.0.0.0", "ff02::1"]
)
def test_webhooks_guard_refuses_metadata_even_when_private_addresses_are_allowed(
    address: str,
) -> None:
    """VISIO_WEBHOOKS_ALLOW_PRIVATE opens loopback and private networks, never the cloud's
    metadata service, multicast or the unspecified address."""
    assert why_refused(ipaddress.ip_address(address), allow_private=True) is not None
    assert why_refused(ipaddress.ip_address("10.0.0.1"), allow_private=True) is None


@pytest.mark.parametrize(
    "host", ["localhost", "2130706433", "017700000001", "0x7f000001", "0177.0.0.1", "127.1"]
)
async def test_webhooks_guard_resolves_names_and_odd_forms_before_judging(host: str) -> None:
    """A name resolving to loopback, and decimal, octal and hexadecimal spellings of
    127.0.0.1, are refused for what they resolve to."""
    with pytest.raises(BlockedAddress, match="loopback"):
        await resolve_allowed(host, 443, allow_private=False)


async def test_webhooks_guard_connects_to_the_checked_address_keeping_the_host_name(
    receiver: Receiver,
) -> None:
    """The connection goes to the address that was checked, and the request still names the
    host (Host header; TLS would send it as SNI); without the override, nothing connects."""
    allowed = httpcore.AsyncConnectionPool(network_backend=GuardedNetworkBackend(True))
    async with allowed:
        response = await allowed.request("GET", receiver.url("/guard", host="localhost"))
    assert response.status == 200
    [request] = receiver.received("/guard")
    assert request.headers["host"] == f"localhost:{receiver.port}"
    refused = httpcore.AsyncConnectionPool(network_backend=GuardedNetworkBackend(False))
    async with refused:
        with pytest.raises(BlockedAddress):
            await refused.request("GET", receiver.url("/guard", host="localhost"))
    assert len(receiver.received("/guard")) == 1


@pytest.fixture(scope="module")
def guarded_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[RunningServer, TestProvider]]:
    """Visio with the defaults: https only, public addresses only."""
    with visio_with_provider(tmp_path_factory.mktemp("visio-guarded"), admins=ADMIN_EMAIL) as pair:
        yield pair


@pytest.fixture(scope="module")
def owner(guarded_server: tuple[RunningServer, TestProvider]) -> Iterator[tuple[Browser, str]]:
    """Pierre, signed in to the guarded server, and a room of his."""
    with Browser(*guarded_server, "pierre") as pierre:
        yield pierre, pierre.create_room()


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://[::1]/hook",
        "https://10.0.0.7/hook",
        "https://192.168.0.1:8443/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::ffff:127.0.0.1]/hook",
        "https://[fd12:3456::1]/hook",
        "https://localhost/hook",
        "https://2130706433/hook",
        "https://0177.0.0.1/hook",
        "https://0x7f.0.0.1/hook",
    ],
)
def test_webhooks_registration_refuses_private_addresses(
    owner: tuple[Browser, str], url: str
) -> None:
    """An owner cannot point a webhook at loopback, private or metadata addresses."""
    pierre, slug = owner
    response = pierre.http.post(
        f"/api/v1/rooms/{slug}/webhooks", json={"url": url, "event_types": ["meeting.started"]}
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "webhook_address_refused"
    assert pierre.http.get(f"/api/v1/rooms/{slug}/webhooks").json()["webhooks"] == []


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://example.org/hook", "https://"),
        ("https://user:secret@example.org/hook", "no user or password"),
        ("ftp://example.org/hook", "https://"),
        ("https:///hook", "names a host"),
        ("https://example.org/ho ok", "no blank"),
        ("https://example.org/" + "a" * 2000, "at most 2000 characters"),
    ],
)
def test_webhooks_registration_refuses_urls_that_are_not_plain_https(
    owner: tuple[Browser, str], url: str, why: str
) -> None:
    pierre, slug = owner
    response = pierre.http.post(
        f"/api/v1/rooms/{slug}/webhooks", json={"url": url, "event_types": ["meeting.started"]}
    )
    assert response.status_code == 422, response.text
    assert why in response.json()["error"]["message"]


def test_webhooks_delivery_is_refused_when_the_address_is_no_longer_allowed(
    tmp_path: Path, receiver: Receiver
) -> None:
    """Checked again at each delivery: an endpoint on loopback registered while the operator
    allowed it gets nothing once the override is gone, and the log says why."""
    with visio_with_provider(
        tmp_path / "visio",
        webhooks_allow_http="true",
        webhooks_allow_private="true",
        webhooks_max_attempts="1",
    ) as (server, provider):
        with Browser(server, provider, "pierre") as pierre:
            slug = pierre.create_room()
            created = pierre.http.post(
                f"/api/v1/rooms/{slug}/webhooks",
                json={"url": receiver.url("/rebound"), "event_types": ["meeting.started"]},
            ).json()
        server.env["VISIO_WEBHOOKS_ALLOW_PRIVATE"] = "false"
        server.restart()
        with Browser(server, provider, "pierre") as pierre:
            hooks = f"/api/v1/rooms/{slug}/webhooks/{created['id']}"
            assert pierre.http.post(f"{hooks}/test").status_code == 202
            [delivery] = wait_until(
                lambda: [
                    d
                    for d in pierre.http.get(f"{hooks}/deliveries").json()["deliveries"]
                    if d["status"] == "failed"
                ],
                30,
                "the delivery was not refused",
            )
    [attempt] = delivery["attempts"]
    assert attempt["status_code"] is None
    assert "127.0.0.1 is a loopback address" in attempt["error"]
    assert receiver.received("/rebound") == []
