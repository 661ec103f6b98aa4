"""A cluster of Visio nodes on one machine, each node in a network namespace of its own.

Inside the test namespace of scripts/in-netns, every node (the load balancer, each app server,
each Janus, the store that holds Redis and PostgreSQL) gets a namespace of its own with one veth
to a bridge: its own address on 10.77.0.0/24, its own ports, its own interfaces, as a machine
has. Browsers stay on the bridge's side (10.77.0.1) and reach Visio through HAProxy only. Janus
gathers ICE candidates on its node's interface (never loopback, see ARCHITECTURE.md), so media
goes from each browser to the Janus that carries its room over the bridge, as it would over a
LAN.

A namespace is made by a holder process (``sleep infinity`` after ``unshare(CLONE_NEWNET)``);
a service starts inside it from a block where the calling thread has joined the namespace with
``setns``: processes started there live in it (``fork`` copies the thread's namespaces), and
the helpers that start them (``start_server``, ``start_redis``) work unchanged. Any node can be
killed (SIGKILL, a lost machine) and started again on the same address.
"""

from __future__ import annotations

import ctypes
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.postgres import _as_postgres, _bin_dir
from tests.redis_server import RunningRedis, start_redis
from tests.support import (
    VISIO,
    RunningServer,
    _die_with_parent,
    start_server,
    stop_process,
    wait_until,
)
from visio.media.janus.config import janus_command, render_jcfg, write_janus_config
from visio.settings import Settings, load_settings

CLONE_NEWNET = 0x40000000
BRIDGE = "visiobr0"
SUBNET_PREFIX = "10.77.0"
HOST_ADDRESS = f"{SUBNET_PREFIX}.1"
"""The bridge's own address: where the browsers (and the test itself) are."""
NODE_INTERFACE = "eth0"
"""Every node's one interface (Janus's ``ice_enforce_list``)."""
ADDRESSES = {
    "haproxy": f"{SUBNET_PREFIX}.10",
    "app1": f"{SUBNET_PREFIX}.11",
    "app2": f"{SUBNET_PREFIX}.12",
    "janus1": f"{SUBNET_PREFIX}.21",
    "janus2": f"{SUBNET_PREFIX}.22",
    "store": f"{SUBNET_PREFIX}.30",
}
APP_PORT = 8000
JANUS_WS_PORT = 8188
JANUS_ADMIN_PORT = 7188
POSTGRES_PORT = 5432
HTTP_PORT = 80
PUBLIC_URL = f"http://{ADDRESSES['haproxy']}"
"""Where browsers open Visio: HAProxy's address."""

_libc = ctypes.CDLL(None, use_errno=True)


def _join_namespace(descriptor: int) -> None:
    if _libc.setns(descriptor, CLONE_NEWNET) != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"setns: {os.strerror(error)}")


def _new_namespace_holder() -> None:
    """In the holder's child, before exec: a network namespace of its own; gone with the run."""
    if _libc.unshare(CLONE_NEWNET) != 0:
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNET)")
    _die_with_parent()


def _ip(*args: str) -> None:
    result = subprocess.run(["ip", *args], capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {result.stderr.strip()}")


def bed_unavailable_reason() -> str | None:
    """Why the cluster bed cannot be built here (None when it can)."""
    if os.environ.get("VISIO_IN_NETNS") != "1":
        return "the cluster bed runs inside scripts/in-netns (never on the machine's own network)"
    if os.geteuid() != 0:
        return "the cluster bed needs root (network namespaces), as scripts/in-netns does"
    for program in ("ip", "haproxy", "redis-server", "janus"):
        if shutil.which(program) is None and not Path(f"/usr/bin/{program}").exists():
            return f"{program} is not installed: scripts/setup --test installs it"
    return None


@dataclass
class Node:
    """One machine of the cluster: a network namespace with one address on the bridge."""

    name: str
    address: str
    holder: subprocess.Popen[bytes]

    @contextmanager
    def inside(self) -> Iterator[None]:
        """Run the calling thread in this node's namespace for the block: what it starts (and
        the sockets it opens) live there."""
        home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        try:
            target = os.open(f"/proc/{self.holder.pid}/ns/net", os.O_RDONLY)
            try:
                _join_namespace(target)
                try:
                    yield
                finally:
                    _join_namespace(home)
            finally:
                os.close(target)
        finally:
            os.close(home)

    def remove(self) -> None:
        if self.holder.poll() is None:
            self.holder.kill()
            self.holder.wait()


def _make_node(name: str, address: str) -> Node:
    holder = subprocess.Popen(["sleep", "infinity"], preexec_fn=_new_namespace_holder)
    node = Node(name, address, holder)
    try:
        outside = f"vb-{name}"[:15]
        _ip(
            "link", "add", outside, "type", "veth",
            "peer", "name", NODE_INTERFACE, "netns", f"/proc/{holder.pid}/ns/net",
        )  # fmt: skip
        _ip("link", "set", outside, "master", BRIDGE, "up")
        with node.inside():
            _ip("link", "set", "lo", "up")
            _ip("addr", "add", f"{address}/24", "dev", NODE_INTERFACE)
            _ip("link", "set", NODE_INTERFACE, "up")
            # Janus finds its own address by the route out; the bridge's side leads nowhere else.
            _ip("route", "add", "default", "via", HOST_ADDRESS)
    except BaseException:
        node.remove()
        raise
    return node


def _wait_tcp(address: str, port: int, timeout: float, failure: Callable[[], str]) -> None:
    def answers() -> bool:
        try:
            with socket.create_connection((address, port), timeout=0.5):
                return True
        except OSError:
            return False

    wait_until(answers, timeout, failure)


def _tail(path: Path, size: int = 3000) -> str:
    return path.read_text(errors="replace")[-size:] if path.exists() else "(no log)"


@dataclass(frozen=True)
class JanusSecrets:
    """What every Janus of the cluster shares with the app servers (as an operator's do)."""

    api_secret: str
    videoroom_admin_key: str


@dataclass
class JanusNode:
    """An external Janus on its own node: API and admin API on the node's address."""

    node: Node
    config_dir: Path
    secrets: JanusSecrets
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"ws://{self.node.address}:{JANUS_WS_PORT}"

    @property
    def log_path(self) -> Path:
        return self.config_dir.parent / f"{self.node.name}.log"

    def start(self) -> None:
        with self.log_path.open("ab") as log, self.node.inside():
            self.process = subprocess.Popen(
                janus_command(Path("/usr/bin/janus"), self.config_dir),
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,
            )
        _wait_tcp(
            self.node.address,
            JANUS_WS_PORT,
            30,
            lambda: f"{self.node.name} does not listen:\n{_tail(self.log_path)}",
        )

    def kill(self) -> None:
        """SIGKILL: a Janus machine lost."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


def _configure_janus(folder: Path, node: Node, secrets: JanusSecrets | None) -> JanusNode:
    """Janus's configuration, from Visio's own generator, for a Janus on ``node``: media only on
    the node's interface, both APIs on its address, the cluster's shared secrets."""
    settings = load_settings(
        janus_ice_interfaces=[NODE_INTERFACE],
        janus_ws_port=JANUS_WS_PORT,
        janus_admin_port=JANUS_ADMIN_PORT,
        data_dir=folder,
    )
    config_dir = folder / node.name
    # Every Janus of a cluster shares the operator's secrets (the first one's here).
    runtime = write_janus_config(
        settings,
        config_dir,
        api_secret=secrets.api_secret if secrets else None,
        videoroom_admin_key=secrets.videoroom_admin_key if secrets else None,
    )
    secrets = JanusSecrets(runtime.api_secret, runtime.videoroom_admin_key)
    # An embedded Janus listens on 127.0.0.1; this one is on its own machine.
    (config_dir / "janus.transport.websockets.jcfg").write_text(
        render_jcfg(
            {
                "general": {
                    "json": "plain",
                    "ws": True,
                    "ws_port": JANUS_WS_PORT,
                    "ws_ip": node.address,
                    "wss": False,
                    "ws_logging": "err",
                },
                "admin": {
                    "admin_ws": True,
                    "admin_ws_port": JANUS_ADMIN_PORT,
                    "admin_ws_ip": node.address,
                    "admin_wss": False,
                },
            }
        )
    )
    return JanusNode(node, config_dir, secrets)


def janus_pool_supported() -> bool:
    """Whether this Visio takes several Janus instances (``VISIO_JANUS_URLS``)."""
    return "janus_urls" in Settings.model_fields


@dataclass
class AppNode:
    """`visio serve` on its own node."""

    node: Node
    server: RunningServer

    @property
    def node_id(self) -> str:
        return self.node.name

    @property
    def url(self) -> str:
        return self.server.url

    def kill(self) -> None:
        """SIGKILL: an app server machine lost (no goodbye to Redis, the sockets or Janus)."""
        if self.server.process.poll() is None:
            self.server.process.send_signal(signal.SIGKILL)
            self.server.process.wait()

    def restart(self) -> None:
        with self.node.inside():
            self.server.restart()

    def alive(self) -> bool:
        return self.server.process.poll() is None


@dataclass
class PostgresNode:
    """A PostgreSQL cluster on the store node, reached over TCP like a database machine. Its
    files are in a folder of its own (PostgreSQL runs as its own user, who may not enter the
    test's temporary folders)."""

    node: Node
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="visio-pg-")))

    @property
    def url(self) -> str:
        return f"postgresql://visio@{self.node.address}:{POSTGRES_PORT}/visio"

    def start(self) -> None:
        bin_dir = _bin_dir()
        data, sockets = self.folder / "data", self.folder / "run"
        sockets.mkdir()
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")
            shutil.chown(sockets, "postgres")
        self._run(
            [str(bin_dir / "initdb"), "-D", str(data), "-U", "visio", "--auth=trust", "-E", "UTF8"]
        )
        with (data / "pg_hba.conf").open("a") as hba:
            hba.write(f"host all all {SUBNET_PREFIX}.0/24 trust\n")
        with self.node.inside():
            self._run(
                [
                    str(bin_dir / "pg_ctl"), "-D", str(data), "-w", "-l", str(self.folder / "log"),
                    "start", "-o",
                    f"-k {sockets} -c listen_addresses={self.node.address} "
                    f"-p {POSTGRES_PORT} -c fsync=off",
                ]
            )  # fmt: skip
        createdb = str(bin_dir / "createdb")
        self._run([createdb, "-h", str(sockets), "-p", str(POSTGRES_PORT), "-U", "visio", "visio"])

    def stop(self) -> None:
        pg_ctl = str(_bin_dir() / "pg_ctl")
        subprocess.run(
            _as_postgres([pg_ctl, "-D", str(self.folder / "data"), "-m", "immediate", "stop"]),
            capture_output=True,
        )
        shutil.rmtree(self.folder, ignore_errors=True)

    @staticmethod
    def _run(command: list[str]) -> None:
        result = subprocess.run(_as_postgres(command), capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"{command[0]} failed: {result.stdout}{result.stderr}")


def haproxy_config(apps: list[tuple[str, str]]) -> str:
    """HAProxy in front of the app servers: plain HTTP balanced request by request, room
    WebSockets balanced round robin on their own (consecutive browsers land on different app
    servers), a dead server left out after two failed `/readyz` checks half a second apart, a
    connection refused by a dead server sent to another, the client's address forwarded."""
    servers = "\n".join(
        f"  server {name} {address}:{APP_PORT} check inter 500ms fall 2 rise 2"
        for name, address in apps
    )
    backend_options = (
        "  balance roundrobin\n"
        "  option httpchk GET /readyz\n"
        "  http-check expect status 200\n"
        "  option redispatch 1\n"
        "  retries 3\n"
    )
    return (
        "global\n"
        "  log stdout format raw local0 info\n"
        "  maxconn 4000\n"
        "defaults\n"
        "  mode http\n"
        "  log global\n"
        "  option httplog\n"
        "  option forwardfor\n"
        "  option logasap\n"
        "  timeout connect 2s\n"
        "  timeout client 60s\n"
        "  timeout server 60s\n"
        "  timeout tunnel 1h\n"
        "frontend visio\n"
        f"  bind {ADDRESSES['haproxy']}:{HTTP_PORT}\n"
        "  acl websocket hdr(Upgrade) -i websocket\n"
        "  use_backend sockets if websocket\n"
        "  default_backend web\n"
        f"backend web\n{backend_options}{servers}\n"
        f"backend sockets\n{backend_options}{servers}\n"
    )


@dataclass
class HAProxyNode:
    node: Node
    config: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def log_path(self) -> Path:
        return self.config.with_suffix(".log")

    def start(self) -> None:
        with self.log_path.open("ab") as log, self.node.inside():
            self.process = subprocess.Popen(
                ["haproxy", "-db", "-f", str(self.config)],
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,
            )

    def stop(self) -> None:
        stop_process(self.process)


@dataclass
class ClusterBed:
    """Everything of one cluster; ``start_cluster`` builds it and takes it down."""

    folder: Path
    nodes: dict[str, Node] = field(default_factory=dict)
    redis: RunningRedis | None = None
    postgres: PostgresNode | None = None
    janus: list[JanusNode] = field(default_factory=list)
    apps: list[AppNode] = field(default_factory=list)
    haproxy: HAProxyNode | None = None

    url: str = PUBLIC_URL

    def app(self, node_id: str) -> AppNode:
        return next(app for app in self.apps if app.node_id == node_id)

    def janus_named(self, name: str) -> JanusNode:
        return next(janus for janus in self.janus if janus.node.name == name)

    def janus_at(self, address: str) -> JanusNode:
        return next(janus for janus in self.janus if janus.node.address == address)

    def create_room(self) -> str:
        """A new room, created through the load balancer as a browser would."""
        response = httpx.post(f"{self.url}/api/v1/rooms", timeout=10)
        response.raise_for_status()
        return str(response.json()["slug"])

    def room_owner(self, slug: str) -> str | None:
        """The node id of the app server that holds the room's lease in Redis (None: nobody,
        or one app server without Redis placement)."""
        if self.redis is None:
            return None
        client = self.redis.client()
        try:
            value = client.get(f"visio:room:{slug}:owner")
        finally:
            client.close()
        return value.decode() if isinstance(value, bytes) else None

    def socket_servers(self, slug: str) -> list[str]:
        """The app server HAProxy sent each of the room's WebSockets to, in order."""
        assert self.haproxy is not None
        log = _tail(self.haproxy.log_path, 10**7)
        return re.findall(rf" sockets/(\S+) .*\"GET /api/v1/rooms/{re.escape(slug)}/ws ", log)

    def wait_balancer_sees(self, healthy: int, timeout: float = 30) -> None:
        """Until HAProxy answers `/readyz` and routes to ``healthy`` app servers."""
        wait_until(
            lambda: self._balancer_ready() and self.healthy_app_servers() >= healthy,
            timeout,
            lambda: f"HAProxy does not serve {healthy} app servers:\n{self.logs()}",
        )

    def _balancer_ready(self) -> bool:
        try:
            return httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def healthy_app_servers(self) -> int:
        return sum(1 for app in self.apps if app.alive() and _ready(app.url))

    def logs(self, size: int = 2500) -> str:
        parts = [f"--- {app.node_id}\n{app.server.log()[-size:]}" for app in self.apps]
        parts += [f"--- {janus.node.name}\n{_tail(janus.log_path, size)}" for janus in self.janus]
        if self.haproxy is not None:
            parts.append(f"--- haproxy\n{_tail(self.haproxy.log_path, size)}")
        return "\n".join(parts)


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/readyz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


@contextmanager
def start_cluster(folder: Path, app_servers: int = 2, janus: int = 2) -> Iterator[ClusterBed]:
    """Build the cluster in ``folder``: Redis and PostgreSQL on the store node, ``janus`` Janus
    instances, ``app_servers`` `visio serve` in external Janus mode sharing them, HAProxy in
    front. Yields once HAProxy routes to every app server; takes everything down after."""
    reason = bed_unavailable_reason()
    if reason:
        raise RuntimeError(reason)
    if not 1 <= app_servers <= 2 or not 1 <= janus <= 2:
        raise ValueError("the bed has addresses for 1 or 2 app servers and 1 or 2 Janus")
    if janus > 1 and not janus_pool_supported():
        raise RuntimeError("this Visio takes one Janus per app server (no VISIO_JANUS_URLS)")
    folder.mkdir(parents=True, exist_ok=True)
    bed = ClusterBed(folder)
    with ExitStack() as cleanup:
        _ip("link", "add", BRIDGE, "type", "bridge")
        cleanup.callback(_ip, "link", "del", BRIDGE)
        _ip("addr", "add", f"{HOST_ADDRESS}/24", "dev", BRIDGE)
        _ip("link", "set", BRIDGE, "up")
        names = ["store", "haproxy"]
        names += [f"app{index}" for index in range(1, app_servers + 1)]
        names += [f"janus{index}" for index in range(1, janus + 1)]
        for name in names:
            bed.nodes[name] = _make_node(name, ADDRESSES[name])
            cleanup.callback(bed.nodes[name].remove)

        store = bed.nodes["store"]
        with store.inside():
            bed.redis = start_redis(folder / "redis", host=store.address)
        cleanup.callback(bed.redis.stop)
        bed.postgres = PostgresNode(store)
        cleanup.callback(bed.postgres.stop)
        bed.postgres.start()

        secrets: JanusSecrets | None = None
        for index in range(1, janus + 1):
            instance = _configure_janus(folder / "janus", bed.nodes[f"janus{index}"], secrets)
            secrets = instance.secrets
            cleanup.callback(instance.stop)
            instance.start()
            bed.janus.append(instance)
        assert secrets is not None

        settings = {
            "janus_mode": "external",
            "janus_api_secret": secrets.api_secret,
            "janus_videoroom_admin_key": secrets.videoroom_admin_key,
            "redis_url": bed.redis.url,
            "database_url": bed.postgres.url,
            "public_url": PUBLIC_URL,
        }
        if janus_pool_supported():
            settings["janus_urls"] = ",".join(instance.url for instance in bed.janus)
        else:
            settings["janus_url"] = bed.janus[0].url
        _migrate(folder / "migrate", settings)
        # Side by side: each takes tens of seconds to import and start on a busy machine.
        for index in range(1, app_servers + 1):
            node = bed.nodes[f"app{index}"]
            with node.inside():
                server = start_server(
                    folder / node.name,
                    host=node.address,
                    port=APP_PORT,
                    extra_env={"FORWARDED_ALLOW_IPS": ADDRESSES["haproxy"]},
                    wait=False,
                    node_id=node.name,
                    **settings,
                )
            cleanup.callback(server.stop)
            bed.apps.append(AppNode(node, server))
        for app in bed.apps:
            app.server.wait_ready()

        config = folder / "haproxy.cfg"
        config.write_text(haproxy_config([(app.node_id, app.node.address) for app in bed.apps]))
        bed.haproxy = HAProxyNode(bed.nodes["haproxy"], config)
        cleanup.callback(bed.haproxy.stop)
        bed.haproxy.start()
        bed.wait_balancer_sees(app_servers)
        yield bed


def _migrate(folder: Path, settings: dict[str, str]) -> None:
    """`visio migrate` once, as an operator does before starting the app servers."""
    folder.mkdir(parents=True, exist_ok=True)
    env = {key: value for key, value in os.environ.items() if not key.startswith("VISIO_")}
    env |= {f"VISIO_{key.upper()}": value for key, value in settings.items()}
    env["VISIO_DATA_DIR"] = str(folder)
    result = subprocess.run(
        [str(VISIO), "migrate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode != 0:
        raise RuntimeError(f"visio migrate failed:\n{result.stdout}{result.stderr}")
