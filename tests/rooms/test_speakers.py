"""Who is speaking (visio.rooms.speakers): Janus's ``talking`` counts at once, its
``stopped-talking`` only after the hold, so a short detection window announces a new speaker fast
without ending a turn at every pause. Time is passed in (``now``); nothing sleeps. Janus's side
runs for real in tests/e2e/test_speakers_server.py and tests/e2e/test_large_meeting.py."""

from __future__ import annotations

import json
from typing import Any

from tests.rooms.publishers import meeting
from visio.rooms import audible, speakers
from visio.rooms.audible import AudioSelection
from visio.rooms.participant import Participant
from visio.rooms.room import Room

HOLD = 1.0


def janus(room: Room, person: Participant, talking: bool, now: float, confirm: float = 0.0) -> None:
    """Janus's event on ``person``'s own publisher handle, as it arrives at ``now``, on a server
    that counts a turn once Janus heard it ``confirm`` seconds."""
    event = {
        "videoroom": "talking" if talking else "stopped-talking",
        "room": 1,
        "id": person.feed_id,
        "mid": "1",
        "audio-level-dBov-avg": 25.0 if talking else 90.0,
    }
    assert speakers.heard(room, person, event, HOLD, now, confirm=confirm)


def said(person: Participant) -> list[tuple[str, bool]]:
    """The ``speaking`` messages ``person``'s socket was sent so far (and takes them)."""
    messages: list[dict[str, Any]] = []
    while not person.outbox.frames.empty():
        frame = person.outbox.frames.get_nowait()
        assert frame is not None
        messages.append(json.loads(frame))
    return [(m["participant_id"], m["speaking"]) for m in messages if m["type"] == "speaking"]


def test_a_start_is_announced_at_once_a_stop_only_after_the_hold() -> None:
    room, (alice, bob) = meeting(2)
    janus(room, alice, True, now=10.0)
    assert room.speaking == [alice.id]
    assert said(bob) == [(alice.id, True)]

    janus(room, alice, False, now=11.0)
    assert alice.held_until == 11.0 + HOLD
    assert room.speaking == [alice.id]
    speakers.refresh(room, alice, now=11.0 + HOLD - 0.01)
    assert said(bob) == [], "a stop within the hold is nobody's business"

    speakers.refresh(room, alice, now=11.0 + HOLD)
    assert room.speaking == []
    assert alice.held_until is None
    assert said(bob) == [(alice.id, False)]


def test_pauses_shorter_than_the_hold_do_not_end_the_turn() -> None:
    """Janus's 0.1-s windows flap at every breath: the room hears one turn, start to end."""
    room, (alice, bob) = meeting(2)
    now = 0.0
    for _ in range(20):  # 0.3 s of speech, 0.3 s of silence, twenty times
        janus(room, alice, True, now)
        now += 0.3
        janus(room, alice, False, now)
        now += 0.3
        speakers.refresh(room, alice, now)  # what a hold's timer would do meanwhile
    assert said(bob) == [(alice.id, True)]
    speakers.refresh(room, alice, now - 0.3 + HOLD)
    assert said(bob) == [(alice.id, False)]


def test_a_stop_with_no_hold_ends_the_turn_at_once() -> None:
    """VISIO_SPEAKER_HOLD_SECONDS=0: Janus's first silent window ends it, as before the hold."""
    room, (alice, bob) = meeting(2)
    speakers.heard(room, alice, {"videoroom": "talking", "id": alice.feed_id}, 0.0, 5.0)
    speakers.heard(room, alice, {"videoroom": "stopped-talking", "id": alice.feed_id}, 0.0, 5.1)
    assert room.speaking == []
    assert alice.held_until is None
    assert said(bob) == [(alice.id, True), (alice.id, False)]


def test_turning_the_microphone_off_ends_the_turn_at_once_hold_or_not() -> None:
    """Muting (or a moderator's pause) is never held, and the hold does not survive it."""
    room, (alice, bob) = meeting(2)
    janus(room, alice, True, now=0.0)
    janus(room, alice, False, now=1.0)
    alice.audio = False
    speakers.refresh(room, alice, now=1.1)
    assert said(bob) == [(alice.id, True), (alice.id, False)]
    assert alice.held_until is None
    alice.audio = True
    speakers.refresh(room, alice, now=1.2)
    assert room.speaking == [], "back on, but Janus hears nothing: not speaking"


def test_the_highlight_returns_to_whoever_still_speaks_after_an_interjection() -> None:
    """Bob says "mm-hm" while Alice talks on: the active speaker is Bob for a moment, then Alice
    again once his hold ends, not Bob until Alice pauses for longer than the hold."""
    room, (alice, bob) = meeting(2)
    janus(room, alice, True, now=0.0)
    janus(room, bob, True, now=2.0)
    assert room.active_speaker == bob.id
    janus(room, bob, False, now=2.2)
    speakers.refresh(room, bob, now=2.2 + HOLD)
    assert room.active_speaker == alice.id
    janus(room, alice, False, now=5.0)
    speakers.refresh(room, alice, now=5.0 + HOLD)
    assert room.active_speaker == alice.id, "nobody speaks: the last speaker stays active"


def test_a_held_speaker_stays_in_the_audio_selection() -> None:
    """In a large meeting a speaker's audio stays relayed through a pause (it is not cut off
    when they go on), however many others started speaking meanwhile."""
    selection = AudioSelection(above=3, speakers=1)
    room, people = meeting(6)
    alice, others = people[0], people[1:4]
    janus(room, alice, True, now=0.0)
    janus(room, alice, False, now=1.0)
    for number, other in enumerate(others):
        janus(room, other, True, now=1.1 + number * 0.1)
        janus(room, other, False, now=1.15 + number * 0.1)
    heard = audible.audible(room, selection)
    assert heard is not None and alice.id in heard
    speakers.refresh(room, alice, now=1.0 + HOLD)
    heard = audible.audible(room, selection)
    assert heard is not None and alice.id not in heard


def test_janus_lost_or_leaving_ends_the_hold() -> None:
    room, (alice, bob) = meeting(2)
    janus(room, alice, True, now=0.0)
    janus(room, alice, False, now=0.5)
    speakers.media_lost(room)
    assert room.speaking == [] and alice.held_until is None
    janus(room, bob, True, now=1.0)
    janus(room, bob, False, now=1.5)
    speakers.forget(room, bob)
    assert room.speaking == [] and bob.held_until is None and room.active_speaker is None


CONFIRM = 0.3


def janus_confirming(room: Room, person: Participant, talking: bool, now: float) -> None:
    janus(room, person, talking, now, confirm=CONFIRM)


def test_a_cough_moves_nothing_but_is_heard() -> None:
    """Janus hears a cough for 0.2 s: nobody is told (no highlight, no speaker layout change, no
    hold), yet in a large meeting the cougher's audio was relayed while Janus heard it."""
    room, people = meeting(8)
    alice, bob, carol = people[:3]
    selection = AudioSelection(above=6, speakers=2)
    janus_confirming(room, alice, True, now=1.0)
    speakers.refresh(room, alice, now=1.0 + CONFIRM)  # the turn counts: Alice speaks
    assert room.active_speaker == alice.id
    said(bob)

    janus_confirming(room, carol, True, now=5.0)
    assert room.speaking == [alice.id]
    assert carol.id in (audible.audible(room, selection, now=5.1) or set())
    janus_confirming(room, carol, False, now=5.2)
    speakers.refresh(room, carol, now=5.0 + CONFIRM)  # the confirmation comes too late
    assert room.speaking == [alice.id] and room.active_speaker == alice.id
    assert carol.held_until is None
    assert carol.id not in room.recent_speakers
    assert carol.id not in (audible.audible(room, selection, now=5.4) or set())
    assert said(bob) == []


def test_a_turn_counts_once_heard_long_enough_and_a_pause_needs_no_new_confirmation() -> None:
    room, (alice, bob) = meeting(2)
    janus_confirming(room, alice, True, now=10.0)
    assert room.speaking == []
    speakers.refresh(room, alice, now=10.0 + CONFIRM - 0.01)
    assert said(bob) == []
    speakers.refresh(room, alice, now=10.0 + CONFIRM)
    assert room.speaking == [alice.id] and room.active_speaker == alice.id
    assert said(bob) == [(alice.id, True)]

    # A breath, then speech again within the hold: the same turn, nothing said, nothing to wait.
    janus_confirming(room, alice, False, now=12.0)
    janus_confirming(room, alice, True, now=12.4)
    assert alice.counts_from == 12.4
    speakers.refresh(room, alice, now=12.4)
    assert room.speaking == [alice.id]
    assert said(bob) == []

    # After the hold ran out, a new start needs its confirmation again.
    janus_confirming(room, alice, False, now=13.0)
    speakers.refresh(room, alice, now=13.0 + HOLD)
    assert said(bob) == [(alice.id, False)]
    janus_confirming(room, alice, True, now=20.0)
    assert alice.counts_from == 20.0 + CONFIRM
    assert room.speaking == []


def test_a_microphone_turned_off_before_the_turn_counted_ends_it() -> None:
    room, (alice, bob) = meeting(2)
    janus_confirming(room, alice, True, now=1.0)
    alice.audio = False
    speakers.refresh(room, alice, now=1.0 + CONFIRM)
    assert room.speaking == []
    assert said(bob) == []


def test_gaps_between_words_do_not_restart_the_confirmation() -> None:
    """Janus's 0.1-s windows see gaps between words: speech that Janus hears, misses 0.15 s and
    hears again counts from its first word, at the next word after the confirmation time."""
    room, (alice, bob) = meeting(2)
    janus_confirming(room, alice, True, now=1.0)
    janus_confirming(room, alice, False, now=1.2)
    speakers.refresh(room, alice, now=1.0 + CONFIRM)  # in a gap at that moment
    assert said(bob) == []
    janus_confirming(room, alice, True, now=1.35)
    assert room.speaking == [alice.id]
    assert said(bob) == [(alice.id, True)]


def test_a_cough_long_forgotten_does_not_count_for_the_next_word() -> None:
    room, (alice, bob) = meeting(2)
    janus_confirming(room, alice, True, now=1.0)
    janus_confirming(room, alice, False, now=1.2)
    later = 1.2 + CONFIRM + 0.05
    janus_confirming(room, alice, True, now=later)  # a new start
    assert alice.counts_from == later + CONFIRM
    assert room.speaking == []
    assert said(bob) == []
