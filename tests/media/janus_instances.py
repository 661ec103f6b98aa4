"""Janus instances of their own for the pool tests: each a real `janus` process with its own
ports and configuration, sharing one API secret and VideoRoom admin key, as an operator's
Janus machines do (``VISIO_JANUS_URLS``)."""

from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.support import _die_with_parent, free_port, in_media_namespace, stop_process
from visio.media.janus.config import janus_command, write_janus_config
from visio.settings import load_settings


@dataclass
class JanusProcess:
    """One Janus this test started (not supervised: a kill leaves it dead)."""

    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def kill(self) -> None:
        """SIGKILL, as a crash or a machine lost."""
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        stop_process(self.process)


@dataclass
class JanusInstances:
    """Several Janus instances sharing their secrets."""

    instances: list[JanusProcess]
    api_secret: str
    admin_key: str

    @property
    def urls(self) -> list[str]:
        return [instance.url for instance in self.instances]

    def by_url(self, url: str) -> JanusProcess:
        return next(instance for instance in self.instances if instance.url == url)

    def server_settings(self) -> dict[str, str]:
        """What `visio serve` needs to use them (for ``start_server``)."""
        return {
            "janus_mode": "external",
            "janus_urls": ",".join(self.urls),
            "janus_api_secret": self.api_secret,
            "janus_videoroom_admin_key": self.admin_key,
        }

    def stop(self) -> None:
        for instance in self.instances:
            instance.stop()


def start_janus_instances(folder: Path, count: int) -> JanusInstances:
    """Start ``count`` Janus processes (they take a moment to listen: clients retry)."""
    api_secret, admin_key = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    started = JanusInstances([], api_secret, admin_key)
    try:
        for index in range(count):
            settings = load_settings(
                _env_file=None,
                janus_ws_port=free_port(),
                janus_admin_port=free_port(),
                janus_ice_interfaces=["visio0"] if in_media_namespace() else [],
                janus_debug_level=2,
            )
            config = folder / f"janus-{index}"
            runtime = write_janus_config(
                settings, config, api_secret=api_secret, videoroom_admin_key=admin_key
            )
            log_path = folder / f"janus-{index}.log"
            with log_path.open("wb") as log:
                process = subprocess.Popen(
                    janus_command(settings.janus_binary, runtime.config_dir),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    preexec_fn=_die_with_parent,
                )
            started.instances.append(JanusProcess(runtime.ws_url, process, log_path))
    except BaseException:
        started.stop()
        raise
    return started


def janus_figures(metrics: str, name: str) -> dict[str, float]:
    """A per-instance metric of ``/metrics``: instance URL → value."""
    pattern = re.compile(rf'^{name}{{instance="([^"]+)"}} (\S+)$', re.MULTILINE)
    return {instance: float(value) for instance, value in pattern.findall(metrics)}


def room_instance(server_url: str, metrics_before: dict[str, float]) -> str:
    """Which instance gained a room since ``metrics_before`` (``visio_janus_rooms``)."""
    now = janus_figures(httpx.get(f"{server_url}/metrics", timeout=5).text, "visio_janus_rooms")
    grown = [url for url, rooms in now.items() if rooms > metrics_before.get(url, 0)]
    assert len(grown) == 1, f"rooms before {metrics_before}, now {now}"
    return grown[0]
