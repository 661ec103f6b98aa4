"""Recording a real meeting: Janus records each publisher, janus-pp-rec and ffmpeg make one file
that ffprobe reads, as long as the recording, with every participant's voice in it."""

from __future__ import annotations

import time
from typing import Any

from playwright.sync_api import expect

from tests.e2e.browser import Participant, Participants, screenshot
from tests.recording.media import (
    audit_events,
    decoded_audio,
    frame_tiles_lit,
    frame_tiles_named,
    level_dbfs,
    probe,
    raw_audio_bytes,
    recording_rows,
    tone_share,
    wait_finished,
)
from tests.support import RunningServer, wait_until
from visio.recording.processing import grid

ALICE_TONE, BOB_TONE = 440.0, 660.0
"""The tones the fake microphones play (tests/e2e/conftest.py ``tones``)."""
ENOUGH_AUDIO_BYTES = 15_000
"""About two seconds of Opus in a raw track: the voice is being recorded."""
PROCESSING_TIMEOUT_S = 300


def live_recording(server: RunningServer) -> dict[str, Any]:
    rows = wait_until(
        lambda: [r for r in recording_rows(server) if r["status"] == "recording"],
        30,
        "no recording row in status 'recording'",
    )
    assert len(rows) == 1, rows
    return rows[0]


def wait_voices_recorded(server: RunningServer, recording_id: str, voices: int) -> None:
    wait_until(
        lambda: (
            len(
                [
                    s
                    for s in raw_audio_bytes(server, recording_id).values()
                    if s > ENOUGH_AUDIO_BYTES
                ]
            )
            >= voices
        ),
        60,
        lambda: f"not {voices} voices recorded: {raw_audio_bytes(server, recording_id)}",
    )


def start_recording(moderator: Participant, testid: str) -> None:
    moderator.page.get_by_test_id("recording-menu").click()
    moderator.page.get_by_test_id(testid).click()


def test_a_video_recording_holds_everyone_a_late_joiner_included(
    media_server: RunningServer, participants: Participants
) -> None:
    """Alice records audio and video; Bob, who comes later, is told on the pre-join screen and
    recorded too; once stopped, the WebM holds VP8 and Opus, lasts as long as the recording and
    both voices are heard in it."""
    slug = media_server.create_room()
    alice = participants.join(media_server.url, slug, "Alice")
    start_recording(alice, "recording-start-video")
    started = time.monotonic()
    indicator = alice.page.get_by_test_id("recording-indicator")
    expect(indicator).to_have_attribute("data-video", "true")
    expect(alice.page.get_by_test_id("recording-announcement")).to_have_text(
        "This meeting is now recorded, audio and video"
    )
    recording = live_recording(media_server)

    bob = participants.open(f"{media_server.url}/{slug}", "Bob")
    expect(bob.page.get_by_test_id("prejoin-recording-notice")).to_be_visible()
    bob.page.set_viewport_size({"width": 390, "height": 844})  # a phone
    expect(bob.page.get_by_test_id("prejoin-recording-notice")).to_be_in_viewport()
    screenshot(bob.page, "recording-prejoin-phone.png")
    bob.page.set_viewport_size({"width": 1024, "height": 700})
    bob.page.get_by_test_id("name-input").fill("Bob")
    bob.page.get_by_test_id("join").click()
    bob.page.wait_for_function("() => !!window.visio?.session?.participantId")
    expect(bob.page.get_by_test_id("recording-indicator")).to_be_visible()
    expect(bob.page.get_by_test_id("recording-stop")).to_have_count(0)
    alice.wait_video_flowing(bob.participant_id)
    wait_voices_recorded(media_server, recording["id"], 2)
    screenshot(alice.page, "recording-meeting-moderator.png")

    alice.page.get_by_test_id("recording-stop").click()
    expect(bob.page.get_by_test_id("recording-indicator")).to_have_count(0)
    span = time.monotonic() - started
    expect(bob.page.get_by_test_id("recording-announcement")).to_have_text("Recording stopped")

    row = wait_finished(media_server, recording["id"], PROCESSING_TIMEOUT_S)
    assert row["status"] == "ready", row["error"]
    assert (row["kind"], row["media_type"]) == ("video", "video/webm")
    path = media_server.data_dir / "recordings" / row["file_path"]
    found = probe(path)
    assert (found.codecs("video"), found.codecs("audio")) == (["vp8"], ["opus"])
    assert abs(found.duration - span) < 3.0, (found.duration, span)
    assert abs(row["duration_s"] - found.duration) < 0.5
    assert row["size_bytes"] == path.stat().st_size
    # Near the end both cameras are on the grid (Bob's track changing size midway included).
    assert frame_tiles_lit(path, found.duration - 1.0, grid(2)) == [True, True]
    # And each shows its publisher's name (raw/names.json, written when the recording stopped).
    assert frame_tiles_named(path, found.duration - 1.0, grid(2)) == [True, True]
    audio = decoded_audio(path)
    assert level_dbfs(audio) > -40
    later = audio[-len(audio) // 3 :]  # Bob speaks in the last third whatever his delay
    assert tone_share(later, ALICE_TONE) > 0.1 and tone_share(later, BOB_TONE) > 0.1
    assert not (path.parent / "raw").exists()
    events = [e["event"] for e in audit_events(media_server, "room.recording")]
    assert events[-2:] == ["room.recording_started", "room.recording_stopped"]


def test_an_audio_recording_stops_when_the_meeting_ends(
    media_server: RunningServer, participants: Participants
) -> None:
    """Alice records audio only; everyone leaves; the meeting's end stops the recording and it
    becomes an Ogg Opus file with no picture and both voices."""
    slug = media_server.create_room()
    alice, bob = participants.meeting(media_server.url, slug, "Alice", "Bob")
    expect(bob.page.get_by_test_id("recording-menu")).to_have_count(0)
    start_recording(alice, "recording-start-audio")
    expect(bob.page.get_by_test_id("recording-indicator")).to_have_attribute("data-video", "false")
    recording = live_recording(media_server)
    wait_voices_recorded(media_server, recording["id"], 2)
    for person in (alice, bob):
        person.page.close()

    row = wait_finished(media_server, recording["id"], PROCESSING_TIMEOUT_S)
    assert row["status"] == "ready", row["error"]
    assert (row["kind"], row["media_type"]) == ("audio", "audio/ogg")
    path = media_server.data_dir / "recordings" / row["file_path"]
    found = probe(path)
    assert found.format_name == "ogg"
    assert (found.codecs("video"), found.codecs("audio")) == ([], ["opus"])
    audio = decoded_audio(path)
    assert tone_share(audio, ALICE_TONE) > 0.1 and tone_share(audio, BOB_TONE) > 0.1
    stopped = audit_events(media_server, "room.recording_stopped")[-1]
    assert (
        '"meeting_ended"' in stopped["details"]
        if isinstance(stopped["details"], str)
        else (stopped["details"]["reason"] == "meeting_ended")
    )
