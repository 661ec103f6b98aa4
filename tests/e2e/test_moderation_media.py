"""Moderation enforced by the media engine, not only by the muted person's browser."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.browser import SILENT_RMS, Participants
from tests.rooms.test_moderation import Member
from tests.support import RunningServer, wait_until


def test_muted_participant_is_silenced_by_janus_until_they_unmute(
    media_server: RunningServer, participants: Participants
) -> None:
    """After a moderator's mute, others receive silence from that microphone even if the muted
    browser kept sending; when the person turns their microphone back on, they are heard again."""
    slug = media_server.create_room()
    moderator = Member(media_server, slug, "Mod")
    alice, bob = participants.meeting(media_server.url, slug, "Alice", "Bob")
    bob.wait_audio_tone(alice.participant_id, 440.0)

    moderator.send(type="moderate", action="mute", participant_id=alice.participant_id)
    expect(alice.page.get_by_test_id("toggle-mic")).to_have_attribute("aria-pressed", "false")
    bob.wait_audio_silent(alice.participant_id)

    # A browser that ignores the mute and sends its microphone anyway is still not heard.
    alice.page.evaluate("() => { window.visio.session.localState.microphoneTrack.enabled = true; }")
    before = wait_until(
        lambda: (sent := alice.published_audio())["audioLevel"] > 0.01 and sent,
        timeout=30,
        message=lambda: f"Alice's browser does not send her tone again: {alice.published_audio()}",
    )
    # A quiet-period observation, not a synchronisation: three 0.7 s listens while Alice sends.
    for _ in range(3):
        heard = bob.audio_from(alice.participant_id)
        assert heard["rms"] < SILENT_RMS, f"Janus relayed a muted microphone: {heard}"
    after = alice.published_audio()
    assert after["audioLevel"] > 0.01 and after["packetsSent"] > before["packetsSent"] + 50, (
        f"Alice's browser stopped sending while Bob listened: {before} then {after}"
    )

    alice.page.get_by_test_id("toggle-mic").click()
    expect(alice.page.get_by_test_id("toggle-mic")).to_have_attribute("aria-pressed", "true")
    bob.wait_audio_tone(alice.participant_id, 440.0)


def test_screen_share_stopped_by_a_moderator_can_be_shared_again(
    media_server: RunningServer, participants: Participants
) -> None:
    """A moderator stops Alice's share; when Alice shares again, the others receive it."""
    slug = media_server.create_room()
    moderator = Member(media_server, slug, "Mod")
    alice, bob = participants.meeting(media_server.url, slug, "Alice", "Bob")
    alice_id = alice.participant_id
    screen_tile = f'[data-testid="tile"][data-participant-id="{alice_id}"][data-source="screen"]'
    alice.page.get_by_test_id("toggle-screen").click()
    bob.wait_video_flowing(alice_id, source="screen")

    moderator.send(type="moderate", action="stop_screen", participant_id=alice_id)
    bob.page.wait_for_selector(screen_tile, state="detached")

    alice.page.get_by_test_id("toggle-screen").click()
    bob.page.wait_for_selector(screen_tile)
    bob.wait_video_flowing(alice_id, source="screen")
