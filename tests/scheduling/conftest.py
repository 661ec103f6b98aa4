from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.mail.smtp import SmtpServer
from tests.oidc.provider import TestProvider, visio_with_provider
from tests.rooms.people import Browser
from tests.support import RunningServer


@pytest.fixture(scope="module")
def smtp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmtpServer]:
    """A real SMTP server (STARTTLS with a throwaway authority's certificate, AUTH required)."""
    server = SmtpServer(tmp_path_factory.mktemp("smtp"), "starttls")
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def visio(
    tmp_path_factory: pytest.TempPathFactory, smtp: SmtpServer
) -> Iterator[tuple[RunningServer, TestProvider]]:
    """A real `visio serve` sending its mail through the SMTP server, people signing in through
    the test provider."""
    with visio_with_provider(
        tmp_path_factory.mktemp("visio-meetings"), mail_language="en", **smtp.settings()
    ) as pair:
        yield pair


@pytest.fixture(scope="module")
def people(visio: tuple[RunningServer, TestProvider]) -> Iterator[dict[str, Browser]]:
    """Signed-in browsers (pierre, marie, jean, lucie) and a guest (None)."""
    server, provider = visio
    opened = {user: Browser(server, provider, user) for user in ("pierre", "marie", "lucie")}
    opened["guest"] = Browser(server, provider, None)
    yield opened
    for browser in opened.values():
        browser.close()
