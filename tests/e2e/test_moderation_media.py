"""Moderation enforced by the media engine, not only by the muted person's browser."""

from __future__ import annotations

import time

from tests.e2e.browser import Participants
from tests.rooms.test_moderation import Member
from tests.support import RunningServer


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
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if bob.audio_from(alice.participant_id).get("rms", 1) < 0.001:
            break
        time.sleep(0.2)
    else:
        raise AssertionError("Alice is still heard after the moderator muted her")

    alice.page.evaluate("() => window.visio.session.setMicrophoneEnabled(true)")
    alice.page.evaluate(
        "() => window.visio.session.signaling.send({type: 'media.state', audio: true, video: true})"
    )
    bob.wait_audio_tone(alice.participant_id, 440.0)
