from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.oidc.provider import TestProvider, start_provider
from tests.support import RunningServer, free_port, start_server

ADMIN_EMAIL = "rssi@numerique.gouv.fr"


@pytest.fixture(scope="module")
def oidc_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[RunningServer, TestProvider]]:
    """A real `visio serve` signing people in through a real OIDC provider (ProConnect-like)."""
    port = free_port()
    provider = start_provider(f"http://127.0.0.1:{port}")
    try:
        server = start_server(
            tmp_path_factory.mktemp("visio-auth"),
            port=port,
            oidc_providers=provider.settings_json(),
            admins=ADMIN_EMAIL,
        )
    except BaseException:
        provider.stop()
        raise
    yield server, provider
    server.stop()
    provider.stop()


@pytest.fixture
def server(oidc_server: tuple[RunningServer, TestProvider]) -> RunningServer:
    return oidc_server[0]


@pytest.fixture
def provider(oidc_server: tuple[RunningServer, TestProvider]) -> Iterator[TestProvider]:
    """The test provider, behaving again once the test is over."""
    yield oidc_server[1]
    oidc_server[1].set_mode("normal")
