"""axe-core (npm `axe-core`, the engine `@axe-core/playwright` injects) on every page a person
meets: home, pre-join, the lobby on both sides, and the meeting with each panel and dialog open,
at desktop and phone width. No serious or critical violation is allowed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browser import ACTION_TIMEOUT_MS, Participant, Participants
from tests.support import RunningServer

AXE_SCRIPT = Path(__file__).resolve().parents[2] / "web/node_modules/axe-core/axe.min.js"

AXE_RUN_JS = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations
    .filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 4).map(n => n.target.join(' ') + ' :: ' + n.failureSummary + ' :: ' + n.html)}));
}"""

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


def open_page(
    participants: Participants, url: str, name: str, viewport: dict[str, int]
) -> Participant:
    """A Chromium whose context lets the test inject axe despite Visio's CSP."""
    browser = participants.launch(name)
    context = browser.new_context(viewport=viewport, bypass_csp=True)  # type: ignore[arg-type]
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    page = context.new_page()
    page.goto(url)
    person = Participant(name, browser, page)
    participants.people.append(person)
    return person


def axe_violations(page: Page) -> list[dict[str, Any]]:
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_SCRIPT))
    return list(page.evaluate(AXE_RUN_JS))


def check(page: Page, where: str, found: dict[str, list[dict[str, Any]]]) -> None:
    violations = axe_violations(page)
    if violations:
        found[where] = violations


def join(person: Participant, name: str) -> None:
    person.page.get_by_test_id("name-input").fill(name)
    person.page.get_by_test_id("join").click()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_axe_finds_no_serious_violation(
    media_server: RunningServer, participants: Participants, viewport: dict[str, int]
) -> None:
    found: dict[str, list[dict[str, Any]]] = {}
    alice = open_page(participants, media_server.url + "/", "Alice", viewport)
    page = alice.page
    expect(page.get_by_test_id("new-meeting")).to_be_visible()
    check(page, "home", found)

    slug = media_server.create_room()
    page.goto(f"{media_server.url}/{slug}")
    expect(page.get_by_test_id("join")).to_be_visible()
    check(page, "pre-join", found)

    join(alice, "Alice")
    expect(page.get_by_test_id("toggle-mic")).to_be_visible()
    check(page, "meeting", found)

    for opener, panel in (
        ("toggle-participants", "participants"),
        ("toggle-captions-panel", "captions"),
        ("toggle-chat", "chat"),
    ):
        page.get_by_test_id(opener).click()
        check(page, f"meeting, {panel} panel open", found)
        page.get_by_test_id(opener).click()

    for item, dialog in (
        ("open-settings", "settings-dialog"),
        ("open-shortcuts", "shortcuts-dialog"),
    ):
        page.get_by_test_id("more-options").click()
        page.get_by_test_id(item).click()
        expect(page.get_by_test_id(dialog)).to_be_visible()
        check(page, f"meeting, {dialog} open", found)
        page.get_by_test_id(f"{dialog}-close").click()
        expect(page.get_by_test_id(dialog)).to_be_hidden()

    for menu in ("layout-menu", "reactions"):
        page.get_by_test_id(menu).click()
        expect(page.get_by_role("menu")).to_be_visible()
        check(page, f"meeting, {menu} open", found)
        page.keyboard.press("Escape")
        expect(page.get_by_role("menu")).to_have_count(0)

    # The lobby: Alice (the interim moderator) locks the room; Bob knocks.
    page.get_by_test_id("toggle-participants").click()
    page.get_by_test_id("lock-room").click()
    expect(page.get_by_test_id("room-locked")).to_be_visible()
    bob = open_page(participants, f"{media_server.url}/{slug}", "Bob", viewport)
    join(bob, "Bob")
    expect(bob.page.get_by_test_id("lobby-waiting")).to_be_visible()
    check(bob.page, "lobby, waiting", found)
    expect(page.get_by_test_id("lobby-person")).to_contain_text("Bob")
    check(page, "lobby, the moderator's queue", found)

    assert not found, json.dumps(found, indent=1, ensure_ascii=False)
