"""Raise hand in the browser: seen by everyone, lowered by a moderator."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.browser import Participants
from tests.e2e.test_moderation_ui import moderate, open_participants
from tests.support import RunningServer


def assert_controls_fit(page: Page) -> None:
    """Every button of the controls bar lies inside the viewport."""
    overflow = page.evaluate(
        """() => {
            const width = document.documentElement.clientWidth;
            return [...document.querySelectorAll('.controls button')]
                .map((b) => b.getBoundingClientRect())
                .filter((r) => r.left < 0 || r.right > width).length;
        }"""
    )
    assert overflow == 0, f"{overflow} control(s) outside a {page.viewport_size} viewport"


def test_raised_hand_is_seen_first_and_a_moderator_lowers_it(
    media_server: RunningServer, participants: Participants
) -> None:
    """Bob raises his hand: Alice (moderator) sees it on his tile, hears it announced and finds him
    first in her list; she lowers it from his menu: Bob's toggle and notice say so, his tile too."""
    slug = media_server.create_room()
    alice, bob = participants.meeting(media_server.url, slug, "Alice", "Bob")
    bob_id = bob.participant_id
    bob_tile = alice.page.locator(
        f'[data-testid="tile"][data-participant-id="{bob_id}"][data-source="camera"]'
    )
    toggle = bob.page.get_by_test_id("toggle-hand")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    expect(bob_tile).to_have_attribute("data-hand", "down")

    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    expect(bob.page.locator('[data-testid="tile"][data-local="true"]')).to_have_attribute(
        "data-hand", "up"
    )
    expect(bob_tile).to_have_attribute("data-hand", "up")
    expect(alice.page.get_by_test_id("announcements")).to_have_text("Bob raised their hand")

    open_participants(alice)
    people = alice.page.get_by_test_id("participants-list").locator("li")
    expect(people.first).to_have_attribute("data-participant-id", bob_id)
    expect(people.first).to_have_attribute("data-hand", "up")

    moderate(alice, bob_id, "moderate-lower-hand")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    expect(bob.page.get_by_test_id("moderated-notice")).to_have_attribute(
        "data-action", "lower_hand"
    )
    expect(bob_tile).to_have_attribute("data-hand", "down")
    expect(people.last).to_have_attribute("data-participant-id", bob_id)
    row = alice.page.locator(f'li[data-participant-id="{bob_id}"]')
    row.get_by_test_id("moderate-menu").click()
    expect(row.get_by_test_id("moderate-lower-hand")).to_have_count(0)
    alice.page.keyboard.press("Escape")

    # Raising it again takes the notice away.
    toggle.click()
    expect(bob.page.get_by_test_id("moderated-notice")).to_have_count(0)
    expect(bob_tile).to_have_attribute("data-hand", "up")

    for person in (alice, bob):
        person.page.set_viewport_size({"width": 360, "height": 740})
        expect(person.page.get_by_test_id("toggle-hand")).to_be_visible()
        assert_controls_fit(person.page)
