"""A real coturn (Debian's ``turnserver``) for tests, configured by ``visio.turn.coturn`` exactly
as ``visio turn-config`` configures it, listening on the test namespace's ``visio0`` address."""

from __future__ import annotations

import asyncio
import secrets
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import trustme

from tests.support import _die_with_parent, in_media_namespace, stop_process, wait_until
from visio.settings import Settings, load_settings
from visio.turn.coturn import write_turnserver_conf
from visio.turn.credentials import mint
from visio.turn.probe import allocate
from visio.turn.urls import parse_turn_url

TURN_ADDRESS = "127.0.0.2"
"""visio0's address in scripts/in-netns: where Janus gathers its candidates, and coturn listens."""
TURN_PORT = 3478
TURNS_PORT = 443
TURN_URLS = (
    f"turn:{TURN_ADDRESS}:{TURN_PORT}?transport=udp",
    f"turn:{TURN_ADDRESS}:{TURN_PORT}?transport=tcp",
    f"turns:{TURN_ADDRESS}:{TURNS_PORT}?transport=tcp",
)


@dataclass
class RunningCoturn:
    settings: dict[str, str]
    """The VISIO_TURN_* settings (without the prefix) that describe this server, for
    ``start_server``."""
    secret: str
    ca_file: Path
    """The test CA that signed coturn's TLS certificate (for ``SSL_CERT_FILE``)."""
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        stop_process(self.process)


def coturn_unavailable() -> str | None:
    """Why coturn cannot run here (None when it can)."""
    if shutil.which("turnserver") is None:
        return "coturn is not installed: scripts/setup installs it"
    if not in_media_namespace():
        return "coturn tests run inside scripts/in-netns (it listens on visio0's address)"
    return None


def start_coturn(folder: Path, stats_redis_url: str | None = None) -> RunningCoturn:
    """Write turnserver.conf with ``visio.turn.coturn`` (a fresh secret, a certificate from a
    throwaway CA), start coturn and wait until it opens a relay for a minted credential.
    ``stats_redis_url``: where coturn publishes its statistics (VISIO_TURN_STATS_REDIS_URL)."""
    folder.mkdir(parents=True, exist_ok=True)
    authority = trustme.CA()
    certificate = authority.issue_cert(TURN_ADDRESS)
    cert_path, key_path, ca_path = folder / "cert.pem", folder / "key.pem", folder / "ca.pem"
    certificate.private_key_and_cert_chain_pem.write_to_path(str(key_path))
    certificate.cert_chain_pems[0].write_to_path(str(cert_path))
    authority.cert_pem.write_to_path(str(ca_path))
    secret = secrets.token_hex(32)
    values = {
        "turn_urls": ",".join(TURN_URLS),
        "turn_secret": secret,
        "turn_realm": "visio.test",
        "turn_tls_cert": str(cert_path),
        "turn_tls_key": str(key_path),
        "turn_port": str(TURN_PORT),
        "turn_tls_port": str(TURNS_PORT),
        "turn_listening_ips": TURN_ADDRESS,
        "turn_peer_ips": TURN_ADDRESS,
    }
    if stats_redis_url:
        values["turn_stats_redis_url"] = stats_redis_url
    settings: Settings = load_settings(**values)
    config = folder / "turnserver.conf"
    write_turnserver_conf(settings, config)
    log_path = folder / "coturn.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                "turnserver",
                "-c",
                str(config),
                "--pidfile",
                str(folder / "turnserver.pid"),
                "--userdb",
                str(folder / "turndb"),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
        )
    running = RunningCoturn(values, secret, ca_path, process, log_path)
    try:
        wait_until(
            lambda: (
                running.process.poll() is None and all(_relay_opens(running, u) for u in TURN_URLS)
            ),
            timeout=30,
            message=lambda: f"coturn never opened relays:\n{running.log()[-3000:]}",
        )
    except BaseException:
        running.stop()
        raise
    return running


def _relay_opens(running: RunningCoturn, text: str) -> bool:
    import ssl

    credential = mint(running.secret, "readiness", 60, time.time())
    tls = ssl.create_default_context(cafile=str(running.ca_file))
    result = asyncio.run(
        allocate(
            parse_turn_url(text), credential.username, credential.credential, timeout=3, tls=tls
        )
    )
    return result.ok
