"""Whose microphone each participant receives: everyone's in a small meeting, only the recent
speakers' in a large one.

Decoding thirty Opus streams costs a listener's browser CPU and link for nothing: at any moment
few people speak. Above ``above`` publishers with their microphone on, the room's subscribers
get the microphones of the ``speakers`` people who most recently started speaking, plus anyone
speaking now (as Janus's talk detection hears them, ``visio.rooms.speakers``); the others' audio
mids stay in the subscription but Janus does not relay them. Switching is one subscriber
``configure`` with ``send`` per mid (janus_videoroom.c), with no renegotiation: a new speaker
is heard as soon as Janus says ``talking``, and no SDP round trip with the browser is needed.

Forwarding starts earlier where there is a sign: the recent speakers are relayed all along (they
lose nothing when they speak again), a speaker stays relayed through the pauses of their turn
(the hold, ``speakers``), and someone who just turned their microphone on (people arrive muted in
large meetings, so unmuting, or push-to-talk, is how a turn begins) is relayed for
``UNMUTED_RELAYED_SECONDS`` before Janus hears them, so their first word is not cut.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from visio.media.janus.subscriber import StreamConfiguration
from visio.rooms.participant import Participant
from visio.rooms.room import Room

RECENT_SPEAKERS_KEPT = 32
"""How many recent speakers a room remembers (more than any sensible ``speakers``)."""
UNMUTED_RELAYED_SECONDS = 3.0
"""How long someone who turned their microphone on is relayed before Janus hears them speak."""


@dataclass(frozen=True)
class AudioSelection:
    above: int
    """Publishers with their microphone on above which selection starts."""
    speakers: int
    """How many of the most recent speakers everyone keeps hearing."""


def audible(
    room: Room, selection: AudioSelection | None, now: float | None = None
) -> frozenset[str] | None:
    """The participants whose microphone the room's subscribers receive now; None: everyone's
    (a small meeting, or no selection)."""
    if selection is None:
        return None
    microphones = sum(
        1
        for p in room.participants.values()
        if p.publishing and p.audio and "microphone" in p.tracks.values()
    )
    if microphones <= selection.above:
        return None
    now = time.monotonic() if now is None else now
    unmuted = {
        p.id
        for p in room.participants.values()
        if p.unmuted_until is not None and now < p.unmuted_until and p.audio
    }
    # Janus hears them, though it is not their turn yet (``speakers``): heard all the same, so
    # that their first words are not lost while the turn is confirmed.
    talking = {p.id for p in room.participants.values() if p.talking and p.audio}
    return (
        frozenset(room.recent_speakers[-selection.speakers :])
        | frozenset(room.speaking)
        | frozenset(unmuted)
        | frozenset(talking)
    )


def unmuted(participant: Participant, now: float) -> float:
    """``participant`` turned their microphone on: relay it for a while; returns until when."""
    participant.unmuted_until = now + UNMUTED_RELAYED_SECONDS
    return participant.unmuted_until


def started_speaking(room: Room, participant_id: str) -> None:
    """Keep the room's list of recent speakers, the latest last."""
    recent = room.recent_speakers
    if participant_id in recent:
        recent.remove(participant_id)
    recent.append(participant_id)
    del recent[:-RECENT_SPEAKERS_KEPT]


def forget(room: Room, participant_id: str) -> None:
    if participant_id in room.recent_speakers:
        room.recent_speakers.remove(participant_id)


def changes(
    room: Room, participant: Participant, heard: frozenset[str] | None
) -> list[StreamConfiguration]:
    """What Janus must change in ``participant``'s subscription so that it relays exactly the
    microphones of ``heard`` (None: all)."""
    owners = {p.feed_id: p.id for p in room.participants.values()}
    received = participant.received
    wanted: list[StreamConfiguration] = []
    for mid, (feed_id, _) in received.audio_mids.items():
        send = heard is None or owners.get(feed_id) in heard
        if send == (mid in received.audio_paused):
            wanted.append(StreamConfiguration(mid, send))
    return wanted


def applied(participant: Participant, done: list[StreamConfiguration]) -> None:
    """Janus confirmed ``done``."""
    for change in done:
        if change.send:
            participant.received.audio_paused.discard(change.mid)
        else:
            participant.received.audio_paused.add(change.mid)
