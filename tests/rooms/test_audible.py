"""Whose microphone a subscriber receives (visio.rooms.audible): everyone's in a small meeting,
the recent speakers' and whoever speaks now in a large one. The Janus side runs for real in
tests/e2e/test_large_meeting.py; these pin the rules."""

from __future__ import annotations

import time

from tests.rooms.publishers import meeting
from visio.media.janus.replies import SubscribedStream
from visio.media.janus.subscriber import StreamConfiguration
from visio.rooms import audible, speakers
from visio.rooms.audible import AudioSelection
from visio.rooms.participant import Outbox, Participant
from visio.rooms.room import Room

SELECTION = AudioSelection(above=3, speakers=2)


def speak(room: Room, person: Participant, talking: bool = True) -> None:
    """Janus's word on ``person`` (no hold, no confirmation), and the room told."""
    now = time.monotonic()
    speakers.hears(person, talking, 0.0, now)
    speakers.refresh(room, person, now)


def subscribe(room: Room, listener: Participant) -> None:
    """The listener's subscription: every other person's camera and microphone."""
    streams = []
    for index, other in enumerate(room.others(listener)):
        for mid, kind in (("0", "video"), ("1", "audio")):
            streams.append(
                SubscribedStream(
                    mid=f"{kind[0]}{index}", type=kind, feed_id=other.feed_id, feed_mid=mid
                )
            )
    listener.received.follow(room, streams)


def test_audible_is_everyone_at_or_under_the_threshold() -> None:
    """Three microphones on: everyone hears everyone, nobody has to speak first."""
    room, _ = meeting(3)
    assert audible.audible(room, SELECTION) is None
    assert audible.audible(meeting(10)[0], None) is None


def test_audible_counts_only_microphones_that_are_on_and_published() -> None:
    """Muted people and people whose media is not up yet do not make a meeting large."""
    room, people = meeting(5)
    people[0].audio = False
    people[1].publishing = False
    assert audible.audible(room, SELECTION) is None
    people[0].audio = True
    assert audible.audible(room, SELECTION) == frozenset()


def test_audible_is_the_recent_speakers_and_whoever_speaks_now() -> None:
    """Past the threshold: the last two who started speaking, plus anyone speaking still."""
    room, people = meeting(6)
    for person in people[:3]:
        speak(room, person)
        speak(room, person, False)
    assert audible.audible(room, SELECTION) == {people[1].id, people[2].id}
    speak(room, people[0])  # speaking again: the latest speaker
    assert audible.audible(room, SELECTION) == {people[2].id, people[0].id}
    speak(room, people[4])
    speak(room, people[5])
    assert people[0].id in audible.audible(room, SELECTION)  # still speaking, not in the last 2
    speakers.forget(room, people[5])
    assert people[5].id not in room.recent_speakers


def test_changes_pause_and_resume_only_what_differs() -> None:
    """One configure entry per mid to change; a mid Janus reuses for another feed starts
    relayed again."""
    room, people = meeting(5)
    listener = people[0]
    subscribe(room, listener)
    mids = {feed[0]: mid for mid, feed in listener.received.audio_mids.items()}
    speak(room, people[1])
    heard = audible.audible(room, SELECTION)
    wanted = audible.changes(room, listener, heard)
    assert sorted(wanted, key=lambda c: c.mid) == [
        StreamConfiguration(mids[p.feed_id], False) for p in people[2:]
    ]
    audible.applied(listener, wanted)
    assert audible.changes(room, listener, heard) == []
    assert audible.changes(room, listener, None) == [
        StreamConfiguration(mids[p.feed_id], True) for p in people[2:]
    ]
    # people[2] leaves; Janus gives their audio mid to a newcomer, relayed from the start.
    newcomer = Participant(name="New", audio=True, video=True, outbox=Outbox())
    reused = mids[people[2].feed_id]
    streams = [
        SubscribedStream(mid=mid, type="audio", feed_id=feed[0], feed_mid=feed[1])
        for mid, feed in listener.received.audio_mids.items()
        if mid != reused
    ]
    streams.append(
        SubscribedStream(mid=reused, type="audio", feed_id=newcomer.feed_id, feed_mid="1")
    )
    listener.received.follow(room, streams)
    assert reused not in listener.received.audio_paused
    assert listener.received.audio_paused == {mids[p.feed_id] for p in people[3:]}


def test_audible_relays_someone_who_just_turned_their_microphone_on() -> None:
    """Unmuting (or push-to-talk) is how a turn begins in a large meeting: that microphone is
    relayed at once, before Janus hears speech, and no longer once the while has passed
    without a word (time passed in, nothing sleeps)."""
    room, people = meeting(6)
    newcomer = people[5]
    until = audible.unmuted(newcomer, now=100.0)
    assert until == 100.0 + audible.UNMUTED_RELAYED_SECONDS
    assert audible.audible(room, SELECTION, now=100.0) == {newcomer.id}
    assert audible.audible(room, SELECTION, now=until - 0.01) == {newcomer.id}
    assert audible.audible(room, SELECTION, now=until) == frozenset()
    newcomer.audio = False  # muted again at once: nothing to relay
    assert audible.audible(room, SELECTION, now=100.0) == frozenset()
