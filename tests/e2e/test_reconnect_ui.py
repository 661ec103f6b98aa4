"""Losing the network in a meeting and getting it back: the banner, the recovery, what is kept."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, expect

from tests.e2e.browser import MEDIA_ARGS, Participants
from tests.e2e.network_cut import NetworkCut, unavailable_reason
from tests.support import RunningServer

# What the connection banner said, in order, as the page showed it (too quick to poll from here).
BANNER_LOG_JS = """
window.__visioBanners = [];
new MutationObserver(() => {
  const banner = document.querySelector('[data-testid="reconnecting"], [data-testid="reconnected"]');
  const state = banner ? (banner.dataset.state || banner.dataset.testid) : 'none';
  const log = window.__visioBanners;
  if (log[log.length - 1] !== state) log.push(state);
}).observe(document, {subtree: true, childList: true, attributes: true});
"""


class CuttableParticipants(Participants):
    """Participants, one of whom runs Chromium inside a `NetworkCut`."""

    def __init__(
        self, playwright: Playwright, tones: dict[str, Path], cut: NetworkCut, who: str
    ) -> None:
        super().__init__(playwright, tones)
        self._cut = cut
        self._who = who

    def launch(self, name: str, args: list[str] | None = None) -> Browser:
        if name != self._who:
            return super().launch(name, args)
        tone = self._tones[name.lower()]
        return self._playwright.chromium.launch(
            executable_path=str(self._cut.launcher),
            args=[*(args or MEDIA_ARGS), f"--use-file-for-fake-audio-capture={tone}"],
        )


@pytest.fixture
def cut(tmp_path: Path) -> Iterator[NetworkCut]:
    reason = unavailable_reason()
    if reason:
        pytest.fail(reason)
    with NetworkCut(tmp_path) as network:
        yield network


def test_network_cut_and_back_keeps_the_meeting_going(
    media_server: RunningServer, playwright: Playwright, tones: dict[str, Path], cut: NetworkCut
) -> None:
    """Bob's network goes silent: Alice and Carol see his video stop, he sees "Reconnecting…"; the
    session gives up on ICE and rejoins with its resume token; once the network is back he is
    the same participant (one tile each, no ghost), video and audio flow both ways again, his
    hand is still up, and the banner says "Reconnected", then goes."""
    crowd = CuttableParticipants(playwright, tones, cut, "Bob")
    try:
        slug = media_server.create_room()
        alice = crowd.join(media_server.url, slug, "Alice")
        bob = crowd.join(media_server.url, slug, "Bob", init_script=BANNER_LOG_JS)
        carol = crowd.join(media_server.url, slug, "Carol")
        assert cut.processes(), "Bob's Chromium is not in the cut's cgroup"
        people = (alice, bob, carol)
        for person in people:
            for other in people:
                if other is not person:
                    person.wait_video_flowing(other.participant_id)
        # The connection indicator: Alice's view of what she receives from Bob, and Bob's own sending.
        bob_quality = alice.page.locator(
            f'[data-testid="tile"][data-participant-id="{bob.participant_id}"] '
            '[data-testid="connection-quality"]'
        )
        expect(bob_quality).to_have_attribute("data-level", re.compile("good|fair"))
        expect(bob_quality).to_have_attribute(
            "aria-label", re.compile(r"^Connection: .*round trip")
        )
        own_quality = bob.page.locator(
            '[data-testid="tile"][data-local="true"] [data-testid="connection-quality"]'
        )
        expect(own_quality).to_have_attribute("aria-label", re.compile(r"^Your connection: "))
        toggle = bob.page.get_by_test_id("toggle-hand")
        toggle.click()
        expect(toggle).to_have_attribute("aria-pressed", "true")
        old_bob = bob.participant_id
        expect(
            alice.page.locator(f'[data-testid="tile"][data-participant-id="{old_bob}"]')
        ).to_have_attribute("data-hand", "up")

        # The cut holds until ICE restarts have failed and the session moves on to rejoining.
        with bob.page.expect_console_message(
            lambda message: "rejoining on a new socket" in message.text, timeout=90_000
        ):
            cut.cut()
            alice.wait_video_stopped(old_bob)
            carol.wait_video_stopped(old_bob)
            expect(bob.page.get_by_test_id("reconnecting")).to_be_visible()
            expect(bob_quality).to_have_attribute("data-level", "poor")
            expect(bob_quality).to_have_attribute("aria-label", re.compile("nothing received"))
            expect(own_quality).to_have_attribute("data-level", "poor")
            expect(own_quality).to_have_attribute(
                "aria-label", re.compile("no reply from the server")
            )

        cut.restore()
        expect(bob.page.get_by_test_id("reconnecting")).to_be_hidden(timeout=90_000)
        new_bob = bob.participant_id
        # His resume token brings him back as himself: the same participant, and no ghost of
        # his old connection in anyone's grid.
        assert new_bob == old_bob, "Bob should be back as the same participant"
        for person in (alice, carol):
            expect(
                person.page.locator(
                    f'[data-testid="tile"][data-participant-id="{new_bob}"][data-source="camera"]'
                )
            ).to_have_count(1)
            cameras = person.page.locator('[data-testid="tile"][data-source="camera"]')
            expect(cameras).to_have_count(3)
        for person in (alice, carol):
            person.wait_video_flowing(new_bob, timeout=60)
            person.wait_audio_tone(new_bob, 660.0, timeout=60)
        for other, tone in ((alice, 440.0), (carol, 990.0)):
            bob.wait_video_flowing(other.participant_id, timeout=60)
            bob.wait_audio_tone(other.participant_id, tone, timeout=60)

        # What he had is kept: his hand (kept by the server), his microphone and camera.
        expect(toggle).to_have_attribute("aria-pressed", "true")
        for person in (alice, carol):
            tile = person.page.locator(
                f'[data-testid="tile"][data-participant-id="{new_bob}"][data-source="camera"]'
            )
            expect(tile).to_have_attribute("data-hand", "up")
            expect(tile).to_have_attribute("data-audio", "on")
        expect(bob.page.get_by_test_id("reconnected")).to_be_hidden()
        banners = bob.page.evaluate("() => window.__visioBanners")
        assert "reconnecting" in banners and banners[-2:] == ["reconnected", "none"], banners
    finally:
        crowd.close()
