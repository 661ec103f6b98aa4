from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.auth.conftest import oidc_server
from tests.oidc.provider import TestProvider
from tests.rooms.people import Browser
from tests.support import RunningServer

__all__ = ["oidc_server"]

SIGNED_IN = ("pierre", "marie", "jean", "lucie")


@pytest.fixture(scope="module")
def browsers(
    oidc_server: tuple[RunningServer, TestProvider],
) -> Iterator[dict[str, Browser]]:
    """Signed-in browsers by user name (pierre, marie, jean, lucie), for the module."""
    server, provider = oidc_server
    opened = {user: Browser(server, provider, user) for user in SIGNED_IN}
    yield opened
    for browser in opened.values():
        browser.close()


@pytest.fixture
def guest(oidc_server: tuple[RunningServer, TestProvider]) -> Iterator[Browser]:
    """A browser of this test's own that is not signed in."""
    browser = Browser(oidc_server[0], oidc_server[1], None)
    yield browser
    browser.close()
