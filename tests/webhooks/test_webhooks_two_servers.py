"""Two real `visio serve` delivering webhooks from one real PostgreSQL: each event reaches the
receiver once, whichever server's dispatcher claims it (docs/webhooks.md, "Once per event")."""

from __future__ import annotations

import base64
import secrets
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.oidc.provider import visio_with_provider
from tests.postgres import throwaway_postgres
from tests.rooms.people import Browser
from tests.support import RunningServer, migrate, start_server, wait_until
from tests.webhooks.receiver import Receiver
from tests.webhooks.test_webhooks_delivery import register

EVENTS = 24


@pytest.fixture
def database(tmp_path: Path) -> Iterator[str]:
    """A throwaway PostgreSQL, migrated."""
    with throwaway_postgres() as url:
        migrate(url, tmp_path / "migrate")
        yield url


def _counted(server: RunningServer, name: str) -> float:
    """A counter of this server's /metrics, summed over its labels (``name`` without
    ``_total``, as Prometheus's parser names the family)."""
    return sum(
        sample.value
        for family in text_string_to_metric_families(server.metrics())
        if family.name == name
        for sample in family.samples
        if sample.name == f"{name}_total"
    )


def _attempts(server: RunningServer) -> float:
    return _counted(server, "visio_webhook_attempts")


def test_two_servers_on_one_database_send_each_event_once(
    database: str, receiver: Receiver, tmp_path: Path
) -> None:
    """Test events are queued alternately through server A and server B: each wakes its own
    dispatcher, and each dispatcher reads the whole shared queue, so both go for the same
    deliveries; the receiver refuses the first two requests (one event retried). Every webhook-id
    is answered 200 exactly once, none is lost, and the attempts both servers count add up to
    what the receiver saw."""
    settings = {
        "database_url": database,
        "webhooks_allow_http": "true",
        "webhooks_allow_private": "true",
        "webhooks_retry_scale": "0.01",
        "webhooks_max_attempts": "12",
        # Servers sharing a database share the key that encrypts the signing secrets.
        "webhooks_encryption_key": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
    }
    path = "/hooks/two-servers"
    with visio_with_provider(tmp_path / "a", **settings) as (a, provider):
        b = start_server(tmp_path / "b", **settings)
        pierre = Browser(a, provider, "pierre")
        # The session is stored in the shared database: the same cookie and CSRF token act on B.
        on_b = httpx.Client(
            timeout=15, base_url=b.url, cookies=pierre.http.cookies, headers=pierre.http.headers
        )
        try:
            slug = pierre.create_room()
            created = register(pierre, slug, receiver.url(path))
            test_event = f"/api/v1/rooms/{slug}/webhooks/{created['id']}/test"
            receiver.answer(path, 503, 503)  # the first event is retried twice
            for number in range(EVENTS):
                client = pierre.http if number % 2 == 0 else on_b
                assert client.post(test_event).status_code == 202

            def all_delivered() -> bool:
                return len(
                    {r.headers["webhook-id"] for r in receiver.received(path)}
                ) == EVENTS and (sum(r.answered == 200 for r in receiver.received(path)) >= EVENTS)

            wait_until(all_delivered, 60, lambda: f"received {len(receiver.received(path))}")
            # Anything sent twice would come within a claim's lease; the attempts are counted.
            wait_until(
                lambda: _attempts(a) + _attempts(b) == len(receiver.received(path)),
                30,
                lambda: (
                    f"A {_attempts(a)}, B {_attempts(b)}, received {len(receiver.received(path))}"
                ),
            )
            received = receiver.received(path)
            delivered = Counter(r.headers["webhook-id"] for r in received if r.answered == 200)
            assert len(delivered) == EVENTS
            assert set(delivered.values()) == {1}, delivered.most_common(3)
            for request in received:
                request.verify(created["secret"])
            lost = "visio_webhook_claims_lost"
            print(
                f"\nattempts: A {_attempts(a):.0f}, B {_attempts(b):.0f}, received {len(received)};"
                f" claims lost: A {_counted(a, lost):.0f}, B {_counted(b, lost):.0f}"
            )
        finally:
            on_b.close()
            pierre.close()
            b.stop()
