"""deploy/janus/*.jcfg, the configuration of a Janus of Visio's pool (visio-janus.service):
a real Janus started on it, as the unit starts it, serves a real `visio serve` in external mode.

Only what a test machine must choose is replaced: the configuration folder, the private address
and port of the API, and the CHANGE-ME secrets.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.sync.client import connect

from tests.support import ROOT, _die_with_parent, free_port, start_server, wait_until

EXAMPLES = ROOT / "deploy" / "janus"
UNIT = ROOT / "deploy" / "systemd" / "visio-janus.service"


@pytest.fixture
def janus(tmp_path: Path) -> Iterator[tuple[int, str, str]]:
    """Janus on the examples: (API port, API secret, VideoRoom admin key)."""
    port, secret, key = free_port(), "test-api-secret", "test-admin-key"
    folder = tmp_path / "janus"
    folder.mkdir()
    for example in EXAMPLES.glob("*.jcfg"):
        text = example.read_text().replace("/etc/visio/janus", str(folder))
        text = text.replace("CHANGE-ME-api-secret", secret)
        text = text.replace("CHANGE-ME-videoroom-admin-key", key)
        text = text.replace("CHANGE-ME-private-address", "127.0.0.1")
        text = text.replace("ws_port = 8188", f"ws_port = {port}")
        assert "CHANGE-ME" not in text, example.name
        (folder / example.name).write_text(text)
    start = re.search(r"^ExecStart=(.*)$", UNIT.read_text(), re.MULTILINE)
    assert start is not None
    command = shlex.split(start.group(1).replace("/etc/visio/janus", str(folder)))
    log = (tmp_path / "janus.log").open("wb")
    process = subprocess.Popen(
        command, stdout=log, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent
    )
    try:
        yield port, secret, key
    finally:
        process.terminate()
        process.wait(15)
        log.close()
        output = (tmp_path / "janus.log").read_text(errors="replace")
        # Only VideoRoom and the WebSocket transport are loaded; no other plugin answers.
        assert "has been disabled" in output and "[ERR]" not in output, output[-3000:]


def test_visio_in_external_mode_runs_meetings_on_the_example_janus(
    tmp_path: Path, janus: tuple[int, str, str]
) -> None:
    port, secret, key = janus
    server = start_server(
        tmp_path / "visio",
        janus_mode="external",
        janus_url=f"ws://127.0.0.1:{port}",
        janus_api_secret=secret,
        janus_videoroom_admin_key=key,
    )
    try:
        slug = server.create_room()
        with connect(f"{server.ws_base}/api/v1/rooms/{slug}/ws", open_timeout=15) as sock:
            join = {"type": "join", "id": "j", "version": 1, "name": "Ada"}
            sock.send(json.dumps(join | {"audio": True, "video": True}))
            reply = json.loads(sock.recv(timeout=15))
        assert reply["type"] == "joined", reply
        wait_until(lambda: "connected to Janus" in server.log(), 10, server.log)
    finally:
        server.stop()
