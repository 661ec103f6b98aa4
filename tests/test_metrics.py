"""Prometheus metrics an operator scrapes."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from websockets.sync.client import connect

from tests.support import RunningServer, start_server


def metric(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} not in metrics")


def test_metrics_count_rooms_participants_and_errors(server: RunningServer) -> None:
    """/metrics shows the live participant, the join and the protocol error it caused."""
    slug = server.create_room()
    with connect(f"{server.ws_base}/api/v1/rooms/{slug}/ws") as ws:
        ws.send("not json")
        ws.recv(timeout=5)
        ws.send(
            json.dumps({"type": "join", "version": 1, "name": "A", "audio": True, "video": True})
        )
        ws.recv(timeout=5)
        text = httpx.get(f"{server.url}/metrics").text
        assert metric(text, "visio_participants") == 1
        assert metric(text, "visio_rooms_live") == 1
        assert metric(text, "visio_joins_total") == 1
        assert metric(text, 'visio_protocol_errors_total{code="invalid_json"}') == 1
        assert metric(text, "visio_media_engine_up") == 1


def test_metrics_can_require_a_token(tmp_path: Path) -> None:
    """With VISIO_METRICS_TOKEN set, /metrics answers 401 without the bearer token."""
    server = start_server(tmp_path / "visio", metrics_token="scrape-me")
    try:
        assert httpx.get(f"{server.url}/metrics").status_code == 401
        ok = httpx.get(f"{server.url}/metrics", headers={"Authorization": "Bearer scrape-me"})
        assert ok.status_code == 200 and "visio_rooms_live" in ok.text
    finally:
        server.stop()
