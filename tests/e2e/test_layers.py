"""Simulcast layer selection (issue 9): each viewer receives only the videos it shows, at the layer
that fits the tile; ``subscription.set`` reaches Janus, bad requests are refused."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import Participants
from tests.e2e.layers import JanusAdmin, wait_received
from tests.rooms.people import RoomSocket
from tests.support import RunningServer, start_server

HIDE_TILE_CSS = '[data-participant-id="{id}"][data-source="camera"] {{ display: none !important; }}'
"""Takes a tile out of the page as a layout that does not show someone would."""


@pytest.fixture(scope="module")
def layers_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A server where the third person to join a meeting arrives muted."""
    server = start_server(tmp_path_factory.mktemp("visio-layers"), room_muted_above="2")
    yield server
    server.stop()


def _janus_stream(admin: JanusAdmin, mid: str) -> dict[str, Any]:
    (subscriber,) = admin.subscribers()
    return next(s for s in subscriber["streams"] if s.get("mid") == mid)


def test_subscription_set_reaches_janus_and_refuses_bad_requests(
    layers_server: RunningServer, participants: Participants
) -> None:
    """Layers and off become Janus's substream and send for that stream; unknown, audio,
    duplicate or too many mids and unknown layers are refused, and nothing of them applied."""
    slug = layers_server.create_room()
    participants.join(layers_server.url, slug, "Alice")
    viewer = RoomSocket(layers_server, slug, "")
    try:
        assert viewer.join("Viewer")["type"] == "joined"
        offer = viewer.expect("subscriber.offer", timeout=60)
        video = next(s["mid"] for s in offer["streams"] if s["kind"] == "video")
        audio = next(s["mid"] for s in offer["streams"] if s["kind"] == "audio")
        admin = JanusAdmin(layers_server)
        started = _janus_stream(admin, video)
        assert started["send"] is True and started["simulcast"]["substream-target"] == 0

        viewer.send(type="subscription.set", id="up", streams=[{"mid": video, "layer": "high"}])
        state = viewer.expect("subscription.state", reply_to="up")
        assert state["streams"] == [{"mid": video, "layer": "high"}]
        assert _janus_stream(admin, video)["simulcast"]["substream-target"] == 2

        viewer.send(type="subscription.set", id="off", streams=[{"mid": video, "layer": "off"}])
        assert viewer.expect("subscription.state", reply_to="off")["streams"][0]["layer"] == "off"
        assert _janus_stream(admin, video)["send"] is False

        refused = {
            "unknown mid": [{"mid": "zz9", "layer": "low"}],
            "audio mid": [{"mid": audio, "layer": "low"}],
            "unknown layer": [{"mid": video, "layer": "ultra"}],
            "twice the same mid": [{"mid": video, "layer": "low"}] * 2,
            "no stream": [],
            "too many": [{"mid": f"m{i}", "layer": "low"} for i in range(257)],
            "a good one with a bad one": [
                {"mid": video, "layer": "medium"},
                {"mid": "zz9", "layer": "low"},
            ],
        }
        for case, streams in refused.items():
            viewer.send(type="subscription.set", id=case, streams=streams)
            error = viewer.expect("error", reply_to=case)
            assert error["code"] == "invalid_message", (case, error)
        assert "audio" in _error_for(viewer, audio)
        assert _janus_stream(admin, video)["send"] is False  # nothing of the refusals applied
    finally:
        viewer.close()


def _error_for(viewer: RoomSocket, audio_mid: str) -> str:
    viewer.send(type="subscription.set", id="audio", streams=[{"mid": audio_mid, "layer": "off"}])
    return str(viewer.expect("error", reply_to="audio")["message"])


SMALL_TILES = {"width": 820, "height": 460}
"""A window where the grid shows all three cameras on one page, each under 320 px wide."""


def test_small_tile_receives_low_layer_large_tile_high_and_hidden_tile_nothing(
    layers_server: RunningServer, participants: Participants
) -> None:
    """A viewer's small tiles get the low layer; made large, the higher layer arrives; a video
    without a tile brings no bytes; the third person in arrives muted and is told why."""
    slug = layers_server.create_room()
    alice = participants.join(layers_server.url, slug, "Alice")
    bob = participants.join(layers_server.url, slug, "Bob")
    viewer = participants.join(layers_server.url, slug, "Viewer", camera=False)
    expect(viewer.page.get_by_test_id("start-muted-notice")).to_be_visible()
    expect(viewer.page.get_by_test_id("toggle-mic")).to_have_attribute("aria-pressed", "false")
    ids = {"alice": alice.participant_id, "bob": bob.participant_id}
    viewer.page.set_viewport_size(SMALL_TILES)
    for person_id in ids.values():
        viewer.wait_video_flowing(person_id)

    # The tiles shrink after the resize and the layer follows them: wait for it (a busy machine
    # can still show the first, larger frames for a second or two) rather than read it once.
    small = wait_received(
        viewer,
        lambda r: all(
            r.get((i, "camera"), {}).get("rate", 0) > 0
            and 0 < r[(i, "camera")].get("width", 0) <= 320
            for i in ids.values()
        ),
        "the low layer from Alice and Bob",
    )
    low_width = small[(ids["alice"], "camera")]["width"]
    assert 0 < low_width <= 320, small

    viewer.page.add_style_tag(content=HIDE_TILE_CSS.format(id=ids["bob"]))
    viewer.page.set_viewport_size({"width": 1600, "height": 1000})
    large = wait_received(
        viewer,
        lambda r: (
            r[(ids["alice"], "camera")]["width"] > low_width
            and r[(ids["bob"], "camera")]["rate"] == 0
        ),
        "a higher layer from Alice and nothing from Bob (no tile)",
    )
    assert large[(ids["alice"], "camera")]["rate"] > 0

    viewer.page.set_viewport_size(SMALL_TILES)
    wait_received(
        viewer,
        lambda r: 0 < r[(ids["alice"], "camera")]["width"] <= low_width,
        "the low layer again once the tile is small",
    )
