"""The example HAProxy configuration (deploy/haproxy/haproxy.cfg), made runnable on loopback.

Only what cannot exist on a test machine is replaced: the certificate's path, the listening
addresses and the app servers' addresses. Each replacement must match exactly as many times as
expected, so that the example and its test cannot drift apart silently.
"""

from __future__ import annotations

import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.support import ROOT, wait_until

EXAMPLE = ROOT / "deploy" / "haproxy" / "haproxy.cfg"
HAPROXY = "/usr/sbin/haproxy"


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for localhost and 127.0.0.1; returns (HAProxy's PEM: chain and key, the
    certificate alone for clients to trust)."""
    key, cert = folder / "key.pem", folder / "cert.pem"
    subprocess.run(
        [
            "/usr/bin/openssl",
            *("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost"),
            *("-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    bundle = folder / "visio.pem"
    bundle.write_text(cert.read_text() + key.read_text())
    return bundle, cert


def replace(text: str, old: str, new: str, count: int = 1) -> str:
    found = text.count(old)
    assert found == count, f"{old!r} appears {found} times in {EXAMPLE.name}, expected {count}"
    return text.replace(old, new)


@dataclass(frozen=True)
class Listeners:
    https: int
    http: int
    stats_socket: Path


def loopback_config(
    folder: Path, certificate: Path, listeners: Listeners, app_ports: tuple[int, int]
) -> Path:
    """The example, listening on 127.0.0.1 and forwarding to app servers on 127.0.0.1."""
    text = EXAMPLE.read_text()
    text = replace(
        text,
        "bind :443 ssl crt /etc/haproxy/certs/visio.pem",
        f"bind 127.0.0.1:{listeners.https} ssl crt {certificate}",
    )
    text = replace(text, "bind :80\n", f"bind 127.0.0.1:{listeners.http}\n")
    text = replace(text, "/run/haproxy/admin.sock", str(listeners.stats_socket))
    text = replace(text, "10.0.0.11:8000", f"127.0.0.1:{app_ports[0]}", count=2)
    text = replace(text, "10.0.0.12:8000", f"127.0.0.1:{app_ports[1]}", count=2)
    path = folder / "haproxy.cfg"
    path.write_text(text)
    return path


def check_config(path: Path) -> str:
    """`haproxy -c`: the output, after asserting it found the file valid with no warning."""
    result = subprocess.run(
        [HAPROXY, "-c", "-f", str(path)], capture_output=True, text=True, timeout=30
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Configuration file is valid" in output, output
    assert "[WARNING]" not in output and "[ALERT]" not in output, output
    return output


def server_states(stats_socket: Path) -> dict[tuple[str, str], str]:
    """(backend, server) → status (UP, DOWN, ...) from the runtime API's `show stat`."""
    with socket.socket(socket.AF_UNIX) as sock:
        sock.settimeout(5)
        sock.connect(str(stats_socket))
        sock.sendall(b"show stat\n")
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    lines = b"".join(chunks).decode().splitlines()
    header = lines[0].lstrip("# ").split(",")
    states = {}
    for line in lines[1:]:
        if not line:
            continue
        row = dict(zip(header, line.split(","), strict=False))
        if row["svname"] not in ("FRONTEND", "BACKEND"):
            states[(row["pxname"], row["svname"])] = row["status"]
    return states


def wait_for_states(
    stats_socket: Path, wanted: dict[tuple[str, str], str], timeout: float = 30
) -> None:
    def reached() -> bool:
        states = server_states(stats_socket)
        return all(states.get(key) == status for key, status in wanted.items())

    wait_until(reached, timeout, lambda: f"HAProxy's servers: {server_states(stats_socket)}")
