"""Moderation in the browser: a moderator's controls, obeyed by everyone's real clients."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browser import SILENT_RMS, Participant, Participants
from tests.e2e.test_accessibility import assert_all_controls_named
from tests.e2e.test_lobby_ui import signed_in_join
from tests.oidc.provider import TestProvider, visio_with_provider
from tests.rooms.people import Browser
from tests.support import RunningServer


def open_participants(person: Participant) -> None:
    person.page.get_by_test_id("toggle-participants").click()
    expect(person.page.get_by_test_id("participants-list")).to_be_visible()


def moderate(moderator: Participant, target_id: str, action: str) -> None:
    """Pick an action from the menu on the target's row of the moderator's participants panel."""
    row = moderator.page.locator(f'li[data-participant-id="{target_id}"]')
    row.get_by_test_id("moderate-menu").click()
    row.get_by_test_id(action).click()


def expect_end_page(page: Page, code: str) -> None:
    expect(page.get_by_test_id("error-page")).to_have_attribute("data-error-code", code)


def test_mute_everyone_is_obeyed_by_every_client_who_can_unmute_themselves(
    media_server: RunningServer, participants: Participants
) -> None:
    """Alice mutes everyone: Bob's and Carol's own microphones turn off (buttons, tiles, silence),
    they are told so; Bob turns his microphone back on and Alice hears him again."""
    slug = media_server.create_room()
    alice, bob, carol = participants.meeting(media_server.url, slug, "Alice", "Bob", "Carol")
    bob_id, carol_id = bob.participant_id, carol.participant_id
    alice.wait_audio_tone(bob_id, 660.0)

    open_participants(alice)
    alice.page.get_by_test_id("mute-all").click()

    for person in (bob, carol):
        expect(person.page.get_by_test_id("toggle-mic")).to_have_attribute("aria-pressed", "false")
        expect(person.page.get_by_test_id("moderated-notice")).to_have_attribute(
            "data-action", "mute"
        )
    expect(alice.page.get_by_test_id("toggle-mic")).to_have_attribute("aria-pressed", "true")
    expect(alice.page.get_by_test_id("moderated-notice")).to_have_count(0)
    for person_id in (bob_id, carol_id):
        tile = alice.page.locator(
            f'[data-testid="tile"][data-participant-id="{person_id}"][data-source="camera"]'
        )
        expect(tile).to_have_attribute("data-audio", "off")
        expect(alice.page.locator(f'li[data-participant-id="{person_id}"]')).to_have_attribute(
            "data-audio", "off"
        )
        alice.wait_audio_silent(person_id)

    bob.page.get_by_test_id("toggle-mic").click()
    expect(bob.page.get_by_test_id("moderated-notice")).to_have_count(0)
    alice.wait_audio_tone(bob_id, 660.0)
    assert alice.audio_from(carol_id)["rms"] < SILENT_RMS, "Carol stays muted"


def test_moderator_turns_off_a_camera_and_removes_someone_for_good(
    media_server: RunningServer, participants: Participants
) -> None:
    """Camera off reaches only Bob; Carol, removed after a confirmation, sees the removed page,
    does not come back, and her tile leaves everyone's screen."""
    slug = media_server.create_room()
    alice, bob, carol = participants.meeting(media_server.url, slug, "Alice", "Bob", "Carol")
    bob_id, carol_id = bob.participant_id, carol.participant_id
    open_participants(alice)

    moderate(alice, bob_id, "moderate-camera-off")
    expect(bob.page.get_by_test_id("toggle-camera")).to_have_attribute("aria-pressed", "false")
    expect(bob.page.get_by_test_id("moderated-notice")).to_have_attribute(
        "data-action", "camera_off"
    )
    bob_tile = f'[data-testid="tile"][data-participant-id="{bob_id}"][data-source="camera"]'
    for person in (alice, carol):
        expect(person.page.locator(bob_tile)).to_have_attribute("data-video", "off")
    expect(carol.page.get_by_test_id("toggle-camera")).to_have_attribute("aria-pressed", "true")
    assert bob.page.evaluate("() => window.visio.session.localState.cameraTrack") is None

    carol_sockets: list[str] = []
    carol.page.on("websocket", lambda socket: carol_sockets.append(socket.url))
    moderate(alice, carol_id, "moderate-remove")
    dialog = alice.page.get_by_test_id("confirm-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_test_id("confirm-cancel")).to_be_focused()
    dialog.get_by_test_id("confirm").click()

    expect_end_page(carol.page, "removed")
    expect(carol.page.get_by_role("heading", level=1)).to_contain_text("removed")
    carol_tile = f'[data-testid="tile"][data-participant-id="{carol_id}"]'
    for person in (alice, bob):
        expect(person.page.locator(carol_tile)).to_have_count(0)
    expect(alice.page.get_by_test_id("announcements")).to_contain_text("Carol was removed")

    # "Does not come back" is a quiet period, not a synchronisation: a dropped client tries again
    # within 0.25 s (web/src/room/backoff.ts), so 3 s without a new WebSocket shows it gave up.
    # (The page's own timer, so that Playwright records the WebSockets opened meanwhile.)
    opened = len(carol_sockets)
    carol.page.wait_for_timeout(3000)
    assert carol_sockets[opened:] == [], "the removed person's browser tried to come back"
    expect_end_page(carol.page, "removed")
    assert carol.page.evaluate("() => window.visio.session") is None
    assert {t["name"] for t in alice.remote_tiles()} == {"Bob"}


@pytest.fixture(scope="module")
def owned_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[RunningServer, TestProvider]]:
    with visio_with_provider(tmp_path_factory.mktemp("visio-owned")) as pair:
        yield pair


def test_promoted_moderator_locks_the_room_and_ends_the_meeting(
    owned_server: tuple[RunningServer, TestProvider], participants: Participants
) -> None:
    """The owner's menu works from the keyboard; Bob, made moderator by the owner, gets the
    controls; his lock shows for everyone and turns a newcomer away; ending the meeting sends
    everyone to the ended page. (Only someone with a role promotes: a stand-in cannot.)"""
    media_server, provider = owned_server
    with Browser(media_server, provider, "pierre") as owner_api:
        slug = owner_api.create_room(name="Point hebdo")
    alice = signed_in_join(participants, media_server, provider, slug)
    bob = participants.join(media_server.url, slug, "Bob")
    alice.wait_video_flowing(bob.participant_id)
    bob.wait_video_flowing(alice.participant_id)
    open_participants(bob)
    expect(bob.page.get_by_test_id("mute-all")).to_have_count(0)
    expect(bob.page.get_by_test_id("moderate-menu")).to_have_count(0)
    expect(bob.page.get_by_test_id("leave-menu")).to_have_count(0)

    open_participants(alice)
    menu_button = alice.page.locator(
        f'li[data-participant-id="{bob.participant_id}"]'
    ).get_by_test_id("moderate-menu")
    expect(menu_button).to_have_accessible_name("More actions for Bob")
    menu_button.focus()
    alice.page.keyboard.press("Enter")
    expect(alice.page.get_by_role("menuitem").first).to_be_focused()
    assert_all_controls_named(alice.page)
    alice.page.keyboard.press("End")
    expect(alice.page.get_by_test_id("moderate-remove")).to_be_focused()
    alice.page.keyboard.press("Escape")
    expect(alice.page.get_by_role("menu")).to_have_count(0)
    expect(menu_button).to_be_focused()

    moderate(alice, bob.participant_id, "moderate-promote")
    expect(bob.page.get_by_test_id("lock-room")).to_be_visible()
    expect(bob.page.get_by_test_id("moderate-menu")).to_have_count(1)
    expect(bob.page.get_by_test_id("leave-menu")).to_be_visible()

    bob.page.get_by_test_id("lock-room").click()
    expect(bob.page.get_by_test_id("lock-room")).to_have_attribute("aria-pressed", "true")
    for person in (alice, bob):
        expect(person.page.get_by_test_id("room-locked")).to_be_visible()
    expect(alice.page.get_by_test_id("announcements")).to_contain_text("Bob locked the meeting")

    dave = participants.open(f"{media_server.url}/{slug}", "Dave")
    dave.page.get_by_test_id("name-input").fill("Dave")
    dave.page.get_by_test_id("join").click()
    expect(dave.page.get_by_test_id("lobby-waiting")).to_have_attribute("data-reason", "locked")
    expect(bob.page.get_by_test_id("lobby-person")).to_contain_text("Dave")
    bob.page.get_by_test_id("lobby-deny").click()
    expect_end_page(dave.page, "denied")

    bob.page.get_by_test_id("leave-menu").click()
    bob.page.get_by_test_id("end-meeting").click()
    bob.page.get_by_test_id("confirm").click()
    for person in (alice, bob):
        expect_end_page(person.page, "meeting_ended")
