"""Debian's Firefox (``firefox-esr``) driven over WebDriver BiDi, for the few tests that must see
Firefox too.

Why not Playwright: its Firefox is a patched build downloaded from its own CDN, which this
project may not fetch; Playwright cannot drive a stock Firefox. Why not Selenium: it needs
``geckodriver``, which Debian 12 does not package (Selenium Manager would download it). Stock
Firefox speaks the W3C WebDriver BiDi protocol itself (``--remote-debugging-port``), over one
WebSocket: the few commands these tests need (``session.new``, ``browsingContext.navigate``,
``script.evaluate``) are sent with the ``websockets`` client Visio already depends on.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from websockets.sync.client import ClientConnection, connect

from tests.support import _die_with_parent

FIREFOX = shutil.which("firefox-esr") or "/usr/bin/firefox-esr"
STARTUP_TIMEOUT_S = 120.0
COMMAND_TIMEOUT_S = 120.0

PREFERENCES = {
    # a fake camera and microphone, granted without asking (Chromium's --use-fake-* flags)
    "media.navigator.streams.fake": True,
    "media.navigator.permission.disabled": True,
    # ICE on loopback and the test namespace's veth address, never hidden behind mDNS names
    "media.peerconnection.ice.loopback": True,
    "media.peerconnection.ice.obfuscate_host_addresses": False,
    # nothing that calls home or runs at first start
    "app.update.enabled": False,
    "app.normandy.enabled": False,
    "browser.shell.checkDefaultBrowser": False,
    "browser.startup.homepage_override.mstone": "ignore",
    "browser.newtabpage.enabled": False,
    "datareporting.policy.dataSubmissionEnabled": False,
    "messaging-system.rsexperimentloader.enabled": False,
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
    "toolkit.telemetry.reportingpolicy.firstRun": False,
}


class BidiError(RuntimeError):
    """A WebDriver BiDi command Firefox answered with an error."""


class Firefox:
    """One headless Firefox with its own throwaway profile and a BiDi session on its first tab."""

    def __init__(self) -> None:
        if not Path(FIREFOX).exists():
            raise RuntimeError(
                "firefox-esr is missing: scripts/setup --test installs it (Debian firefox-esr)"
            )
        self.profile = Path(tempfile.mkdtemp(prefix="visio-firefox-"))
        (self.profile / "user.js").write_text(
            "".join(
                f"user_pref({json.dumps(name)}, {json.dumps(value)});\n"
                for name, value in PREFERENCES.items()
            )
        )
        self._output: list[str] = []
        self._ids = itertools.count(1)
        self._process = subprocess.Popen(
            [
                FIREFOX,
                "--headless",
                "--no-remote",
                "--profile",
                str(self.profile),
                "--remote-debugging-port=0",
                "about:blank",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            preexec_fn=_die_with_parent,
        )
        self._socket: ClientConnection | None = None
        try:
            self._socket = connect(self._bidi_url() + "/session", max_size=None, legacy=True)
            self.call("session.new", {"capabilities": {}})
            tree = self.call("browsingContext.getTree", {})
            self.context = str(tree["contexts"][0]["context"])
        except BaseException:
            self.close()
            raise

    def _bidi_url(self) -> str:
        """Read Firefox's output until it says where BiDi listens, then keep draining it (a
        full pipe would stop Firefox)."""
        assert self._process.stdout is not None
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        for line in self._process.stdout:
            self._output.append(line)
            found = re.search(r"WebDriver BiDi listening on (ws://\S+)", line)
            if found:
                threading.Thread(target=self._drain, daemon=True).start()
                return found.group(1)
            if time.monotonic() > deadline:
                break
        raise RuntimeError(f"Firefox did not start its WebDriver BiDi server: {self.output()}")

    def _drain(self) -> None:
        assert self._process.stdout is not None
        # Firefox's output pipe is closed at stop(); a read racing that close ends the drain.
        with contextlib.suppress(OSError, ValueError):
            for line in self._process.stdout:
                self._output.append(line)

    def output(self) -> str:
        return "".join(self._output[-60:])

    def call(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        """Send one command and return its result (events in between are dropped)."""
        assert self._socket is not None
        command = next(self._ids)
        self._socket.send(json.dumps({"id": command, "method": method, "params": params}))
        deadline = time.monotonic() + COMMAND_TIMEOUT_S
        while True:
            answer = json.loads(self._socket.recv(timeout=max(0.1, deadline - time.monotonic())))
            if answer.get("id") != command:
                continue
            if answer.get("type") == "error":
                raise BidiError(f"{method}: {answer.get('error')}: {answer.get('message')}")
            result: dict[str, Any] = answer["result"]
            return result

    def goto(self, url: str) -> None:
        self.call(
            "browsingContext.navigate", {"context": self.context, "url": url, "wait": "complete"}
        )

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (primitives only), promises awaited."""
        result = self.call(
            "script.evaluate",
            {
                "expression": expression,
                "target": {"context": self.context},
                "awaitPromise": True,
            },
        )
        if result.get("type") == "exception":
            raise BidiError(f"{expression!r} threw: {result['exceptionDetails'].get('text')}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float, describe: Callable[[], str]) -> Any:
        """Evaluate ``expression`` until it is truthy (a deadline, never a fixed sleep)."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"in Firefox, {expression!r} stayed {value!r}: {describe()}")
            time.sleep(0.1)

    def close(self) -> None:
        if self._socket is not None:
            try:
                self.call("session.end", {})
            except Exception:
                pass  # Firefox is stopped below either way
            self._socket.close()
        self._process.terminate()
        try:
            self._process.wait(30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()
        shutil.rmtree(self.profile, ignore_errors=True)
