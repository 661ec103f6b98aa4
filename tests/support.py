"""Helpers shared by the tests: free ports, and a real `visio serve` running in a subprocess."""

from __future__ import annotations

import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx

T = TypeVar("T")

ROOT = Path(__file__).resolve().parents[1]
VISIO = Path(sys.executable).parent / "visio"


def _die_with_parent() -> None:
    """A server started by a test run goes when the run is killed (no orphan holding ports)."""
    ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def wait_until(condition: Callable[[], T], timeout: float, message: str | Callable[[], str]) -> T:
    """Poll ``condition`` until it returns something truthy, and return that; after ``timeout``
    seconds fail with ``message`` (a callable is asked at that moment, to show the last state)."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise AssertionError(
                f"{message() if callable(message) else message} (after {timeout} s)"
            )
        time.sleep(0.05)


def migrate(database_url: str, data_dir: Path) -> None:
    """`visio migrate` on ``database_url``, as an operator runs it once for servers that share a
    database: the test run's environment (PYTHONPATH: this checkout's code), no other setting."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("VISIO_")}
    result = subprocess.run(
        [str(VISIO), "migrate"],
        env=env | {"VISIO_DATABASE_URL": database_url, "VISIO_DATA_DIR": str(data_dir)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"visio migrate failed:\n{result.stdout}{result.stderr}"


def stop_process(process: subprocess.Popen[Any] | None, grace: float = 10) -> None:
    """End a test's server process: SIGTERM, then SIGKILL if it is still there after ``grace``
    seconds; nothing if it is gone already (or was never started)."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def in_media_namespace() -> bool:
    """True inside scripts/in-netns (a private namespace with the visio0 veth)."""
    if os.environ.get("VISIO_IN_NETNS") != "1":
        return False
    try:
        socket.if_nametoindex("visio0")  # /sys shows the outer namespace; ask the kernel
    except OSError:
        return False
    return True


@dataclass
class RunningServer:
    """A `visio serve` subprocess with its own data directory, ports and Janus."""

    url: str
    data_dir: Path
    log_path: Path
    process: subprocess.Popen[bytes]
    env: dict[str, str] = field(default_factory=dict)

    @property
    def ws_base(self) -> str:
        return self.url.replace("http://", "ws://", 1)

    def create_room(self) -> str:
        response = httpx.post(f"{self.url}/api/v1/rooms", timeout=10)
        response.raise_for_status()
        return str(response.json()["slug"])

    def metrics(self) -> str:
        return httpx.get(f"{self.url}/metrics", timeout=5).text

    def janus_pid(self) -> int:
        """The pid of the Janus this server supervises (found by its config folder)."""
        config = str((self.data_dir / "janus").resolve())
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if cmdline and cmdline[0].endswith(b"janus") and config.encode() in b" ".join(cmdline):
                return int(entry.name)
        raise LookupError("no Janus process for this server")

    def kill_janus(self) -> int:
        pid = self.janus_pid()
        os.kill(pid, signal.SIGKILL)
        return pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_ready(self, timeout: float = 120) -> None:
        """Until /readyz answers 200. Generous: on a busy machine importing the app alone has
        taken over 30 s."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"visio serve exited early:\n{self.log()[-4000:]}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise TimeoutError(f"visio serve not ready after {timeout}s:\n{self.log()[-4000:]}")

    def restart(self) -> None:
        """Stop the server and start it again on the same port and data (a redeploy)."""
        self.stop()
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [str(VISIO), "serve"],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.data_dir,
                preexec_fn=_die_with_parent,
            )
        self.wait_ready()

    def stop(self) -> None:
        stop_process(self.process, grace=15)


def start_server(
    data_dir: Path,
    host: str = "127.0.0.1",
    port: int | None = None,
    extra_env: dict[str, str] | None = None,
    wait: bool = True,
    **settings: str,
) -> RunningServer:
    """Start `visio serve` with its own ports and data directory and wait until it is ready.
    ``extra_env`` adds variables that are not Visio settings (uvicorn's, say); with ``wait``
    false the caller waits (``wait_ready``), to start several servers side by side."""
    data_dir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("VISIO_")} | {
        "VISIO_HOST": host,
        "VISIO_PORT": str(port),
        "VISIO_DATA_DIR": str(data_dir),
        "VISIO_JANUS_WS_PORT": str(free_port()),
        "VISIO_JANUS_ADMIN_PORT": str(free_port()),
        "VISIO_LOG_LEVEL": "INFO",
        # Speech workers load recognition models (hundreds of MB): only tests of subtitles ask.
        "VISIO_SPEECH_EMBEDDED_WORKERS": "0",
        # Every test client comes from 127.0.0.1: limits per client are tested on their own.
        "VISIO_RATE_LIMIT_SIGN_IN_PER_MINUTE": "100000",
        "VISIO_RATE_LIMIT_ROOM_CREATION_PER_MINUTE": "100000",
        "VISIO_RATE_LIMIT_JOINS_PER_MINUTE": "100000",
        "VISIO_RATE_LIMIT_REFUSALS_AUDITED_PER_MINUTE": "100000",
        "VISIO_RATE_LIMIT_CONNECTION_TESTS_PER_MINUTE": "100000",
    }
    if in_media_namespace():
        env["VISIO_JANUS_ICE_INTERFACES"] = "visio0"
    env.update({f"VISIO_{key.upper()}": value for key, value in settings.items()})
    env.update(extra_env or {})
    log_path = data_dir / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(VISIO), "serve"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=data_dir,
            preexec_fn=_die_with_parent,
        )
    server = RunningServer(f"http://{host}:{port}", data_dir, log_path, process, env)
    if not wait:
        return server
    try:
        server.wait_ready()
    except BaseException:
        server.stop()
        raise
    return server


def dumps(message: dict[str, object]) -> str:
    return json.dumps(message)
