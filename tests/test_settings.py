"""Settings: validated at start-up, with a message naming each bad variable."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.support import VISIO
from visio.settings import SettingsError, load_settings


def test_settings_defaults_are_usable() -> None:
    """With nothing set, Visio runs on SQLite in ./var with an embedded Janus."""
    settings = load_settings(_env_file=None)
    assert settings.port == 8000
    assert settings.janus_mode == "embedded"
    assert settings.effective_database_url.startswith("sqlite+aiosqlite:///")


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("VISIO_PORT", "eighty", "VISIO_PORT"),
        ("VISIO_PORT", "70000", "VISIO_PORT"),
        ("VISIO_JANUS_RTP_PORT_RANGE", "40000-20000", "must be two ports"),
        ("VISIO_JANUS_RTP_PORT_RANGE", "lots", "must look like 20000-40000"),
        ("VISIO_JANUS_NAT_1_1_MAPPING", "not-an-ip", "is not an IP address"),
        ("VISIO_JANUS_ICE_INTERFACES", "eth0;rm -rf", "not an interface name"),
        ("VISIO_ICE_SERVERS", "[{", "must be a JSON list"),
        ("VISIO_ICE_SERVERS", '[{"urls": ["http://x"]}]', "is not a stun:"),
        ("VISIO_PUBLIC_URL", "not a url", "VISIO_PUBLIC_URL"),
        ("VISIO_JANUS_MODE", "external", "VISIO_JANUS_URL is required"),
        ("VISIO_PROTOCOL_MAX_MESSAGE_BYTES", "10", "VISIO_PROTOCOL_MAX_MESSAGE_BYTES"),
        ("VISIO_DATABASE_URL", "mysql://u@h/db", "VISIO_DATABASE_URL: Value error, must be sqlite"),
        ("VISIO_DATABASE_URL", "/var/lib/visio.db", "VISIO_DATABASE_URL"),
        ("VISIO_HTTP_MAX_BODY_BYTES", "10", "VISIO_HTTP_MAX_BODY_BYTES"),
        ("VISIO_SPEAKER_DETECTION_PACKETS", "4", "VISIO_SPEAKER_DETECTION_PACKETS"),
        ("VISIO_SPEAKER_HOLD_SECONDS", "-1", "VISIO_SPEAKER_HOLD_SECONDS"),
        ("VISIO_SPEAKER_HOLD_SECONDS", "nan", "VISIO_SPEAKER_HOLD_SECONDS"),
        ("VISIO_SPEAKER_HOLD_SECONDS", "soon", "VISIO_SPEAKER_HOLD_SECONDS"),
        ("VISIO_SPEAKER_CONFIRM_SECONDS", "-0.1", "VISIO_SPEAKER_CONFIRM_SECONDS"),
        ("VISIO_SPEAKER_CONFIRM_SECONDS", "6", "VISIO_SPEAKER_CONFIRM_SECONDS"),
        ("VISIO_SPEAKER_CONFIRM_SECONDS", "inf", "VISIO_SPEAKER_CONFIRM_SECONDS"),
    ],
)
def test_settings_bad_values_are_named(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    """Each bad value is refused with a message that names the variable or the rule."""
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as error:
        load_settings(_env_file=None)
    assert expected in str(error.value)


def test_settings_lists_are_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Comma-separated interface lists and JSON ICE servers are read as lists."""
    monkeypatch.setenv("VISIO_JANUS_ICE_INTERFACES", "eth0, 192.168.1.2")
    monkeypatch.setenv(
        "VISIO_ICE_SERVERS",
        '[{"urls": ["turn:t.example:3478"], "username": "u", "credential": "c"}]',
    )
    settings = load_settings(_env_file=None)
    assert settings.janus_ice_interfaces == ["eth0", "192.168.1.2"]
    assert settings.ice_servers[0].urls == ["turn:t.example:3478"]


def test_cli_refuses_to_start_with_bad_settings() -> None:
    """`visio serve` with a bad setting exits 2 and says which one, before starting anything."""
    result = subprocess.run(
        [str(VISIO), "serve"],
        env={"VISIO_PORT": "-1"},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "VISIO_PORT" in result.stderr


def test_cli_check_names_what_is_missing(tmp_path: object) -> None:
    """`visio check` says exactly what is missing (here: the Janus binary) and exits 1."""
    result = subprocess.run(
        [str(VISIO), "check"],
        env={"VISIO_JANUS_BINARY": "/nonexistent/janus", "VISIO_DATA_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "ERR  Janus binary at /nonexistent/janus" in result.stdout
    assert "apt-get install janus" in result.stdout


@pytest.mark.parametrize(
    ("written", "used"),
    [
        ("sqlite:///var/visio.db", "sqlite+aiosqlite:///var/visio.db"),
        ("sqlite:////srv/visio.db", "sqlite+aiosqlite:////srv/visio.db"),
        ("postgresql://visio:pw@db/visio", "postgresql+asyncpg://visio:pw@db/visio"),
        ("postgres://visio@db/visio", "postgresql+asyncpg://visio@db/visio"),
        ("postgresql+asyncpg://visio@db/visio", "postgresql+asyncpg://visio@db/visio"),
    ],
)
def test_settings_database_url_in_the_plain_forms_gets_the_async_driver(
    monkeypatch: pytest.MonkeyPatch, written: str, used: str
) -> None:
    """The URL forms people write (sqlite:///, postgresql://, postgres://) just work."""
    monkeypatch.setenv("VISIO_DATABASE_URL", written)
    assert load_settings(_env_file=None).effective_database_url == used


def test_cli_migrate_accepts_a_plain_sqlite_url(tmp_path: Path) -> None:
    """`VISIO_DATABASE_URL=sqlite:///path visio migrate` migrates, without a traceback."""
    result = subprocess.run(
        [str(VISIO), "migrate"],
        env={**os.environ, "VISIO_DATABASE_URL": f"sqlite:///{tmp_path}/visio.db"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "database is at revision" in result.stdout
    assert (tmp_path / "visio.db").stat().st_mode & 0o777 == 0o600
