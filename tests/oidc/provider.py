"""A real OpenID Connect provider for the tests: tests/oidc/server.mjs (npm `oidc-provider`).

Configured like ProConnect; `set_mode` makes it misbehave on purpose (forged or expired tokens,
userinfo about someone else...) for the negative tests.
"""

from __future__ import annotations

import json
import queue
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import httpx

from tests.support import RunningServer, free_port, start_server, stop_process

HERE = Path(__file__).resolve().parent
CLIENT_ID = "visio-test"
CLIENT_SECRET = "visio-test-secret-0123456789abcdef0123"
PROVIDER_ID = "proconnect"
START_DEADLINE = 30.0
"""Seconds a provider has to say "ready" (it takes well under one, even under load)."""


@dataclass
class TestProvider:
    """A running server.mjs."""

    __test__ = False

    issuer: str
    process: subprocess.Popen[str]
    output_reader: threading.Thread

    def set_mode(self, mode: str) -> None:
        response = httpx.put(f"{self.issuer}/_test/mode", params={"mode": mode}, timeout=5)
        response.raise_for_status()

    def settings_json(self, **overrides: object) -> str:
        """VISIO_OIDC_PROVIDERS for a Visio that signs in through this provider."""
        provider: dict[str, object] = {
            "id": PROVIDER_ID,
            "display_name": "ProConnect",
            "logo_url": "/signin.svg",
            "issuer": self.issuer,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        } | overrides
        return json.dumps([provider])

    def stop(self) -> None:
        stop_process(self.process, grace=5)
        self.output_reader.join(5)


def start_provider(visio_url: str, port: int | None = None) -> TestProvider:
    """Start the provider for a Visio at ``visio_url`` and wait until it listens.

    Node has been seen (once, in CI under load) to start and then print nothing for minutes:
    a start that has not said "ready" within its deadline is killed, reported on stderr with
    what it printed, and tried once more on a fresh port.
    """
    node = shutil.which("node")
    if node is None or not (HERE / "node_modules" / "oidc-provider").is_dir():
        raise RuntimeError("the test OIDC provider needs node and `npm --prefix tests/oidc ci`")
    failures = []
    for attempt in range(2):
        started = _try_start(node, visio_url, port if attempt == 0 and port else free_port())
        if isinstance(started, TestProvider):
            if failures:
                print(f"test OIDC provider: first start failed: {failures[0]}", file=sys.stderr)
            return started
        failures.append(started)
    raise RuntimeError(f"test OIDC provider did not start: {' / '.join(failures)}")


def _try_start(node: str, visio_url: str, port: int) -> TestProvider | str:
    """The running provider, or what it printed before it failed or ran out of time."""
    process = subprocess.Popen(
        [
            node,
            str(HERE / "server.mjs"),
            "--port",
            str(port),
            "--client-id",
            CLIENT_ID,
            "--client-secret",
            CLIENT_SECRET,
            "--redirect-uri",
            f"{visio_url}/auth/{PROVIDER_ID}/callback",
            "--post-logout-redirect-uri",
            f"{visio_url}/auth/logout/done",
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=HERE,
    )
    lines: queue.Queue[str | None] = queue.Queue()
    reader = _read_output(process, lines)
    deadline = time.monotonic() + START_DEADLINE
    seen = []
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            break
        if line is None:
            break
        seen.append(line)
        match = re.match(r"^ready (\S+)", line)
        if match:
            return TestProvider(match.group(1), process, reader)
    process.kill()
    process.wait()
    reader.join(5)
    return f"exit {process.returncode} after {''.join(seen)!r}"


@contextmanager
def visio_with_provider(
    folder: Path, **settings: str
) -> Iterator[tuple[RunningServer, TestProvider]]:
    """A real `visio serve` whose people sign in through a real (ProConnect-like) provider."""
    port = free_port()
    provider = start_provider(f"http://127.0.0.1:{port}")
    try:
        server = start_server(
            folder, port=port, oidc_providers=provider.settings_json(), **settings
        )
    except BaseException:
        provider.stop()
        raise
    try:
        yield server, provider
    finally:
        server.stop()
        provider.stop()


def _read_output(
    process: subprocess.Popen[str], lines: queue.Queue[str | None]
) -> threading.Thread:
    """Read the provider's output into ``lines`` until it ends (None), so its pipe never fills."""

    def read() -> None:
        assert process.stdout is not None
        with process.stdout:
            for line in process.stdout:
                lines.put(line)
        lines.put(None)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    return reader


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, object]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append({"action": values.get("action", ""), "fields": {}})
        elif tag == "input" and self.forms and values.get("name"):
            fields = self.forms[-1]["fields"]
            assert isinstance(fields, dict)
            fields[values["name"]] = values.get("value", "")


def first_form(page: httpx.Response) -> tuple[str, dict[str, str]]:
    """The first form of an HTML page: its absolute action URL and its fields."""
    parser = _FormParser()
    parser.feed(page.text)
    if not parser.forms:
        raise AssertionError(f"no form at {page.url}: {page.text[:500]}")
    form = parser.forms[0]
    fields = form["fields"]
    assert isinstance(fields, dict)
    return urljoin(str(page.url), str(form["action"])), dict(fields)
