from __future__ import annotations

from collections.abc import Iterator
from itertools import count

import pytest

from tests.auth.conftest import ADMIN_EMAIL
from tests.oidc.provider import TestProvider, visio_with_provider
from tests.rooms.people import Browser
from tests.support import RunningServer
from tests.webhooks.receiver import Receiver

_paths = count()


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    """A real HTTP server on loopback that records the webhooks it receives."""
    running = Receiver()
    yield running
    running.close()


@pytest.fixture
def hook_path() -> str:
    """A path of the receiver of this test's own (so tests do not read each other's events)."""
    return f"/hooks/{next(_paths)}"


@pytest.fixture(scope="module")
def webhook_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[RunningServer, TestProvider]]:
    """Visio allowed to reach the receiver on loopback over http, with retries 100 times
    quicker (5 s, 30 s, 2 min... become 50 ms, 300 ms, 1.2 s...)."""
    with visio_with_provider(
        tmp_path_factory.mktemp("visio-webhooks"),
        admins=ADMIN_EMAIL,
        webhooks_allow_http="true",
        webhooks_allow_private="true",
        webhooks_retry_scale="0.01",
        webhooks_max_attempts="4",
        webhooks_max_endpoints="3",
    ) as pair:
        yield pair


@pytest.fixture(scope="module")
def people(
    webhook_server: tuple[RunningServer, TestProvider],
) -> Iterator[dict[str, Browser]]:
    """Signed-in browsers: pierre (owns the rooms he makes), marie, and admin (VISIO_ADMINS)."""
    server, provider = webhook_server
    opened = {user: Browser(server, provider, user) for user in ("pierre", "marie", "admin")}
    yield opened
    for browser in opened.values():
        browser.close()
