"""A real CalDAV server for the tests: Radicale (from PyPI) in a temporary folder, on a free
port, with htpasswd users."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.support import _die_with_parent, free_port, stop_process, wait_until

USERS = {
    "alice": "alice-app-password",
    "bob": "bob-app-password",
    "visio": "service-password",
    "carol@example.gouv.fr": "channel-7:visio-token",
}
"""The accounts on the server; ``visio`` is a deployment's service account; Carol signs in
with her e-mail and a shared service token, as La Suite's calendar takes a global channel."""


@dataclass
class RadicaleServer:
    folder: Path
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def calendar_url(self, user: str, calendar: str = "visio") -> str:
        return f"{self.url}/{user}/{calendar}/"

    def log(self) -> str:
        path = self.folder / "radicale.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def start(self) -> None:
        """Start Radicale (again, on the same port and storage) and wait until it answers."""
        with (self.folder / "radicale.log").open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "radicale", "--config", str(self.folder / "config")],
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,
            )

        def answers() -> bool:
            assert self.process is not None and self.process.poll() is None, self.log()
            try:
                return httpx.get(self.url + "/.web/", timeout=2).status_code < 500
            except httpx.TransportError:
                return False

        wait_until(answers, 30, lambda: f"Radicale did not start: {self.log()}")

    def stop(self) -> None:
        stop_process(self.process)
        self.process = None

    def make_calendar(self, user: str, calendar: str = "visio") -> str:
        """Create a calendar collection as ``user`` (MKCALENDAR); return its URL."""
        url = self.calendar_url(user, calendar)
        response = httpx.request("MKCALENDAR", url, auth=(user, USERS[user]), timeout=10)
        assert response.status_code == 201, response.text
        return url

    def open_home(self, user: str) -> None:
        """Sign in as ``user`` once: Radicale makes a person's home collection then."""
        response = httpx.request(
            "PROPFIND", f"{self.url}/{user}/", auth=(user, USERS[user]), headers={"depth": "0"}
        )
        assert response.status_code == 207, response.text

    def raw_event(self, user: str, uid: str, calendar: str = "visio") -> httpx.Response:
        """The stored resource, read with a plain HTTP GET (not through Visio's client)."""
        return httpx.get(
            f"{self.calendar_url(user, calendar)}{uid}.ics", auth=(user, USERS[user]), timeout=10
        )


def start_radicale(folder: Path, rights: str = "owner_only") -> RadicaleServer:
    """Radicale with the :data:`USERS`; ``rights`` is Radicale's ``[rights] type``
    (``owner_only``: each person their own calendars; ``authenticated``: any account
    everywhere, as a deployment's service account needs)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "users").write_text("".join(f"{u}:{p}\n" for u, p in USERS.items()))
    port = free_port()
    (folder / "config").write_text(
        f"""[server]
hosts = 127.0.0.1:{port}
[auth]
type = htpasswd
htpasswd_filename = {folder / "users"}
htpasswd_encryption = plain
[rights]
type = {rights}
[storage]
filesystem_folder = {folder / "collections"}
[logging]
level = warning
"""
    )
    server = RadicaleServer(folder, port)
    server.start()
    return server
