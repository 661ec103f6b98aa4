from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.oidc.provider import TestProvider, visio_with_provider
from tests.support import RunningServer

ADMIN_EMAIL = "rssi@numerique.gouv.fr"


@pytest.fixture(scope="module")
def oidc_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[RunningServer, TestProvider]]:
    """A real `visio serve` signing people in through a real OIDC provider (ProConnect-like)."""
    with visio_with_provider(tmp_path_factory.mktemp("visio-auth"), admins=ADMIN_EMAIL) as pair:
        yield pair


@pytest.fixture
def server(oidc_server: tuple[RunningServer, TestProvider]) -> RunningServer:
    return oidc_server[0]


@pytest.fixture
def provider(oidc_server: tuple[RunningServer, TestProvider]) -> Iterator[TestProvider]:
    """The test provider, behaving again once the test is over."""
    yield oidc_server[1]
    oidc_server[1].set_mode("normal")
