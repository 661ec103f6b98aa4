"""An HTTP proxy such as locked-down networks force on browsers: Debian's tinyproxy, which opens
CONNECT tunnels to port 443 only (``ConnectPort 443``) and logs each one."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.support import _die_with_parent, free_port, stop_process, wait_until

PROXY_ADDRESS = "127.0.0.1"


@dataclass
class RunningProxy:
    host: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def connects(self) -> list[str]:
        """The ``host:port`` of each CONNECT request the proxy got, in order."""
        return re.findall(r"Request \(file descriptor \d+\): CONNECT (\S+) HTTP/", self.log())

    def refused_ports(self) -> list[int]:
        """The ports of the CONNECT requests it refused (not 443), in order."""
        return [int(p) for p in re.findall(r"Refused CONNECT method on port (\d+)", self.log())]

    def chromium_args(self, direct: str) -> list[str]:
        """Chromium's flags to send everything through this proxy but ``direct`` (``host:port``,
        Visio's web server in the tests). Chromium never proxies loopback addresses unless
        ``<-loopback>`` takes that rule away, and the test network has only loopback ones."""
        return [f"--proxy-server={self.url}", f"--proxy-bypass-list=<-loopback>;{direct}"]

    def stop(self) -> None:
        stop_process(self.process)


def proxy_unavailable() -> str | None:
    """Why the proxy cannot run here (None when it can)."""
    if shutil.which("tinyproxy") is None:
        return "tinyproxy is not installed: scripts/setup --test installs it"
    return None


def start_proxy(folder: Path, host: str = PROXY_ADDRESS) -> RunningProxy:
    """Start tinyproxy on a free port of ``host``: CONNECT to port 443 only, from loopback
    clients only, every request logged; wait until it accepts connections."""
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log_path = folder / "tinyproxy.log"
    config = folder / "tinyproxy.conf"
    config.write_text(
        "\n".join(
            [
                f"Port {port}",
                f"Listen {host}",
                "Timeout 600",
                f'LogFile "{log_path}"',
                "LogLevel Info",
                f'PidFile "{folder / "tinyproxy.pid"}"',
                "MaxClients 100",
                "Allow 127.0.0.0/8",
                "ConnectPort 443",
                "DisableViaHeader Yes",
            ]
        )
        + "\n"
    )
    with (folder / "tinyproxy.err").open("wb") as errors:
        process = subprocess.Popen(
            ["tinyproxy", "-d", "-c", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=errors,
            preexec_fn=_die_with_parent,
        )
    running = RunningProxy(host, port, process, log_path)

    def accepts() -> bool:
        if process.poll() is not None:
            raise RuntimeError(
                f"tinyproxy exited: {(folder / 'tinyproxy.err').read_text(errors='replace')}"
            )
        try:
            socket.create_connection((host, port), timeout=1).close()
        except OSError:
            return False
        return True

    try:
        wait_until(accepts, timeout=15, message="tinyproxy never accepted connections")
    except BaseException:
        running.stop()
        raise
    return running
