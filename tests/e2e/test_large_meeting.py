"""A large meeting (issue 9): as many camera publishers as this machine holds, and one viewer who
receives only the videos it shows, at the layer its tiles need, and no video while hidden; and a
30-person meeting (GStreamer publishers) where the viewer receives a grid's worth of video and
the audio of the recent speakers only."""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Playwright

from tests.e2e.large_meeting import (
    GstPublishers,
    Publishers,
    flowing,
    heard_after,
    open_viewer,
)
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
SHOWN_CAMERAS_JS = """() => [...document.querySelectorAll('[data-local="false"][data-source="camera"]')]
  .filter(tile => tile.offsetParent !== null).map(tile => tile.dataset.participantId)"""
BOTS = 29
"""With the viewer, 30 people: GStreamer publishers (a browser each would not fit 2 cores)."""
GRID_KBPS = 6 * 300
"""What a 6-tile grid needs: six medium camera layers (the web app's budget, issue 9)."""
MAX_PAGE_TILES = 9
"""A grid page holds at most 9 tiles (web/src/ui/layouts.ts)."""
SPEAKERS_HEARD = 4
"""VISIO_AUDIO_SELECTION_SPEAKERS, its default: the recent speakers everyone keeps hearing."""
PAGE_HIDDEN_JS = """() => {
  Object.defineProperty(document, 'visibilityState', {value: 'hidden', configurable: true});
  document.dispatchEvent(new Event('visibilitychange'));
}"""


@pytest.fixture
def crowd(tmp_path: Path) -> Iterator[GstPublishers]:
    publishers = GstPublishers(tmp_path)
    yield publishers
    publishers.close()


@pytest.fixture
def publishers(playwright: Playwright, tones: dict[str, Path]) -> Iterator[Publishers]:
    # Everyone speaks (a steady tone): past VISIO_AUDIO_SELECTION_ABOVE microphones, only
    # speakers are heard, and the viewer must still hear someone while its page is hidden.
    crowd = Publishers(playwright, microphone=tones["alice"])
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


SPEAKING_JS = "() => window.visio.session?.speaking ?? []"


@pytest.mark.timeout(300)
def test_thirty_person_meeting_viewer_receives_a_grid_of_videos_and_the_recent_speakers_audio(
    media_server: RunningServer, playwright: Playwright, crowd: GstPublishers
) -> None:
    """30 people (29 publishers without a browser): every join is answered; the viewer
    receives video only for the tiles its grid page shows, within what a 6-tile grid needs,
    and audio only from whoever spoke lately (none before anyone speaks, then the last 4
    speakers), each new speaker's audio reaching it once Janus hears them and the viewer's page
    told who speaks."""
    slug = media_server.create_room()
    crowd.add(media_server.ws_base, slug, BOTS)
    assert not [b.errors for b in crowd.bots if b.errors]
    opened = time.monotonic()
    viewer = open_viewer(
        playwright,
        f"{media_server.url}/{slug}",
        layers=True,
        viewport={"width": 900, "height": 600},
    )
    try:
        wait_until(lambda: flowing(viewer, 1.0).video, timeout=60, message="no video arrives")
        first_video = time.monotonic() - opened
        last: dict[str, Any] = {}

        def grid_only() -> bool:
            last["shown"] = set(viewer.page.evaluate(SHOWN_CAMERAS_JS))
            last["received"] = received = flowing(viewer)
            return 0 < len(last["shown"]) < MAX_PAGE_TILES and received.video == last["shown"]

        wait_until(
            grid_only,
            timeout=60,
            message=lambda: f"the viewer should receive the videos its grid shows: {last}",
        )
        received = last["received"]
        assert received.video_kbps <= GRID_KBPS, received
        assert received.audio == set(), "nobody spoke yet, yet audio flows"

        delays = []
        speakers = crowd.bots[: SPEAKERS_HEARD + 1]
        for bot in speakers:
            delays.append(heard_after(viewer, crowd, bot))
            # Heard at once, but a turn only once Janus has heard them a moment (a cough is not
            # one): they speak on until the room says so.
            wait_until(
                lambda bot=bot: bot.id in viewer.page.evaluate(SPEAKING_JS),
                timeout=20,
                message=f"{bot.name} spoke, yet the viewer was never told",
            )
            crowd.talk(bot, False)
        recent = {bot.id for bot in speakers[-SPEAKERS_HEARD:]}
        wait_until(
            lambda: flowing(viewer).audio == recent,
            timeout=30,
            message="the viewer should hear the last 4 speakers only, not the first",
        )
        figures = crowd.join_figures()
        print(
            f"\n30-person meeting: bot join median {figures['join_median']:.3f} s "
            f"(max {figures['join_max']:.3f}), publish median {figures['publish_median']:.3f} s "
            f"(max {figures['publish_max']:.3f}); viewer's first video {first_video:.2f} s after "
            f"opening the page; videos received {len(received.video)} "
            f"({received.video_kbps:.0f} kbit/s); speaker switch delays "
            f"{', '.join(f'{d * 1000:.0f}' for d in delays)} ms "
            f"(median {statistics.median(delays) * 1000:.0f} ms)"
        )
        assert figures["join_max"] < 10, figures
    finally:
        viewer.browser.close()
