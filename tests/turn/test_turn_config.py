"""The settings of Visio's TURN server and the turnserver.conf written from them (pure)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from visio.cli import main
from visio.settings import SettingsError, load_settings
from visio.turn.coturn import render_turnserver_conf
from visio.turn.credentials import TurnCredentials, mint, sign
from visio.turn.urls import parse_turn_url

SECRET = "s3cr3t-" * 6
BASE = {
    "turn_urls": "turn:turn.example.gouv.fr:3478?transport=udp,turns:turn.example.gouv.fr:443",
    "turn_secret": SECRET,
}


def test_turn_rest_api_credential_matches_coturn_scheme() -> None:
    """username = "<expiry>:<user>", credential = base64(HMAC-SHA1(secret, username))."""
    credential = mint("secret", "p_1", 3600, 1_000_000.5)
    assert credential.username == "1003600:p_1"
    # echo -n 1003600:p_1 | openssl dgst -sha1 -hmac secret -binary | base64
    assert credential.credential == "Q9GIadJM06Wo6oys5Plp2pnE9nQ="
    assert sign("secret", credential.username) == credential.credential


def test_turn_credentials_reused_while_fresh_then_renewed() -> None:
    """A participant keeps their credential for three quarters of its life, then gets a new one."""
    now = [1_000_000.0]
    minted: list[int] = []
    turn = TurnCredentials(
        load_settings(**BASE, turn_credential_ttl_seconds=1000),
        on_minted=lambda: minted.append(1),
        clock=lambda: now[0],
    )
    first = turn.for_participant("p_1", None)
    assert first.refresh_seconds == 750 and first.expires_at == 1_001_000
    now[0] += 700
    assert turn.for_participant("p_1", first.expires_at).servers == first.servers
    now[0] += 100
    renewed = turn.for_participant("p_1", first.expires_at)
    assert renewed.expires_at == 1_001_800 and len(minted) == 2


def test_turn_off_hands_out_only_static_servers() -> None:
    turn = TurnCredentials(load_settings(ice_servers='[{"urls": ["stun:s.example:3478"]}]'))
    servers = turn.for_participant("p_1", None)
    assert servers.servers == [{"urls": ["stun:s.example:3478"]}]
    assert servers.refresh_seconds is None


@pytest.mark.parametrize(
    ("overrides", "complaint"),
    [
        ({"turn_secret": None}, "VISIO_TURN_SECRET"),
        ({"turn_secret": "short"}, "at least 32 characters"),
        ({"turn_urls": "http://turn.example"}, "is not a TURN URL"),
        ({"turn_urls": "turns:t.example:443?transport=udp"}, "runs over TCP"),
        ({"turn_tls_cert": "/etc/cert.pem"}, "go together"),
        ({"turn_peer_ips": "janus.internal"}, "is not an IP address"),
        (
            {"ice_servers": '[{"urls": ["turn:t:3478"], "username": "u", "credential": "c"}]'},
            "static TURN password",
        ),
    ],
)
def test_turn_settings_refused(overrides: dict[str, str | None], complaint: str) -> None:
    values = {**BASE, **overrides}
    with pytest.raises(SettingsError, match=complaint):
        load_settings(**{k: v for k, v in values.items() if v is not None})


def test_turn_urls_parsed() -> None:
    assert parse_turn_url("turns:turn.example.gouv.fr:443?transport=tcp").transport == "tls"
    assert parse_turn_url("turn:[2001:db8::1]").port == 3478
    assert parse_turn_url("turn:t.example?transport=tcp").transport == "tcp"


def test_turn_config_locks_coturn_down() -> None:
    """turnserver.conf: Visio's credentials only, TLS on 443, no CLI, no private peers but the
    media server's, quotas, logs on stdout."""
    settings = load_settings(
        **BASE,
        turn_tls_cert="/etc/visio/turn.pem",
        turn_tls_key="/etc/visio/turn.key",
        turn_external_ip="203.0.113.7",
        turn_listening_ips="10.0.0.5",
        turn_peer_ips="10.0.0.9",
    )
    lines = render_turnserver_conf(settings).splitlines()
    for expected in (
        "listening-port=3478",
        "tls-listening-port=443",
        "cert=/etc/visio/turn.pem",
        "pkey=/etc/visio/turn.key",
        "listening-ip=10.0.0.5",
        "relay-ip=10.0.0.5",
        "external-ip=203.0.113.7/10.0.0.5",
        "use-auth-secret",
        f"static-auth-secret={SECRET}",
        "realm=visio",
        "fingerprint",
        "no-cli",
        "no-multicast-peers",
        "no-tcp-relay",
        "user-quota=12",
        "total-quota=3000",
        "log-file=stdout",
        "denied-peer-ip=10.0.0.0-10.255.255.255",
        "denied-peer-ip=127.0.0.0-127.255.255.255",
        "allowed-peer-ip=10.0.0.9",
        "no-tlsv1_1",
    ):
        assert expected in lines
    assert "allow-loopback-peers" not in lines
    assert not any(line.startswith(("verbose", "cli-password", "web-admin")) for line in lines)


def test_turn_config_without_certificate_has_no_tls() -> None:
    lines = render_turnserver_conf(load_settings(**BASE)).splitlines()
    assert "no-tls" in lines and not any(line.startswith("tls-listening-port") for line in lines)


def test_turn_config_command_writes_a_private_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`visio turn-config --output F` writes F readable by its owner only."""
    for key, value in BASE.items():
        monkeypatch.setenv(f"VISIO_{key.upper()}", value)
    monkeypatch.setenv("VISIO_DATA_DIR", str(tmp_path / "var"))
    target = tmp_path / "turnserver.conf"
    assert main(["turn-config", "--output", str(target)]) == 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert f"static-auth-secret={SECRET}" in target.read_text()
    assert SECRET not in capsys.readouterr().err


def test_turn_config_command_without_turn_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("VISIO_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("VISIO_TURN_URLS", raising=False)
    assert main(["turn-config"]) == 2
    assert "set VISIO_TURN_URLS and VISIO_TURN_SECRET" in capsys.readouterr().err
