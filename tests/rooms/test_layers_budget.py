"""The server's cap on how much camera video one participant may ask to receive."""

from __future__ import annotations

import pytest

from visio.media.janus.subscriber import StreamConfiguration
from visio.rooms.layers import ReceivedLayers, ReceivedVideo, check_budget
from visio.rooms.protocol import Layer, ProtocolError


def _received(layers: list[Layer], screens: int = 0) -> ReceivedLayers:
    videos = {
        str(i): ReceivedVideo((i + 1, "v"), "camera", layer) for i, layer in enumerate(layers)
    }
    for j in range(screens):
        videos[f"s{j}"] = ReceivedVideo((100 + j, "s"), "screen", "high")
    return ReceivedLayers(videos=videos)


def _change(mid: str, layer: Layer) -> tuple[str, Layer, StreamConfiguration]:
    return (mid, layer, StreamConfiguration(mid, layer != "off", None))


def test_a_request_within_the_budget_passes() -> None:
    received = _received(["low"] * 6)
    check_budget(received, [_change(str(i), "medium") for i in range(6)], 2700)
    # Two large tiles and four small ones: 2 x 900 + 4 x 100.
    check_budget(received, [_change("0", "high"), _change("1", "high")], 2700)


def test_every_camera_at_high_in_a_large_meeting_is_refused() -> None:
    received = _received(["low"] * 30)
    with pytest.raises(ProtocolError) as refused:
        check_budget(received, [_change(str(i), "high") for i in range(30)], 2700)
    assert refused.value.error.code == "invalid_message"
    assert "27000 kbit/s" in refused.value.error.message


def test_lowering_is_allowed_even_above_the_budget() -> None:
    """Thirty cameras start at low (3000 kbit/s): turning some off, or lowering, never fails."""
    received = _received(["low"] * 30)
    check_budget(received, [_change(str(i), "off") for i in range(5)], 2700)
    check_budget(received, [_change("0", "low")], 2700)


def test_raising_while_above_the_budget_is_refused() -> None:
    received = _received(["low"] * 30)
    with pytest.raises(ProtocolError):
        check_budget(received, [_change("0", "medium")], 2700)


def test_screen_shares_do_not_count() -> None:
    """A shared screen is not simulcast and is what people want to read: it is never capped."""
    received = _received(["low"] * 3, screens=2)
    check_budget(received, [_change("0", "high"), _change("1", "high"), _change("2", "high")], 2700)
