"""Reactions, keyboard shortcuts and join/leave notices in the browser, between two participants."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.browser import Participant, Participants, screenshot
from tests.support import RunningServer


def blur(person: Participant) -> None:
    """Nothing focused: keys go to the page (as after clicking the video)."""
    person.page.evaluate(
        "() => document.activeElement instanceof HTMLElement && document.activeElement.blur()"
    )


def test_reaction_floats_over_the_sender_tile_and_is_announced(
    media_server: RunningServer, participants: Participants
) -> None:
    """Alice claps from the reactions menu: Bob sees 👏 over Alice's tile, hears it announced, and it
    goes after about 3 s; Alice sees it over her own tile. Alice saw Bob join (notice and sound)."""
    slug = media_server.create_room()
    alice, bob = participants.meeting(media_server.url, slug, "Alice", "Bob")
    alice_id = alice.participant_id

    notices = alice.page.get_by_test_id("presence-notices")
    expect(notices.get_by_test_id("presence-notice")).to_have_text("Bob joined the meeting")
    assert int(notices.get_attribute("data-sounds") or "0") >= 1  # 2 people: a sound played

    alice.page.get_by_test_id("reactions").click()
    menu_item = alice.page.get_by_test_id("react-clap")
    expect(menu_item).to_have_accessible_name("applause")
    menu_item.click()

    on_alice_for_bob = bob.page.locator(
        f'[data-testid="tile"][data-participant-id="{alice_id}"][data-source="camera"]'
        ' [data-testid="tile-reaction"]'
    )
    expect(on_alice_for_bob).to_have_attribute("data-reaction", "clap")
    expect(on_alice_for_bob).to_have_text("👏")
    expect(bob.page.get_by_test_id("announcements")).to_have_text("Alice reacted: applause")
    own = alice.page.locator(
        '[data-testid="tile"][data-local="true"] [data-testid="tile-reaction"]'
    )
    expect(own).to_have_attribute("data-reaction", "clap")
    screenshot(bob.page, "reaction.png", animations="disabled")

    # It goes by itself (3 s on screen).
    expect(on_alice_for_bob).to_have_count(0, timeout=15_000)
    expect(own).to_have_count(0, timeout=15_000)


def test_a_burst_of_reactions_is_limited_and_announced_once(
    media_server: RunningServer, participants: Participants
) -> None:
    """Ten reactions at once from Bob: Alice sees at most a few at a time over his tile and one
    announcement; Bob is told to slow down and stays in the meeting."""
    slug = media_server.create_room()
    alice, bob = participants.meeting(media_server.url, slug, "Alice", "Bob")
    sent = bob.page.evaluate(
        "() => Array.from({length: 10}, () => window.visio.session.react('party')).filter(Boolean).length"
    )
    assert sent == 10
    expect(bob.page.locator(".toast", has_text="Too many reactions")).to_be_visible()
    floating = alice.page.locator(
        f'[data-testid="tile"][data-participant-id="{bob.participant_id}"] [data-testid="tile-reaction"]'
    )
    expect(floating.first).to_be_visible()
    assert floating.count() <= 4
    expect(alice.page.get_by_test_id("announcements")).to_have_text("Bob reacted: celebration")
    assert bob.page.evaluate("() => window.visio.session.react('heart')") is True


def test_shortcuts_toggle_what_the_other_participant_sees(
    media_server: RunningServer, participants: Participants
) -> None:
    """Bob presses M, H and holds Space: Alice sees his microphone off, his hand up, and his
    microphone on only while Space is held. ? opens the help dialog, Escape closes it."""
    slug = media_server.create_room()
    alice, bob = participants.meeting(media_server.url, slug, "Alice", "Bob")
    bob_tile = alice.page.locator(
        f'[data-testid="tile"][data-participant-id="{bob.participant_id}"][data-source="camera"]'
    )
    expect(bob_tile).to_have_attribute("data-audio", "on")
    blur(bob)

    bob.page.keyboard.press("m")
    expect(bob.page.get_by_test_id("toggle-mic")).to_have_attribute("aria-pressed", "false")
    expect(bob_tile).to_have_attribute("data-audio", "off")

    bob.page.keyboard.press("h")
    expect(bob_tile).to_have_attribute("data-hand", "up")
    bob.page.keyboard.press("H")
    expect(bob_tile).to_have_attribute("data-hand", "down")

    # Push-to-talk: held Space opens the microphone, releasing it mutes again.
    bob.page.keyboard.down("Space")
    expect(bob.page.get_by_test_id("push-to-talk")).to_be_visible()
    expect(bob_tile).to_have_attribute("data-audio", "on")
    bob.page.keyboard.up("Space")
    expect(bob.page.get_by_test_id("push-to-talk")).to_have_count(0)
    expect(bob_tile).to_have_attribute("data-audio", "off")

    # With a modifier, M is the browser's, not ours.
    bob.page.keyboard.press("Control+m")
    bob.page.keyboard.press("v")
    expect(bob_tile).to_have_attribute("data-video", "off")
    expect(bob.page.get_by_test_id("toggle-mic")).to_have_attribute("aria-pressed", "false")

    bob.page.keyboard.press("?")
    dialog = bob.page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    # M V H C L ? and Space.
    expect(dialog.get_by_test_id("shortcut")).to_have_count(7)
    for action in ("chat", "layout"):
        expect(dialog.locator(f'[data-testid="shortcut"][data-action="{action}"]')).to_have_count(1)
    # Keys inside the dialog are not shortcuts.
    bob.page.keyboard.press("m")
    expect(bob.page.get_by_test_id("toggle-mic")).to_have_attribute("aria-pressed", "false")
    screenshot(bob.page, "shortcuts.png")
    bob.page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)

    # The same list from the controls' menu.
    bob.page.get_by_test_id("more-options").click()
    bob.page.get_by_test_id("open-shortcuts").click()
    expect(bob.page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
    bob.page.get_by_test_id("shortcuts-dialog-close").click()
    expect(bob.page.get_by_test_id("shortcuts-dialog")).to_have_count(0)

    # C opens the chat, L moves to the next layout.
    bob.page.locator("body").focus()
    bob.page.keyboard.press("c")
    expect(bob.page.get_by_test_id("toggle-chat")).to_have_attribute("aria-pressed", "true")
    bob.page.get_by_test_id("toggle-chat").click()
    expect(bob.page.get_by_test_id("toggle-chat")).to_have_attribute("aria-pressed", "false")
    layout = bob.page.get_by_test_id("layout-menu")
    before = layout.get_attribute("aria-label")
    bob.page.locator("body").focus()
    bob.page.keyboard.press("l")
    expect(layout).not_to_have_attribute("aria-label", before or "")
