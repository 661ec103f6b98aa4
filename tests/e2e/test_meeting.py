"""A real meeting: three people in Chromium, through Janus, seeing and hearing each other."""

from __future__ import annotations

import subprocess
import time

from playwright.sync_api import expect

from tests.e2e.browser import Participant, Participants
from tests.support import RunningServer, wait_until

TONES = {"Alice": 440.0, "Bob": 660.0, "Carol": 990.0}
SIMULCAST_LAYERS_JS = """async () => {
  const stats = await window.visio.session.publisher.getStats();
  const rids = [];
  stats.forEach(s => { if (s.type === 'outbound-rtp' && s.kind === 'video' && s.rid && s.bytesSent > 0) rids.push(s.rid); });
  return rids;
}"""


def wait_simulcast(person: Participant, layers: int = 2) -> None:
    """Until the camera goes out in ``layers`` simulcast layers. Higher layers start once the
    bandwidth estimate allows them, so this waits rather than samples once."""
    wait_until(
        lambda: len(person.page.evaluate(SIMULCAST_LAYERS_JS)) >= layers,
        timeout=30,
        message=lambda: (
            f"{person.name}'s camera should be sent in {layers} simulcast layers, "
            f"got {person.page.evaluate(SIMULCAST_LAYERS_JS)}"
        ),
    )


def test_meeting_three_participants_see_and_hear_each_other(
    media_server: RunningServer, participants: Participants
) -> None:
    """Each of three participants decodes video and hears the right tone from both others."""
    slug = media_server.create_room()
    people = [participants.join(media_server.url, slug, name) for name in TONES]
    ids = {person.name: person.participant_id for person in people}
    for person in people:
        others = {name for name in TONES if name != person.name}
        person.wait_for_remote_names(others)
        for other in others:
            progress = person.wait_video_flowing(ids[other])
            assert progress["width"] > 0
            heard = person.wait_audio_tone(ids[other], TONES[other])
            assert heard["rms"] > 0.01
        totals = person.inbound_totals()
        assert totals["video"] >= 2 and totals["audio"] >= 2
        assert totals["framesDecoded"] > 0 and totals["samples"] > 0
        wait_simulcast(person)


def test_meeting_mute_and_camera_off_are_seen_by_others(
    media_server: RunningServer, participants: Participants
) -> None:
    """Muting and turning the camera off show on the other's screen, and back on again."""
    alice, bob = participants.meeting(media_server.url, media_server.create_room(), "Alice", "Bob")
    alice_id = alice.participant_id

    alice.page.get_by_test_id("toggle-mic").click()
    bob.page.wait_for_selector(
        f'[data-testid="tile"][data-participant-id="{alice_id}"][data-audio="off"]'
    )
    alice.page.get_by_test_id("toggle-camera").click()
    bob.page.wait_for_selector(
        f'[data-testid="tile"][data-participant-id="{alice_id}"][data-video="off"]'
    )
    tile = bob.tile(alice_id)
    assert tile is not None and not tile["hasVideo"], "a camera-off tile shows an avatar, not video"

    alice.page.get_by_test_id("toggle-camera").click()
    alice.page.get_by_test_id("toggle-mic").click()
    bob.page.wait_for_selector(
        f'[data-testid="tile"][data-participant-id="{alice_id}"][data-video="on"][data-audio="on"]',
    )
    bob.wait_video_flowing(alice_id)
    bob.wait_audio_tone(alice_id, TONES["Alice"])


def test_meeting_screen_share_arrives_as_its_own_tile(
    media_server: RunningServer, participants: Participants
) -> None:
    """A shared screen is received by the others as a separate tile, and goes when it stops."""
    alice, bob = participants.meeting(media_server.url, media_server.create_room(), "Alice", "Bob")
    alice_id = alice.participant_id

    alice.page.get_by_test_id("toggle-screen").click()
    bob.page.wait_for_selector(
        f'[data-testid="tile"][data-participant-id="{alice_id}"][data-source="screen"]',
    )
    bob.wait_video_flowing(alice_id, source="screen")
    bob.wait_video_flowing(alice_id, source="camera")

    alice.page.get_by_test_id("toggle-screen").click()
    bob.page.wait_for_selector(
        f'[data-testid="tile"][data-participant-id="{alice_id}"][data-source="screen"]',
        state="detached",
    )


def test_meeting_late_joiner_sees_everyone_already_there(
    media_server: RunningServer, participants: Participants
) -> None:
    """Someone who joins last sees and hears the two already in the meeting."""
    slug = media_server.create_room()
    alice, bob = participants.meeting(media_server.url, slug, "Alice", "Bob")
    carol = participants.join(media_server.url, slug, "Carol")
    carol.wait_for_remote_names({"Alice", "Bob"})
    carol.wait_video_flowing(alice.participant_id)
    carol.wait_video_flowing(bob.participant_id)
    carol.wait_audio_tone(bob.participant_id, TONES["Bob"])


def test_meeting_people_who_leave_disappear(
    media_server: RunningServer, participants: Participants
) -> None:
    """Leaving with the button, or closing the tab, removes the tile from the others.

    How fast is a figure of `python -m bench.meeting --only leave`, not an assertion here.
    """
    slug = media_server.create_room()
    alice = participants.join(media_server.url, slug, "Alice")
    bob = participants.join(media_server.url, slug, "Bob")
    carol = participants.join(media_server.url, slug, "Carol")
    alice.wait_for_remote_names({"Bob", "Carol"})
    bob_id, carol_id = bob.participant_id, carol.participant_id

    bob.page.get_by_test_id("leave").click()
    expect(
        alice.page.locator(f'[data-testid="tile"][data-participant-id="{bob_id}"]')
    ).to_have_count(0)
    carol.page.close()
    expect(
        alice.page.locator(f'[data-testid="tile"][data-participant-id="{carol_id}"]')
    ).to_have_count(0)
    assert alice.remote_tiles() == []


def test_meeting_recovers_by_itself_when_janus_is_killed(
    media_server: RunningServer, participants: Participants
) -> None:
    """Janus killed mid-call: it is restarted and media flows again with nobody clicking anything."""
    alice, bob = participants.meeting(media_server.url, media_server.create_room(), "Alice", "Bob")
    alice_id, bob_id = alice.participant_id, bob.participant_id

    old_pid = media_server.kill_janus()
    bob.wait_video_flowing(alice_id, timeout=60)
    alice.wait_video_flowing(bob_id, timeout=60)
    alice.wait_audio_tone(bob_id, TONES["Bob"])
    assert media_server.janus_pid() != old_pid
    assert alice.participant_id == alice_id, "the participant stayed in the meeting"


def test_meeting_survives_a_network_blip(
    media_server: RunningServer, participants: Participants
) -> None:
    """The media network goes away for 3 s: media comes back by itself."""
    alice, bob = participants.meeting(media_server.url, media_server.create_room(), "Alice", "Bob")
    alice_id, bob_id = alice.participant_id, bob.participant_id
    subprocess.run(["ip", "link", "set", "visio0", "down"], check=True)
    went_down = time.monotonic()
    try:
        bob.wait_video_stopped(alice_id)  # the blip really cut media
        # The blip's length is the scenario (a 3 s outage), not a synchronisation.
        time.sleep(max(0.0, went_down + 3 - time.monotonic()))
    finally:
        subprocess.run(["ip", "link", "set", "visio0", "up"], check=True)
    bob.wait_video_flowing(alice_id, timeout=30)
    alice.wait_video_flowing(bob_id, timeout=30)
    alice.wait_audio_tone(bob_id, TONES["Bob"])


def test_meeting_comes_back_after_the_app_server_restarts(
    tmp_path: object, participants: Participants
) -> None:
    """The app server is restarted mid-call: browsers reconnect, rejoin and see each other again."""
    from pathlib import Path

    from tests.support import start_server

    server = start_server(Path(str(tmp_path)) / "visio")
    try:
        alice, bob = participants.meeting(server.url, server.create_room(), "Alice", "Bob")
        old_ids = {alice.participant_id, bob.participant_id}
        server.restart()
        for person in (alice, bob):
            person.page.wait_for_function(
                "(old) => { const id = window.visio?.session?.participantId;"
                " return !!id && !old.includes(id) && window.visio.session.status === 'connected'; }",
                arg=sorted(old_ids),
                timeout=60000,
            )
        bob.wait_for_remote_names({"Alice"}, timeout=30)
        alice.wait_for_remote_names({"Bob"}, timeout=30)
        bob.wait_video_flowing(alice.participant_id, timeout=30)
        alice.wait_video_flowing(bob.participant_id, timeout=30)
        assert alice.participant_id not in old_ids
    finally:
        server.stop()
