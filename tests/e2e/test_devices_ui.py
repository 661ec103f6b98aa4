"""Changing microphone and camera during a call, and losing the device in use.

Chromium's fake devices (``--use-fake-device-for-media-stream``) list three microphones ("Fake
Default Audio Input", "Fake Audio Input 1" and 2) and one camera; ``device-count=3`` gives three
cameras, so both switches are real device changes. The second fake camera (fake_device_1) sends
Y16 depth frames that the video encoder never encodes (a <video> shows them, the sender stalls:
seen with a loopback RTCPeerConnection, simulcast or not), so the test switches to the third
(fake_device_2, MJPEG). Every fake microphone plays the same file, so the other participant's
check is that the tone keeps coming.
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.e2e.browser import MEDIA_ARGS, Participant, Participants
from tests.support import RunningServer

THREE_CAMERAS = [
    "--use-fake-device-for-media-stream=device-count=3"
    if arg == "--use-fake-device-for-media-stream"
    else arg
    for arg in MEDIA_ARGS
]
ALICE_TONE_HZ = 440.0

SENT_TRACKS_JS = """() => Object.fromEntries(window.visio.session.publisher.getSenders()
  .filter((s) => s.track).map((s) => [s.track.kind, s.track.label]))"""

BYTES_SENT_JS = """async () => {
  const stats = await window.visio.session.publisher.getStats();
  const out = {};
  stats.forEach((r) => { if (r.type === 'outbound-rtp') out[r.kind] = (out[r.kind] ?? 0) + r.bytesSent; });
  return out;
}"""


def sent_tracks(person: Participant) -> dict[str, str]:
    return dict(person.page.evaluate(SENT_TRACKS_JS))


def wait_sending(person: Participant, kind: str, label: str) -> None:
    person.page.wait_for_function(
        f"() => ({SENT_TRACKS_JS})()[{kind!r}] === {label!r}", timeout=30_000
    )


def bytes_sent(person: Participant) -> dict[str, Any]:
    return dict(person.page.evaluate(BYTES_SENT_JS))


def test_switching_microphone_and_camera_mid_call_keeps_media_flowing(
    media_server: RunningServer, participants: Participants
) -> None:
    """Alice opens Settings, sees her microphone's level move, picks another microphone and the
    other camera: her publisher now sends the new tracks (same senders, no renegotiation) and Bob
    still hears her tone and sees her video."""
    slug = media_server.create_room()
    alice = participants.join(media_server.url, slug, "Alice", args=THREE_CAMERAS)
    bob = participants.join(media_server.url, slug, "Bob")
    alice_id = alice.participant_id
    bob.wait_video_flowing(alice_id)
    bob.wait_audio_tone(alice_id, ALICE_TONE_HZ)
    assert sent_tracks(alice) == {"audio": "Fake Default Audio Input", "video": "fake_device_0"}

    alice.page.get_by_test_id("more-options").click()
    alice.page.get_by_test_id("open-settings").click()
    dialog = alice.page.get_by_role("dialog", name="Settings")
    expect(dialog).to_be_visible()
    level = dialog.get_by_test_id("settings-mic-level")
    alice.page.wait_for_function(
        "() => Number(document.querySelector('[data-testid=settings-mic-level]')"
        ".getAttribute('aria-valuenow')) > 0"
    )
    expect(level).to_have_attribute("role", "meter")

    microphone = dialog.get_by_test_id("settings-microphone")
    expect(microphone.locator("option")).to_have_count(3)
    microphone.select_option(label="Fake Audio Input 1")
    wait_sending(alice, "audio", "Fake Audio Input 1")

    camera = dialog.get_by_test_id("settings-camera")
    expect(camera.locator("option")).to_have_count(3)
    camera.select_option(label="fake_device_2")
    wait_sending(alice, "video", "fake_device_2")
    expect(microphone).to_have_value(
        alice.page.evaluate(
            "() => window.visio.session.localState.microphoneTrack.getSettings().deviceId"
        )
    )

    # Bob keeps receiving both, from the new tracks.
    before = bytes_sent(alice)
    bob.wait_audio_tone(alice_id, ALICE_TONE_HZ)
    bob.wait_video_flowing(alice_id)
    alice.page.wait_for_function(
        f"async (before) => {{ const now = await ({BYTES_SENT_JS})();"
        " return now.audio > before.audio && now.video > before.video; }",
        arg=before,
    )
    alice.page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)

    # Turning the camera off and on again keeps the camera chosen in the meeting.
    alice.page.get_by_test_id("toggle-camera").click()
    alice_tile = bob.page.locator(
        f'[data-testid="tile"][data-participant-id="{alice_id}"][data-source="camera"]'
    )
    expect(alice_tile).to_have_attribute("data-video", "off")
    alice.page.get_by_test_id("toggle-camera").click()
    wait_sending(alice, "video", "fake_device_2")
    bob.wait_video_flowing(alice_id)


UNPLUG_JS = """(label) => {
  const devices = navigator.mediaDevices;
  const real = devices.enumerateDevices.bind(devices);
  devices.enumerateDevices = async () => (await real()).filter((d) => d.label !== label);
  devices.dispatchEvent(new Event('devicechange'));
}"""


def test_losing_the_microphone_in_use_switches_to_another_and_says_so(
    media_server: RunningServer, participants: Participants
) -> None:
    """The microphone in use disappears from the device list (as when a headset is unplugged; the
    list is filtered in the page, fake devices cannot be unplugged): Alice is told which device
    she now uses, her publisher sends from it, and Bob still hears her."""
    slug = media_server.create_room()
    alice, bob = participants.meeting(media_server.url, slug, "Alice", "Bob")
    alice_id = alice.participant_id
    alice.page.get_by_test_id("more-options").click()
    alice.page.get_by_test_id("open-settings").click()
    alice.page.get_by_test_id("settings-microphone").select_option(label="Fake Audio Input 2")
    wait_sending(alice, "audio", "Fake Audio Input 2")
    alice.page.keyboard.press("Escape")
    bob.wait_audio_tone(alice_id, ALICE_TONE_HZ)

    alice.page.evaluate(UNPLUG_JS, "Fake Audio Input 2")
    notice = alice.page.get_by_test_id("device-notice")
    expect(notice).to_have_attribute("data-kind", "microphone")
    expect(notice).to_have_text(
        "Your microphone (Fake Audio Input 2) was disconnected. Now using: Fake Default Audio Input."
    )
    expect(notice).to_have_attribute("role", "alert")
    wait_sending(alice, "audio", "Fake Default Audio Input")
    bob.wait_audio_tone(alice_id, ALICE_TONE_HZ)
