"""A private, throwaway Redis (Debian's redis-server) on a loopback port, for the cluster tests.

Nothing is saved to disk unless asked: a restart loses everything, as a Redis restart without
persistence does in production, which is what the tests want to survive.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import redis

from tests.support import _die_with_parent, free_port, stop_process, wait_until


@dataclass
class RunningRedis:
    """A redis-server process of a test's own; ``restart`` keeps its address."""

    folder: Path
    port: int
    host: str = "127.0.0.1"
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/0"

    def start(self) -> None:
        server = shutil.which("redis-server") or "/usr/bin/redis-server"
        log = (self.folder / "redis.log").open("ab")
        self.process = subprocess.Popen(
            [
                server,
                "--port", str(self.port),
                "--bind", self.host,
                "--dir", str(self.folder),
                "--save", "",
                "--appendonly", "no",
                "--protected-mode", "no",
                "--daemonize", "no",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
        )  # fmt: skip
        log.close()
        client = redis.Redis(host=self.host, port=self.port, socket_timeout=1)
        try:
            wait_until(lambda: self._answers(client), 15, self._startup_failure)
        finally:
            client.close()

    def _answers(self, client: redis.Redis) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError(self._startup_failure())
        try:
            return bool(client.ping())
        except redis.ConnectionError:
            return False

    def _startup_failure(self) -> str:
        log = (self.folder / "redis.log").read_text(errors="replace")[-2000:]
        return f"redis-server did not answer on {self.host}:{self.port}: {log}"

    def client(self) -> redis.Redis:
        return redis.Redis(host=self.host, port=self.port, socket_timeout=5)

    def kill(self) -> None:
        """Stop it at once (SIGKILL): what a crash looks like to its clients."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def stop(self) -> None:
        stop_process(self.process)

    def restart(self, down_for: float = 0.0) -> None:
        """Kill it, stay down ``down_for`` seconds, start it again on the same port, empty."""
        self.kill()
        if down_for:
            time.sleep(down_for)
        self.start()


def start_redis(folder: Path, host: str = "127.0.0.1") -> RunningRedis:
    """Start a redis-server with its files in ``folder``; stop it with ``.stop()``."""
    folder.mkdir(parents=True, exist_ok=True)
    server = RunningRedis(folder, free_port(), host)
    server.start()
    return server
