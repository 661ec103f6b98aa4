"""The HTTP edge under hostile clients: huge bodies, slow headers, too many connections."""

from __future__ import annotations

import contextlib
import resource
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
import websockets.sync.client

from tests.support import RunningServer, start_server
from visio import cli

MAX_BODY = 64 * 1024
HEADER_TIMEOUT = 1.0
PER_CLIENT = 12
ATTACKER = "127.0.0.3"  # loopback is 127.0.0.0/8: another client address on the same machine


@pytest.fixture(scope="module")
def edge_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A real `visio serve` with small limits, so that tests reach them quickly."""
    server = start_server(
        tmp_path_factory.mktemp("visio-edge"),
        http_max_body_bytes=str(MAX_BODY),
        http_header_timeout_seconds=str(HEADER_TIMEOUT),
        http_max_connections_per_client=str(PER_CLIENT),
    )
    yield server
    server.stop()


def _connect(server: RunningServer, source: str = "127.0.0.1") -> socket.socket:
    address = urlsplit(server.url)
    sock = socket.create_connection(
        (address.hostname or "", address.port or 80), timeout=5, source_address=(source, 0)
    )
    return sock


def _read_reply(sock: socket.socket, timeout: float = 5) -> bytes:
    """Everything the server sends until it closes the connection (or ``timeout``)."""
    sock.settimeout(timeout)
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except TimeoutError:
        pass
    return data


def test_body_declared_larger_than_the_limit_is_refused_before_it_is_sent(
    edge_server: RunningServer,
) -> None:
    """A 200 MiB Content-Length gets 413 at once, without the server waiting for the body."""
    sock = _connect(edge_server)
    sock.sendall(
        b"POST /api/v1/rooms HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
        b'content-length: 209715200\r\n\r\n{"name": '
    )
    reply = _read_reply(sock, timeout=5)
    sock.close()
    assert reply.startswith(b"HTTP/1.1 413"), reply[:200]
    assert b'"code":"body_too_large"' in reply
    assert b"65536 bytes" in reply


def test_chunked_body_is_refused_once_it_passes_the_limit(edge_server: RunningServer) -> None:
    """A body without a length is counted as it streams in: 413 with the API's error shape."""

    def chunks() -> Iterator[bytes]:
        yield b'{"name": "'
        for _ in range(64):
            yield b"a" * 16384

    response = httpx.post(f"{edge_server.url}/api/v1/rooms", content=chunks(), timeout=10)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "body_too_large"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v1/rooms"),
        ("PATCH", "/api/v1/rooms/abc-defg-hij"),
        ("POST", "/api/v1/tokens"),
        ("PUT", "/api/v1/rooms/abc-defg-hij/roles/someone"),
        ("POST", "/auth/logout"),
        ("POST", "/api/v1/nowhere"),
        ("POST", "/anything-else"),
    ],
)
def test_body_limit_applies_to_every_route(
    edge_server: RunningServer, method: str, path: str
) -> None:
    """Every route, known or not, refuses a body over the limit before anything else."""
    response = httpx.request(
        method,
        f"{edge_server.url}{path}",
        content=b"x" * (MAX_BODY + 1),
        headers={"authorization": "Bearer vt_bogus", "content-type": "application/json"},
        timeout=10,
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "body_too_large"


def test_body_within_the_limit_is_served(edge_server: RunningServer) -> None:
    """A normal request still works."""
    response = httpx.post(f"{edge_server.url}/api/v1/rooms", json={"name": "Point"}, timeout=10)
    assert response.status_code == 201


def test_slow_headers_are_cut_off_after_the_header_timeout(edge_server: RunningServer) -> None:
    """A client sending one header line at a time (slowloris) gets 408 and is disconnected."""
    sock = _connect(edge_server)
    started = time.monotonic()
    sock.sendall(b"GET /healthz HTTP/1.1\r\n")
    reply = b""
    sock.settimeout(0.25)
    for number in range(40):
        try:
            sock.sendall(f"x-slow-{number}: 1\r\n".encode())
            reply += sock.recv(65536)
        except TimeoutError:
            continue
        except OSError:
            break
        if reply:
            break
    sock.close()
    assert reply.startswith(b"HTTP/1.1 408"), reply[:200]
    assert time.monotonic() - started < HEADER_TIMEOUT + 3


def test_silent_connection_is_closed_after_the_header_timeout(edge_server: RunningServer) -> None:
    """A client that connects and says nothing does not hold its connection for ever."""
    sock = _connect(edge_server)
    started = time.monotonic()
    reply = _read_reply(sock, timeout=HEADER_TIMEOUT + 4)
    sock.close()
    assert reply.startswith(b"HTTP/1.1 408")
    assert time.monotonic() - started < HEADER_TIMEOUT + 3


def test_connections_per_client_are_bounded_and_others_are_still_served(
    edge_server: RunningServer,
) -> None:
    """One address holding its share of connections is refused more (503); others are served."""
    held = [_connect(edge_server, ATTACKER) for _ in range(PER_CLIENT)]
    try:
        extra = _connect(edge_server, ATTACKER)
        reply = _read_reply(extra, timeout=2)
        extra.close()
        assert reply.startswith(b"HTTP/1.1 503"), reply[:200]
        assert b"too_many_connections" in reply
        assert httpx.get(f"{edge_server.url}/healthz", timeout=5).status_code == 200
    finally:
        for sock in held:
            sock.close()
    time.sleep(0.3)
    again = _connect(edge_server, ATTACKER)
    again.sendall(b"GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
    assert _read_reply(again).startswith(b"HTTP/1.1 200")
    again.close()


def test_websocket_connections_count_against_the_client_until_they_close(
    edge_server: RunningServer,
) -> None:
    """A room WebSocket holds one of its client's connections while open, and frees it after."""
    slug = edge_server.create_room()
    url = f"{edge_server.ws_base}/api/v1/rooms/{slug}/ws"
    with contextlib.ExitStack() as sockets:
        for _ in range(PER_CLIENT):
            sockets.enter_context(
                websockets.sync.client.connect(url, source_address=(ATTACKER, 0), open_timeout=5)
            )
        refused = _connect(edge_server, ATTACKER)
        assert _read_reply(refused, timeout=2).startswith(b"HTTP/1.1 503")
        refused.close()
    time.sleep(0.3)
    with websockets.sync.client.connect(url, source_address=(ATTACKER, 0), open_timeout=5):
        pass


def test_server_raises_its_open_file_limit_to_the_hard_limit() -> None:
    """Each connection holds a descriptor: `visio serve` lifts the soft limit to the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(256, hard), hard))
    try:
        assert cli._raise_descriptor_limit() == hard
        assert resource.getrlimit(resource.RLIMIT_NOFILE) == (hard, hard)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_data_folder_and_secret_files_are_private(tmp_path: Path) -> None:
    """The data folder is 0700; the database and Janus's secret-holding files are 0600."""
    data = tmp_path / "visio" / "var"
    server = start_server(tmp_path / "visio", **{"DATA_DIR": str(data)})  # made by the server
    try:
        modes = {
            path: path.stat().st_mode & 0o777
            for path in (
                data,
                data / "janus",
                data / "visio.db",
                data / "janus" / "janus.jcfg",
                data / "janus" / "janus.plugin.videoroom.jcfg",
            )
        }
    finally:
        server.stop()
    assert modes == {
        data: 0o700,
        data / "janus": 0o700,
        data / "visio.db": 0o600,
        data / "janus" / "janus.jcfg": 0o600,
        data / "janus" / "janus.plugin.videoroom.jcfg": 0o600,
    }
