"""The lobby in real browsers: a guest knocks on a trusted room, the moderator admits them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import Participant, Participants
from tests.oidc.provider import PROVIDER_ID, TestProvider, start_provider
from tests.rooms.people import Browser
from tests.support import RunningServer, free_port, start_server


@pytest.fixture(scope="module")
def lobby_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[RunningServer, TestProvider]]:
    port = free_port()
    provider = start_provider(f"http://127.0.0.1:{port}")
    try:
        server = start_server(
            tmp_path_factory.mktemp("visio-lobby"),
            port=port,
            oidc_providers=provider.settings_json(),
        )
    except BaseException:
        provider.stop()
        raise
    yield server, provider
    server.stop()
    provider.stop()


def signed_in_join(
    participants: Participants, server: RunningServer, provider: TestProvider, slug: str
) -> Participant:
    """Pierre signs in through the provider (in Alice's Chromium, for her tone) and joins."""
    person = participants.open(f"{server.url}/auth/{PROVIDER_ID}/login?next=/{slug}", "alice")
    page = person.page
    page.wait_for_url(f"{provider.issuer}/interaction/**")
    page.locator("#login").fill("pierre")
    page.locator("#submit").click()
    page.wait_for_url(f"{server.url}/{slug}")
    expect(page.get_by_test_id("name-input")).to_have_value("Pierre Dupont")
    page.get_by_test_id("join").click()
    page.wait_for_function("() => !!window.visio?.session?.participantId")
    return person


def test_lobby_guest_knocks_moderator_admits_guest_sees_and_hears(
    participants: Participants, lobby_server: tuple[RunningServer, TestProvider]
) -> None:
    """Trusted room: the guest waits, the owner admits them, then they see and hear each other."""
    server, provider = lobby_server
    owner_api = Browser(server, provider, "pierre")
    try:
        slug = owner_api.create_room(name="Réunion de service", access="trusted")
    finally:
        owner_api.close()
    moderator = signed_in_join(participants, server, provider, slug)

    guest = participants.open(f"{server.url}/{slug}", "bob")
    guest.page.get_by_test_id("name-input").fill("Bob")
    guest.page.get_by_test_id("join").click()
    expect(guest.page.get_by_test_id("lobby-waiting")).to_be_visible()
    expect(guest.page.get_by_test_id("lobby-waiting")).to_have_attribute("data-reason", "trusted")

    knock = moderator.page.get_by_test_id("lobby-person")
    expect(knock).to_contain_text("Bob")
    moderator.page.get_by_test_id("lobby-admit").click()
    expect(moderator.page.get_by_test_id("lobby-queue")).to_have_count(0)

    guest.page.wait_for_function("() => !!window.visio?.session?.participantId")
    guest.wait_video_flowing(moderator.participant_id)
    guest.wait_audio_tone(moderator.participant_id, 440.0)
    moderator.wait_video_flowing(guest.participant_id)
    moderator.wait_audio_tone(guest.participant_id, 660.0)
    guest_tile = moderator.page.locator(
        f'[data-testid="tile"][data-participant-id="{guest.participant_id}"]'
    )
    expect(guest_tile.get_by_test_id("guest-badge")).to_be_visible()


def test_lobby_denied_guest_is_told_so(
    participants: Participants, lobby_server: tuple[RunningServer, TestProvider]
) -> None:
    """The moderator denies: the waiting guest sees that they were not let in."""
    server, provider = lobby_server
    owner_api = Browser(server, provider, "pierre")
    try:
        slug = owner_api.create_room(access="trusted")
    finally:
        owner_api.close()
    moderator = signed_in_join(participants, server, provider, slug)
    guest = participants.open(f"{server.url}/{slug}", "bob")
    guest.page.get_by_test_id("name-input").fill("Bob")
    guest.page.get_by_test_id("join").click()
    expect(guest.page.get_by_test_id("lobby-waiting")).to_be_visible()
    moderator.page.get_by_test_id("lobby-deny").click()
    expect(guest.page.get_by_test_id("error-page")).to_have_attribute("data-error-code", "denied")
