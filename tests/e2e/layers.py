"""What a viewer receives of each remote video (for the layer selection tests and bench), and
what Janus says it relays to a subscriber (its admin API)."""

from __future__ import annotations

import itertools
import json
import re
import time
from collections.abc import Callable
from typing import Any

from websockets.sync.client import connect

from tests.e2e.browser import Participant
from tests.support import RunningServer

RECEIVED_VIDEO_JS = """async (windowMs) => {
  const session = window.visio?.session;
  const pc = session?.subscriber;
  if (!pc) return [];
  const sample = async () => {
    const owners = new Map(session.remoteTracks.filter(t => t.kind === 'video')
      .map(t => [t.mid, {participantId: t.participantId, source: t.source}]));
    const found = new Map();
    (await pc.getStats()).forEach(s => {
      if (s.type !== 'inbound-rtp' || s.kind !== 'video' || !owners.has(s.mid)) return;
      found.set(s.mid, {mid: s.mid, ...owners.get(s.mid), bytes: s.bytesReceived || 0,
                        width: s.frameWidth || 0, frames: s.framesDecoded || 0});
    });
    return found;
  };
  const before = await sample();
  await new Promise(r => setTimeout(r, windowMs));
  const after = await sample();
  return [...after.values()].map(e => ({...e, rate: (e.bytes - (before.get(e.mid)?.bytes ?? 0)) * 1000 / windowMs}));
}"""


def received_video(
    viewer: Participant, window: float = 1.0
) -> dict[tuple[str, str], dict[str, Any]]:
    """Each remote video the viewer receives, by (participant id, source): its frame width now
    and the bytes per second it brought over the last ``window`` seconds (``rate``)."""
    return {
        (entry["participantId"], entry["source"]): entry
        for entry in viewer.page.evaluate(RECEIVED_VIDEO_JS, int(window * 1000))
    }


def wait_received(
    viewer: Participant,
    condition: Callable[[dict[tuple[str, str], dict[str, Any]]], bool],
    what: str,
    timeout: float = 60,
) -> dict[tuple[str, str], dict[str, Any]]:
    """Until what the viewer receives (sampled over 1 s windows) meets ``condition``."""
    deadline = time.monotonic() + timeout
    last: dict[tuple[str, str], dict[str, Any]] = {}
    while time.monotonic() < deadline:
        last = received_video(viewer)
        if condition(last):
            return last
    raise AssertionError(f"{viewer.name}: {what} not seen in {timeout} s; receiving {last}")


class JanusAdmin:
    """Janus's admin API of a running test server (it listens on 127.0.0.1 only)."""

    def __init__(self, server: RunningServer) -> None:
        config = (server.data_dir / "janus" / "janus.jcfg").read_text(encoding="utf-8")
        found = re.search(r'admin_secret = "([^"]+)"', config)
        assert found, "no admin_secret in the generated janus.jcfg"
        self._secret = found.group(1)
        self._url = f"ws://127.0.0.1:{server.env['VISIO_JANUS_ADMIN_PORT']}"
        self._ids = itertools.count()

    def _request(self, body: dict[str, Any]) -> dict[str, Any]:
        with connect(self._url, subprotocols=["janus-admin-protocol"]) as ws:  # type: ignore[list-item]
            transaction = f"t{next(self._ids)}"
            ws.send(json.dumps({**body, "transaction": transaction, "admin_secret": self._secret}))
            while True:
                reply: dict[str, Any] = json.loads(ws.recv(timeout=10))
                if reply.get("transaction") == transaction:
                    assert reply.get("janus") == "success", reply
                    return reply

    def subscribers(self) -> list[dict[str, Any]]:
        """The VideoRoom plugin's view of every subscriber handle (``plugin_specific``)."""
        found = []
        for session_id in self._request({"janus": "list_sessions"})["sessions"]:
            listed = self._request({"janus": "list_handles", "session_id": session_id})
            for handle_id in listed["handles"]:
                info = self._request(
                    {"janus": "handle_info", "session_id": session_id, "handle_id": handle_id}
                )["info"]
                specific = info.get("plugin_specific") or {}
                if specific.get("type") == "subscriber":
                    found.append(specific)
        return found
