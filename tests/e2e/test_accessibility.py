"""Accessibility: every control has a name, the meeting works from the keyboard, in both languages."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.browser import Participants
from tests.support import RunningServer

UNNAMED_CONTROLS_JS = """() => {
  const nameOf = (el) => {
    const label = el.getAttribute('aria-label');
    if (label && label.trim()) return label.trim();
    const by = el.getAttribute('aria-labelledby');
    if (by) return by.split(/\\s+/).map(id => document.getElementById(id)?.textContent ?? '').join(' ').trim();
    if (el.id) { const l = document.querySelector(`label[for="${el.id}"]`); if (l && l.textContent.trim()) return l.textContent.trim(); }
    const wrapping = el.closest('label');
    if (wrapping && wrapping.textContent.trim()) return wrapping.textContent.trim();
    return (el.textContent || el.getAttribute('title') || el.getAttribute('placeholder') || '').trim();
  };
  return [...document.querySelectorAll('button, a[href], input, select, textarea, [role="button"]')]
    .filter(el => el.offsetParent !== null && el.type !== 'hidden')
    .filter(el => !nameOf(el))
    .map(el => el.outerHTML.slice(0, 120));
}"""


def assert_all_controls_named(page: Page) -> None:
    assert page.evaluate(UNNAMED_CONTROLS_JS) == []


def test_every_control_has_an_accessible_name(
    media_server: RunningServer, participants: Participants
) -> None:
    """Home, pre-join and meeting: no button, link or field without an accessible name."""
    person = participants.open(media_server.url + "/", "Alice")
    assert_all_controls_named(person.page)
    slug = media_server.create_room()
    person.page.goto(f"{media_server.url}/{slug}")
    expect(person.page.get_by_test_id("join")).to_be_visible()
    assert_all_controls_named(person.page)
    person.page.get_by_test_id("name-input").fill("Alice")
    person.page.get_by_test_id("join").click()
    expect(person.page.get_by_test_id("toggle-mic")).to_be_visible()
    person.page.get_by_test_id("toggle-participants").click()
    assert_all_controls_named(person.page)


def test_join_and_mute_with_the_keyboard_only(
    media_server: RunningServer, participants: Participants
) -> None:
    """Tab to the name field, type, Enter to join; Tab to the microphone and Space mutes it."""
    slug = media_server.create_room()
    person = participants.open(f"{media_server.url}/{slug}", "Alice")
    page = person.page
    expect(page.get_by_test_id("join")).to_be_visible()
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement?.dataset.testid") == "name-input":
            break
    else:
        raise AssertionError("the name field cannot be reached with Tab")
    page.keyboard.press("Control+A")
    page.keyboard.type("Keyboard User")
    page.keyboard.press("Enter")
    mic = page.get_by_test_id("toggle-mic")
    expect(mic).to_have_attribute("aria-pressed", "true")
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement?.dataset.testid") == "toggle-mic":
            break
    else:
        raise AssertionError("the microphone button cannot be reached with Tab")
    page.keyboard.press("Space")
    expect(mic).to_have_attribute("aria-pressed", "false")


def test_language_switch_changes_strings_and_html_lang(
    media_server: RunningServer, participants: Participants
) -> None:
    """The language switch flips the page between English and French, html[lang] included."""
    person = participants.open(media_server.url + "/", "Alice")
    page = person.page
    before = page.evaluate("() => document.documentElement.lang")
    button_text = page.get_by_test_id("new-meeting").inner_text()
    page.get_by_role(
        "button", name="Passer en français" if before == "en" else "Switch to English"
    ).click()
    after = page.evaluate("() => document.documentElement.lang")
    assert {before, after} == {"en", "fr"}
    assert page.get_by_test_id("new-meeting").inner_text() != button_text
    page.reload()
    assert page.evaluate("() => document.documentElement.lang") == after, "the choice is remembered"
