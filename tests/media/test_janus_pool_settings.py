"""VISIO_JANUS_URLS: several external Janus instances, each address checked strictly."""

from __future__ import annotations

import re

import pytest

from visio.settings import SettingsError, load_settings


def test_janus_urls_are_read_normalised_and_used_in_external_mode(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A comma-separated list becomes the pool's instances, scheme and host in lower case."""
    monkeypatch.setenv("VISIO_JANUS_MODE", "external")
    monkeypatch.setenv("VISIO_JANUS_URLS", " ws://10.0.0.5:8188 , WSS://Janus-2.Example/janus/ ")
    settings = load_settings(_env_file=None)
    assert settings.janus_instance_urls == [
        "ws://10.0.0.5:8188",
        "wss://janus-2.example/janus",
    ]


def test_janus_url_alone_is_a_pool_of_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """VISIO_JANUS_URL stays the shorthand for one external Janus; embedded mode lists none."""
    monkeypatch.setenv("VISIO_JANUS_MODE", "external")
    monkeypatch.setenv("VISIO_JANUS_URL", "ws://[fd00::5]:8188")
    assert load_settings(_env_file=None).janus_instance_urls == ["ws://[fd00::5]:8188"]
    monkeypatch.delenv("VISIO_JANUS_MODE")
    monkeypatch.delenv("VISIO_JANUS_URL")
    assert load_settings(_env_file=None).janus_instance_urls == []


@pytest.mark.parametrize(
    ("urls", "expected"),
    [
        ("http://10.0.0.5:8188", "must be a ws:// or wss:// URL"),
        ("ws://admin:secret@10.0.0.5:8188", "carries credentials"),
        ("ws://:8188", "has no host"),
        ("ws://10.0.0.5:99999", "port that is not a number"),
        ("ws://10.0.0.5:0", "port that is not a number"),
        ("ws://janus_1:8188", "neither a name nor an IP address"),
        ("ws://[not-v6]:8188", "is not a valid URL"),
        ("ws://[::1:8188", "is not a valid URL"),
        ("ws://10.0.0.5:8188/?token=x", "must not have a query or fragment"),
        ("ws://10.0.0.5:8188/#x", "must not have a query or fragment"),
        ("ws://10.0.0.5:8188/ja nus", "spaces or control characters"),
        ("ws://10.0.0.5:8188/%2e%2e", "unexpected characters in its path"),
        ("ws://10.0.0.5:8188,ws://10.0.0.6:8188,WS://10.0.0.5:8188/", "is listed twice"),
        ("ws://janus.example,ws://janus.example:80", "is listed twice"),
    ],
)
def test_janus_urls_bad_values_are_refused(
    monkeypatch: pytest.MonkeyPatch, urls: str, expected: str
) -> None:
    """Each bad address is refused at start-up, naming the variable and what is wrong."""
    monkeypatch.setenv("VISIO_JANUS_MODE", "external")
    monkeypatch.setenv("VISIO_JANUS_URLS", urls)
    with pytest.raises(SettingsError) as error:
        load_settings(_env_file=None)
    assert "VISIO_JANUS_URLS" in str(error.value)
    assert expected in str(error.value)


def test_janus_url_is_checked_the_same_way(monkeypatch: pytest.MonkeyPatch) -> None:
    """The one-instance shorthand gets the same checks (no credentials in the address)."""
    monkeypatch.setenv("VISIO_JANUS_MODE", "external")
    monkeypatch.setenv("VISIO_JANUS_URL", "wss://user:pw@janus.example")
    with pytest.raises(SettingsError, match=r"VISIO_JANUS_URL.*carries credentials"):
        load_settings(_env_file=None)


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        (
            {"VISIO_JANUS_URL": "ws://10.0.0.5:8188", "VISIO_JANUS_URLS": "ws://10.0.0.6:8188"},
            "not both",
        ),
        ({"VISIO_JANUS_URLS": ""}, "VISIO_JANUS_URL is required when VISIO_JANUS_MODE=external"),
    ],
)
def test_janus_urls_external_mode_needs_exactly_one_way(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], expected: str
) -> None:
    """Both settings at once, or neither, is a clear error."""
    monkeypatch.setenv("VISIO_JANUS_MODE", "external")
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=re.escape(expected)):
        load_settings(_env_file=None)


def test_janus_urls_need_external_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    """Embedded mode runs its one Janus: a list of others there is a mistake, said as such."""
    monkeypatch.setenv("VISIO_JANUS_URLS", "ws://10.0.0.5:8188")
    with pytest.raises(SettingsError, match="VISIO_JANUS_URLS needs VISIO_JANUS_MODE=external"):
        load_settings(_env_file=None)
