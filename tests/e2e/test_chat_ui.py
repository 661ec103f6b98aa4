"""The chat in the browser: messages, unread counter, history for late joiners, text shown as
text, links, the rate limit, a moderator's deletion, and the panel at phone width."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

from tests.e2e.browser import Participant, Participants, screenshot
from tests.e2e.test_hand_ui import assert_controls_fit
from tests.support import RunningServer

MARKUP = ["<img src=x onerror=alert(1)>", "<b>x</b>"]
LINK = "https://example.org/docs?a=1&b=2"


def open_chat(person: Participant) -> Locator:
    toggle = person.page.get_by_test_id("toggle-chat")
    if toggle.get_attribute("aria-pressed") != "true":
        toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    return person.page.get_by_test_id("chat-panel")


def send(person: Participant, text: str) -> None:
    """Type a message (Shift+Enter for each new line) and press Enter."""
    box = person.page.get_by_test_id("chat-input")
    first, *more = text.split("\n")
    box.fill(first)
    for line in more:
        box.press("Shift+Enter")
        box.press_sequentially(line)
    box.press("Enter")
    expect(box).to_have_value("")


def texts(person: Participant) -> Locator:
    return person.page.get_by_test_id("chat-log").get_by_test_id("chat-message-text")


def record_dialogs(page: Page) -> list[str]:
    """Alerts the page opens (an injected script would)."""
    seen: list[str] = []
    page.on("dialog", lambda dialog: (seen.append(dialog.message), dialog.dismiss()))
    return seen


def test_chat_between_participants_with_history_markup_links_and_deletion(
    media_server: RunningServer, participants: Participants
) -> None:
    """Alice writes while Bob's chat is closed: his counter counts, he is told who wrote. Markup
    shows literally and creates no element, a link is a safe anchor, Shift+Enter makes a new
    line, Carol arriving late reads everything, sending too fast says so, and Alice (the
    moderator) deletes a message for everyone after confirming."""
    slug = media_server.create_room()
    alice, bob = participants.meeting(media_server.url, slug, "Alice", "Bob")
    dialogs = record_dialogs(bob.page)
    expect(bob.page.get_by_test_id("chat-unread")).to_have_count(0)

    open_chat(alice)
    expect(alice.page.get_by_test_id("chat-input")).to_be_focused()
    send(alice, "Bonjour Bob")
    expect(bob.page.get_by_test_id("chat-unread")).to_have_attribute("data-count", "1")
    expect(bob.page.get_by_test_id("announcements")).to_have_text("New message from Alice")
    expect(bob.page.get_by_test_id("chat-toast")).to_contain_text("New message from Alice")
    for text in [*MARKUP, f"Read {LINK}."]:
        send(alice, text)
    expect(bob.page.get_by_test_id("chat-unread")).to_have_attribute("data-count", "4")
    expect(bob.page.get_by_test_id("toggle-chat")).to_have_attribute(
        "aria-label", "Chat, 4 unread messages"
    )

    open_chat(bob)
    expect(bob.page.get_by_test_id("chat-unread")).to_have_count(0)
    expect(bob.page.get_by_test_id("chat-toast")).to_have_count(0)
    expect(texts(bob)).to_have_text(["Bonjour Bob", *MARKUP, f"Read {LINK}."])
    log = bob.page.get_by_test_id("chat-log")
    expect(log.locator("img, b, script")).to_have_count(0)
    link = log.get_by_role("link", name=LINK)
    expect(link).to_have_attribute("href", LINK)
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    expect(log.locator("a")).to_have_count(1)
    first = log.get_by_test_id("chat-message").first
    expect(first).to_contain_text("Alice")
    expect(first.locator("time")).to_have_attribute("datetime", re.compile(r"^\d{4}-\d\d-\d\dT"))
    expect(first.locator("time")).to_have_text(re.compile(r"^\d{1,2}:\d\d"))
    expect(bob.page.get_by_test_id("chat-delete")).to_have_count(0)  # Bob does not moderate.

    send(bob, "line one\nline two")
    expect(texts(alice).last).to_have_text("line one\nline two")
    expect(alice.page.get_by_test_id("chat-unread")).to_have_count(0)  # Alice's panel is open.

    carol = participants.join(media_server.url, slug, "Carol")
    open_chat(carol)
    expect(texts(carol)).to_have_text(
        ["Bonjour Bob", *MARKUP, f"Read {LINK}.", "line one\nline two"]
    )

    # Six at once: the chat allows five; the sixth is refused, said so, and its text kept.
    carol.page.evaluate(
        "() => { for (let n = 1; n <= 6; n++) window.visio.session.sendChat(`quick ${n}`); }"
    )
    expect(carol.page.get_by_test_id("chat-error")).to_have_text(
        "You are sending messages too fast. Wait a few seconds, then send again."
    )
    expect(carol.page.get_by_test_id("chat-input")).to_have_value("quick 6")
    expect(texts(bob).filter(has_text="quick")).to_have_count(5)

    # Alice deletes "<b>x</b>" after confirming: it goes for everyone.
    target = alice.page.get_by_test_id("chat-message").filter(has_text=MARKUP[1])
    target.get_by_test_id("chat-delete").click()
    dialog = alice.page.get_by_test_id("confirm-dialog")
    expect(dialog).to_contain_text("Delete this message?")
    dialog.get_by_test_id("confirm").click()
    for person in (alice, bob, carol):
        expect(texts(person).filter(has_text=MARKUP[1])).to_have_count(0)
        expect(texts(person).filter(has_text=MARKUP[0])).to_have_count(1)
    assert dialogs == []

    # The moderator's view (with the delete actions), on a desktop and on a phone.
    alice.page.set_viewport_size({"width": 1280, "height": 800})
    screenshot(alice.page, "chat.png")
    for person in (alice, bob):
        person.page.set_viewport_size({"width": 390, "height": 844})
        assert_controls_fit(person.page)
        expect(person.page.get_by_test_id("chat-input")).to_be_in_viewport()
        expect(person.page.get_by_test_id("chat-send")).to_be_in_viewport()
    alice.page.get_by_test_id("chat-input").fill("On my way 🚲")
    screenshot(alice.page, "chat-phone.png")
    alice.page.set_viewport_size({"width": 360, "height": 740})
    assert_controls_fit(alice.page)
