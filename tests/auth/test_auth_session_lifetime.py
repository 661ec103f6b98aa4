"""Sessions end when their configured lifetime is over."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.auth.signin import me, sign_in
from tests.oidc.provider import TestProvider, start_provider
from tests.support import RunningServer, free_port, start_server, wait_until


@pytest.fixture
def short_sessions(tmp_path: Path) -> Iterator[tuple[RunningServer, TestProvider]]:
    port = free_port()
    provider = start_provider(f"http://127.0.0.1:{port}")
    try:
        server = start_server(
            tmp_path / "visio",
            port=port,
            oidc_providers=provider.settings_json(),
            session_lifetime_hours=str(2 / 3600),
        )
    except BaseException:
        provider.stop()
        raise
    yield server, provider
    server.stop()
    provider.stop()


def test_auth_session_expires_after_its_lifetime(
    short_sessions: tuple[RunningServer, TestProvider],
) -> None:
    """With VISIO_SESSION_LIFETIME_HOURS at two seconds, the session is gone after them."""
    server, provider = short_sessions
    with httpx.Client() as client:
        sign_in(client, server, provider)
        assert me(client, server).status_code == 200
        # The lifetime passing is the scenario; polling keeps a busy machine from failing it.
        wait_until(
            lambda: me(client, server).status_code == 401,
            timeout=30,
            message="the session still works long after its two-second lifetime",
        )
