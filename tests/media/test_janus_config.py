"""The embedded Janus's generated configuration."""

from __future__ import annotations

from pathlib import Path

from visio.media.janus.config import render_jcfg, write_janus_config
from visio.settings import load_settings


def test_janus_config_carries_network_settings(tmp_path: Path) -> None:
    """ICE interfaces, NAT 1:1 mapping and the RTP port range reach janus.jcfg."""
    settings = load_settings(
        _env_file=None,
        janus_ice_interfaces="visio0,10.0.0.5",
        janus_nat_1_1_mapping="203.0.113.7",
        janus_rtp_port_range="30000-30100",
    )
    write_janus_config(settings, tmp_path)
    text = (tmp_path / "janus.jcfg").read_text()
    assert 'ice_enforce_list = "visio0,10.0.0.5"' in text
    assert 'nat_1_1_mapping = "203.0.113.7"' in text
    assert 'rtp_port_range = "30000-30100"' in text


def test_janus_apis_listen_privately_with_fresh_secrets(tmp_path: Path) -> None:
    """Both Janus APIs bind 127.0.0.1 and every run gets new secrets."""
    settings = load_settings(_env_file=None)
    first = write_janus_config(settings, tmp_path / "a")
    second = write_janus_config(settings, tmp_path / "b")
    transport = (tmp_path / "a" / "janus.transport.websockets.jcfg").read_text()
    assert 'ws_ip = "127.0.0.1"' in transport and 'admin_ws_ip = "127.0.0.1"' in transport
    assert first.api_secret != second.api_secret
    assert f'api_secret = "{first.api_secret}"' in (tmp_path / "a" / "janus.jcfg").read_text()
    assert first.videoroom_admin_key in (tmp_path / "a" / "janus.plugin.videoroom.jcfg").read_text()


def test_janus_loads_only_videoroom_and_websockets(tmp_path: Path) -> None:
    """Janus's plugin and transport folders hold just the VideoRoom plugin and WebSocket transport."""
    write_janus_config(load_settings(_env_file=None), tmp_path)
    assert [p.name for p in (tmp_path / "plugins").iterdir()] == ["libjanus_videoroom.so"]
    assert [p.name for p in (tmp_path / "transports").iterdir()] == ["libjanus_websockets.so"]
    assert (tmp_path / "plugins" / "libjanus_videoroom.so").resolve().is_file()
    text = (tmp_path / "janus.jcfg").read_text()
    assert f'plugins_folder = "{tmp_path / "plugins"}"' in text


def test_render_jcfg_quotes_strings_safely() -> None:
    """Quotes in values cannot break out of the libconfig string."""
    text = render_jcfg({"general": {"name": 'a"b', "on": True, "n": 3, "list": ["x"]}})
    assert 'name = "a\\"b"' in text and "on = true" in text and "n = 3" in text
