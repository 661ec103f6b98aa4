"""HAProxy from Debian, configured as deploy/haproxy/haproxy.cfg, in front of two real
`visio serve`: TLS, health checks on /readyz, WebSockets, and the client's real address.

The two app servers share one SQLite database (so a room created through one is known to both)
but not Redis: each socket's meeting lives on the server it lands on, which is all this test
needs. Run inside scripts/in-netns (the embedded Janus of each server wants the veth).
"""

from __future__ import annotations

import json
import os
import re
import ssl
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from websockets.sync.client import ClientConnection, connect

from tests.packaging.haproxy import (
    EXAMPLE,
    HAPROXY,
    Listeners,
    check_config,
    loopback_config,
    self_signed_certificate,
    server_states,
    wait_for_states,
)
from tests.support import (
    VISIO,
    RunningServer,
    _die_with_parent,
    free_port,
    start_server,
    wait_until,
)

pytestmark = pytest.mark.skipif(not Path(HAPROXY).exists(), reason="apt-get install haproxy")

# HAProxy reaches the app servers from 127.0.0.1; browsers come from other loopback addresses,
# so that the address Visio records tells them apart.
PROXY_ADDRESS = "127.0.0.1"
BROWSER_ADDRESS = "127.0.0.5"
STRANGER_ADDRESS = "127.0.0.7"
SPOOFED = "203.0.113.9"
JOIN = {"type": "join", "id": "j", "version": 1, "audio": False, "video": False}


@dataclass
class Cluster:
    servers: tuple[RunningServer, RunningServer]
    proxy: subprocess.Popen[bytes]
    listeners: Listeners
    trusted: ssl.SSLContext

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.listeners.https}"

    def browser(self) -> httpx.Client:
        """An HTTPS client through the proxy, from the browser's own address."""
        transport = httpx.HTTPTransport(verify=self.trusted, local_address=BROWSER_ADDRESS)
        return httpx.Client(base_url=self.url, transport=transport, timeout=15)

    def room_socket(self, slug: str) -> ClientConnection:
        """A room socket through the proxy, as a browser on Visio's page opens it."""
        return connect(
            f"wss://127.0.0.1:{self.listeners.https}/api/v1/rooms/{slug}/ws",
            ssl=self.trusted,
            origin=self.url,  # type: ignore[arg-type]
            source_address=(BROWSER_ADDRESS, 0),
            open_timeout=15,
        )

    def served_by(self, marker: str) -> list[int]:
        """Which servers (0, 1) logged a request whose path holds ``marker`` (waiting a moment
        for the log line: it may reach the file just after the answer reached the client)."""

        def found() -> list[int]:
            return [i for i, server in enumerate(self.servers) if marker in server.log()]

        return wait_until(found, 5, f"no server logged {marker}")

    def logs(self) -> str:
        return "\n".join(server.log() for server in self.servers)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    folder = tmp_path_factory.mktemp("haproxy")
    database = f"sqlite:///{folder / 'shared.db'}"
    # A database named by VISIO_DATABASE_URL is migrated by the operator, once (docs/deployment.md).
    subprocess.run(
        [str(VISIO), "migrate"],
        env={**os.environ, "VISIO_DATABASE_URL": database},
        check=True,
        capture_output=True,
        timeout=120,
    )
    with pytest.MonkeyPatch.context() as patch:
        # uvicorn trusts X-Forwarded-* only from these addresses (deploy/systemd/visio.env.example)
        patch.setenv("FORWARDED_ALLOW_IPS", PROXY_ADDRESS)
        first = start_server(
            folder / "app1", database_url=database, http_max_connections_per_client="20000"
        )
        second = start_server(
            folder / "app2", database_url=database, http_max_connections_per_client="20000"
        )
    bundle, certificate = self_signed_certificate(folder)
    listeners = Listeners(free_port(), free_port(), folder / "admin.sock")
    config = loopback_config(folder, bundle, listeners, (port(first), port(second)))
    log = (folder / "haproxy.log").open("wb")
    proxy = subprocess.Popen(
        # -n: this machine's hard limit on open files is lower than what the example's maxconn
        # needs (a server's is not: systemd's default hard limit is 524288).
        [HAPROXY, "-db", "-n", "4000", "-f", str(config)],
        stdout=log,
        stderr=subprocess.STDOUT,
        preexec_fn=_die_with_parent,
    )
    cluster = Cluster(
        (first, second), proxy, listeners, ssl.create_default_context(cafile=certificate)
    )
    try:
        wait_until(
            lambda: listeners.stats_socket.exists() or proxy.poll() is not None,
            15,
            "HAProxy did not start",
        )
        assert proxy.poll() is None, (folder / "haproxy.log").read_text()
        wait_for_states(listeners.stats_socket, all_servers("UP"))
        yield cluster
    finally:
        proxy.terminate()
        proxy.wait(10)
        log.close()
        first.stop()
        second.stop()


def port(server: RunningServer) -> int:
    return int(server.url.rsplit(":", 1)[1])


def all_servers(
    status: str, names: tuple[str, ...] = ("app1", "app2")
) -> dict[tuple[str, str], str]:
    return {
        (backend, name): status for backend in ("visio_http", "visio_sockets") for name in names
    }


def test_example_haproxy_config_is_valid(tmp_path: Path) -> None:
    """`haproxy -c` accepts deploy/haproxy/haproxy.cfg as shipped (but its certificate path),
    without a warning."""
    bundle, _ = self_signed_certificate(tmp_path)
    config = tmp_path / "haproxy.cfg"
    config.write_text(EXAMPLE.read_text().replace("/etc/haproxy/certs/visio.pem", str(bundle)))
    check_config(config)


def test_http_goes_through_tls_to_both_servers(cluster: Cluster) -> None:
    """Requests through the proxy reach both app servers (round robin) over TLS, and plain
    http is redirected to https."""
    with cluster.browser() as browser:
        markers = [uuid.uuid4().hex for _ in range(4)]
        for marker in markers:
            response = browser.get(f"/healthz?probe={marker}")
            assert response.status_code == 200, response.text
            assert response.headers["strict-transport-security"].startswith("max-age=")
    landed = [cluster.served_by(marker) for marker in markers]
    assert all(len(servers) == 1 for servers in landed), landed
    assert {servers[0] for servers in landed} == {0, 1}, landed
    plain = httpx.get(f"http://127.0.0.1:{cluster.listeners.http}/some/room", timeout=10)
    assert plain.status_code == 301
    assert plain.headers["location"] == f"https://127.0.0.1:{cluster.listeners.http}/some/room"


def test_room_link_says_https_behind_the_proxy(cluster: Cluster) -> None:
    """Without VISIO_PUBLIC_URL, the room link Visio writes comes from X-Forwarded-Proto: the
    browser used https, so the link is https even though HAProxy spoke http to Visio."""
    with cluster.browser() as browser:
        created = browser.post("/api/v1/rooms", json={})
    assert created.status_code == 201, created.text
    assert created.json()["url"].startswith(f"https://127.0.0.1:{cluster.listeners.https}/")


def test_room_sockets_go_through_the_proxy_to_both_servers(cluster: Cluster) -> None:
    """Two browsers' room sockets are upgraded through the proxy, spread over both servers
    (least connections), and join their meeting with the room protocol."""
    with cluster.browser() as browser:
        slug = browser.post("/api/v1/rooms", json={}).json()["slug"]
    with cluster.room_socket(slug) as first, cluster.room_socket(slug) as second:
        for number, sock in enumerate((first, second)):
            sock.send(json.dumps(JOIN | {"name": f"P{number}"}))
            reply = json.loads(sock.recv(timeout=15))
            assert reply["type"] == "joined", reply
        accepted = f'"WebSocket /api/v1/rooms/{slug}/ws" [accepted]'
        assert [accepted in server.log() for server in cluster.servers] == [True, True]


def test_visio_sees_the_browsers_address_not_a_forged_one(cluster: Cluster) -> None:
    """Behind the proxy Visio records the browser's real address, whatever X-Forwarded-For the
    browser sent; a client that reaches an app server directly cannot choose its address."""
    marker = uuid.uuid4().hex
    with cluster.browser() as browser:
        forged = {"X-Forwarded-For": SPOOFED, "Forwarded": f"for={SPOOFED}"}
        assert browser.get(f"/healthz?via=proxy-{marker}", headers=forged).status_code == 200
        created = browser.post("/api/v1/rooms", json={}, headers=forged)
        slug = created.json()["slug"]
    direct = httpx.HTTPTransport(local_address=STRANGER_ADDRESS)
    with httpx.Client(transport=direct, timeout=10) as stranger:
        target = cluster.servers[0].url
        forged_direct = {"X-Forwarded-For": SPOOFED, "X-Forwarded-Proto": "https"}
        response = stranger.get(f"{target}/healthz?via=direct-{marker}", headers=forged_direct)
        assert response.status_code == 200
    wait_until(lambda: f"via=direct-{marker}" in cluster.logs(), 5, "no direct request logged")
    logs = cluster.logs()
    assert re.search(
        rf"{re.escape(BROWSER_ADDRESS)}:\d+ - \"GET /healthz\?via=proxy-{marker}", logs
    )
    assert re.search(
        rf"{re.escape(STRANGER_ADDRESS)}:\d+ - \"GET /healthz\?via=direct-{marker}", logs
    )
    assert f"target={slug} ip={BROWSER_ADDRESS} " in logs  # the audit trail's room.created
    assert SPOOFED not in logs


def test_stopped_server_is_marked_down_and_the_other_serves(cluster: Cluster) -> None:
    """/readyz checks take a stopped app server out of both backends; every request and socket
    then goes to the other; restarted, it is back in."""
    stopped = cluster.servers[1]
    stopped.stop()
    try:
        wait_for_states(
            cluster.listeners.stats_socket,
            all_servers("UP", ("app1",)) | all_servers("DOWN", ("app2",)),
        )
        with cluster.browser() as browser:
            markers = [uuid.uuid4().hex for _ in range(6)]
            for marker in markers:
                assert browser.get(f"/healthz?probe={marker}").status_code == 200
            slug = browser.post("/api/v1/rooms", json={}).json()["slug"]
        assert [cluster.served_by(marker) for marker in markers] == [[0]] * len(markers)
        with cluster.room_socket(slug) as sock:
            sock.send(json.dumps(JOIN | {"name": "Late"}))
            assert json.loads(sock.recv(timeout=15))["type"] == "joined"
    finally:
        stopped.restart()
    wait_for_states(cluster.listeners.stats_socket, all_servers("UP"))
    assert server_states(cluster.listeners.stats_socket)[("visio_sockets", "app2")] == "UP"
