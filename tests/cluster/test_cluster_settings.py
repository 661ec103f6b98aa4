"""VISIO_REDIS_URL and VISIO_NODE_ID: validated at start, the password never echoed."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest

from tests.redis_server import start_redis
from visio.cluster import redis as cluster_redis
from visio.settings import SettingsError, load_settings


def test_one_machine_by_default_no_redis_client() -> None:
    settings = load_settings(_env_file=None)
    assert settings.redis_url is None
    assert cluster_redis.connect(settings) is None


@pytest.mark.parametrize(
    "url",
    [
        "redis://127.0.0.1:6379/0",
        "rediss://:hunter3@redis.example:6380/2",
        "unix:///run/redis.sock",
    ],
)
def test_redis_urls_accepted(url: str) -> None:
    settings = load_settings(_env_file=None, redis_url=url)
    assert settings.redis_url is not None
    assert settings.redis_url.get_secret_value() == url
    assert "hunter3" not in repr(settings)


@pytest.mark.parametrize(
    "url", ["http://:hunter2@redis.example", "redis:// has space", "hunter2", "redis:/x"]
)
def test_bad_redis_url_is_refused_without_echoing_it(url: str) -> None:
    with pytest.raises(SettingsError) as error:
        load_settings(_env_file=None, redis_url=url)
    assert "VISIO_REDIS_URL" in str(error.value)
    assert "hunter2" not in str(error.value)


def test_node_id_defaults_to_host_and_port() -> None:
    settings = load_settings(_env_file=None, port=8123)
    assert settings.effective_node_id.endswith(":8123")
    assert settings.effective_node_id.startswith(socket.gethostname()[:10].replace(" ", "-")[:1])


@pytest.mark.parametrize("node_id", ["", "a b", "x" * 65, "é", "node/1", "n\n"])
def test_bad_node_id_is_refused(node_id: str) -> None:
    with pytest.raises(SettingsError, match="VISIO_NODE_ID"):
        load_settings(_env_file=None, node_id=node_id)


def test_client_talks_to_a_real_redis(tmp_path: Path) -> None:
    server = start_redis(tmp_path / "redis")
    try:
        settings = load_settings(_env_file=None, redis_url=server.url, node_id="app-1")
        client = cluster_redis.connect(settings)
        assert client is not None

        async def roundtrip() -> tuple[object, object]:
            await client.set(cluster_redis.key("test", "k"), b"v")
            value = await client.get("visio:test:k")
            name = await client.client_getname()
            await client.aclose()
            return value, name

        value, name = asyncio.run(roundtrip())
        assert value == b"v"
        assert name == "visio:app-1"
    finally:
        server.stop()
