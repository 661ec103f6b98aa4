"""A large meeting (issue 9): as many camera publishers as this machine holds, and one viewer who
receives only the videos it shows, at the layer its tiles need, and no video while hidden."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Playwright

from tests.e2e.large_meeting import Publishers, open_viewer
from tests.e2e.layers import wait_received
from tests.support import RunningServer, wait_until

PUBLISHERS = 7
"""With the viewer, 8 people: what this shared 2-core machine holds with every camera on (each
publisher encodes three simulcast layers of 1280x720); with 11 the ninth publisher's page did not
load within a minute while other work ran."""
HIDDEN = 3
"""Tiles the viewer's page does not show (as a layout with fewer tiles than people would)."""

HIDE_JS = """(ids) => {
  const style = document.createElement('style');
  style.textContent = ids.map(id => `[data-participant-id="${id}"][data-source="camera"]`).join(', ')
    + ' { display: none !important; }';
  document.head.append(style);
}"""
PAGE_HIDDEN_JS = """() => {
  Object.defineProperty(document, 'visibilityState', {value: 'hidden', configurable: true});
  document.dispatchEvent(new Event('visibilitychange'));
}"""


@pytest.fixture
def publishers(playwright: Playwright) -> Iterator[Publishers]:
    crowd = Publishers(playwright)
    yield crowd
    crowd.close()


@pytest.mark.timeout(900)
def test_large_meeting_viewer_receives_only_shown_videos_at_low_layer(
    media_server: RunningServer, playwright: Playwright, publishers: Publishers
) -> None:
    """8 people: the viewer gets the 4 videos it shows at the low layer and nothing of the 3 it
    does not; with the page hidden, no video at all but still the audio."""
    url = f"{media_server.url}/{media_server.create_room()}"
    publishers.add(url, PUBLISHERS)
    viewer = open_viewer(playwright, url, layers=True, viewport={"width": 800, "height": 600})
    try:
        ids = publishers.ids
        hidden, shown = ids[:HIDDEN], ids[HIDDEN:]
        viewer.page.evaluate(HIDE_JS, hidden)

        def only_shown_at_low(received: dict[tuple[str, str], dict[str, Any]]) -> bool:
            def rate(pid: str) -> float:
                return float(received.get((pid, "camera"), {}).get("rate", 0))

            def width(pid: str) -> int:
                return int(received.get((pid, "camera"), {}).get("width", 0))

            # A camera under CPU pressure sends smaller layers (960 or 640 px wide): the low
            # layer is then 240 or 160 px, the medium one 480 or 320; 320 is the most low gets.
            return all(rate(pid) == 0 for pid in hidden) and all(
                rate(pid) > 0 and 0 < width(pid) <= 320 for pid in shown
            )

        wait_received(
            viewer,
            only_shown_at_low,
            "the shown videos at the low layer and none of the hidden",
            120,
        )

        viewer.page.evaluate(PAGE_HIDDEN_JS)
        wait_received(
            viewer,
            lambda r: all(r.get((pid, "camera"), {}).get("rate", 0) == 0 for pid in ids),
            "no video at all while the page is hidden",
        )
        samples = viewer.inbound_totals()["samples"]
        wait_until(
            lambda: viewer.inbound_totals()["samples"] > samples,
            timeout=30,
            message="the audio should still come while the page is hidden",
        )
    finally:
        viewer.browser.close()
