"""A real OpenID Connect provider for the tests: tests/oidc/server.mjs (npm `oidc-provider`).

Configured like ProConnect; `set_mode` makes it misbehave on purpose (forged or expired tokens,
userinfo about someone else...) for the negative tests.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import httpx

from tests.support import RunningServer, free_port, start_server

HERE = Path(__file__).resolve().parent
CLIENT_ID = "visio-test"
CLIENT_SECRET = "visio-test-secret-0123456789abcdef0123"
PROVIDER_ID = "proconnect"


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
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.output_reader.join(5)


def start_provider(visio_url: str, port: int | None = None) -> TestProvider:
    """Start the provider for a Visio at ``visio_url`` and wait until it listens."""
    node = shutil.which("node")
    if node is None or not (HERE / "node_modules" / "oidc-provider").is_dir():
        raise RuntimeError("the test OIDC provider needs node and `npm --prefix tests/oidc ci`")
    port = port or free_port()
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
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=HERE,
    )
    assert process.stdout is not None
    deadline = time.monotonic() + 15
    seen = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line)
        match = re.match(r"^ready (\S+)", line)
        if match:
            # Keep reading its output so the pipe never fills up.
            return TestProvider(match.group(1), process, _drain_output(process))
    process.kill()
    process.wait()
    process.stdout.close()
    raise RuntimeError(f"test OIDC provider did not start: {''.join(seen)}")


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


def _drain_output(process: subprocess.Popen[str]) -> threading.Thread:
    """Keep reading the provider's output so its pipe never fills up; close it at the end."""

    def drain() -> None:
        assert process.stdout is not None
        with process.stdout:
            for _ in process.stdout:
                pass

    reader = threading.Thread(target=drain, daemon=True)
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
