"""coturn as Visio configures it, against real TURN Allocate requests (aioice's client): a
credential Visio mints opens a relay over UDP, TCP and TLS; a forged or expired one does not."""

from __future__ import annotations

import asyncio
import os
import ssl
import subprocess
import sys
import time

import pytest
from aioice import stun

from tests.support import wait_until
from tests.turn.coturn import TURN_URLS, RunningCoturn
from visio.turn.credentials import mint, sign
from visio.turn.probe import AllocateResult, allocate, open_turn_client
from visio.turn.urls import parse_turn_url


def _allocate(coturn: RunningCoturn, url: str, username: str, password: str) -> AllocateResult:
    tls = ssl.create_default_context(cafile=str(coturn.ca_file))
    return asyncio.run(allocate(parse_turn_url(url), username, password, timeout=10, tls=tls))


@pytest.mark.parametrize("url", TURN_URLS)
def test_turn_minted_credential_opens_a_relay(coturn: RunningCoturn, url: str) -> None:
    """A credential minted with the shared secret opens a relay on coturn's relay address."""
    credential = mint(coturn.secret, "p_alice", 600, time.time())
    result = _allocate(coturn, url, credential.username, credential.credential)
    assert result.ok, result.problem
    assert result.relayed is not None and result.relayed[0] == "127.0.0.2"


@pytest.mark.parametrize("url", TURN_URLS)
def test_turn_forged_credential_is_refused(coturn: RunningCoturn, url: str) -> None:
    """A password signed with another secret, or a username whose expiry was pushed back
    without re-signing, gets 401 from coturn."""
    username = f"{int(time.time()) + 600}:p_mallory"
    assert _allocate(coturn, url, username, sign("not-the-secret" * 4, username)).error_code == 401
    honest = mint(coturn.secret, "p_mallory", 60, time.time())
    stretched = f"{honest.expires_at + 86400}:p_mallory"
    assert _allocate(coturn, url, stretched, honest.credential).error_code == 401


@pytest.mark.parametrize("url", TURN_URLS)
def test_turn_expired_credential_is_refused(coturn: RunningCoturn, url: str) -> None:
    """A correctly signed credential whose expiry has passed gets 401 from coturn."""
    expired = mint(coturn.secret, "p_late", 600, time.time() - 601)
    assert expired.expires_at < time.time()
    assert _allocate(coturn, url, expired.username, expired.credential).error_code == 401


def _visio_check(coturn: RunningCoturn, secret: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VISIO_")}
    env |= {f"VISIO_{key.upper()}": value for key, value in coturn.settings.items()}
    env |= {"VISIO_TURN_SECRET": secret, "SSL_CERT_FILE": str(coturn.ca_file)}
    return subprocess.run(
        [sys.executable, "-m", "visio", "check"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_turn_visio_check_opens_a_relay_on_each_url(coturn: RunningCoturn) -> None:
    """`visio check` reports a relay opened on every TURN URL, and never prints the secret."""
    check = _visio_check(coturn, coturn.secret)
    for url in TURN_URLS:
        assert f"ok   TURN {url}: relay opened at ('127.0.0.2'," in check.stdout, check.stdout
    assert "ok   TURN statistics: Redis at 127.0.0.1:" in check.stdout, check.stdout
    assert coturn.secret not in check.stdout + check.stderr


def test_turn_visio_check_reports_a_secret_coturn_does_not_share(coturn: RunningCoturn) -> None:
    """With a secret coturn does not know, `visio check` fails on each URL and says why."""
    check = _visio_check(coturn, "f" * 64)
    assert check.returncode == 1
    for url in TURN_URLS:
        assert f"ERR  TURN {url}: refused: 401" in check.stdout, check.stdout
    assert "VISIO_TURN_SECRET differs from coturn's static-auth-secret" in check.stdout


@pytest.mark.parametrize("url", TURN_URLS[:2])
def test_turn_open_relay_outlives_its_credential(coturn: RunningCoturn, url: str) -> None:
    """coturn checks the expiry when a relay is opened: once open, the relay is refreshed and
    gets new permissions after the credential expired (a long meeting keeps its media), while a
    new relay with that credential is refused."""

    async def scenario() -> tuple[int, bool]:
        credential = mint(coturn.secret, "p_long", 2, time.time())
        transport, client = await open_turn_client(
            parse_turn_url(url), credential.username, credential.credential, None
        )
        try:
            await client.connect()
            assert client.refresh_task is not None
            client.refresh_task.cancel()  # refreshed by hand below, after the expiry
            await asyncio.to_thread(
                wait_until,
                lambda: time.time() > credential.expires_at + 1,
                10,
                "the credential never expired",
            )
            refresh = stun.Message(stun.Method.REFRESH, stun.Class.REQUEST)
            refresh.attributes["LIFETIME"] = 600
            response, _ = await client.request_with_retry(refresh)
            permission = stun.Message(stun.Method.CREATE_PERMISSION, stun.Class.REQUEST)
            permission.attributes["XOR-PEER-ADDRESS"] = ("127.0.0.2", 9)
            await client.request_with_retry(permission)
            again = await allocate(parse_turn_url(url), credential.username, credential.credential)
            return response.attributes["LIFETIME"], again.error_code == 401
        finally:
            transport.close()
            await client.wait_closed()

    lifetime, new_relay_refused = asyncio.run(scenario())
    assert lifetime == 600
    assert new_relay_refused
