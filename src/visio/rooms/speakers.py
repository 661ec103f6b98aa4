"""Who is speaking in a meeting, as the media engine hears it.

Janus's VideoRoom measures each publisher's audio level from the ``ssrc-audio-level`` RTP header
extension that browsers send (no audio is decoded). On a room created with ``audiolevel_event``
it averages the level over ``audio_active_packets`` packets and, when the average crosses
``audio_level_average`` one way or the other, pushes ``talking`` or ``stopped-talking`` to every
publisher handle in the room, the speaker's own included (``janus_videoroom.c``,
``janus_videoroom_incoming_rtp_internal``). Reading the event only on the speaker's own handle
gives each change once and in order, however many people are in the room.

Janus decides once per window (``audio_active_packets``, tumbling, not sliding), so a short window
announces a new speaker fast (5 packets: 0.1 to 0.2 s after speech starts) but would also end a
turn at every breath between words, and take a cough for a turn. Starting and stopping are
therefore not symmetric: ``talking`` counts once Janus has heard them for ``confirm`` seconds
(a cough, a chair, a door are over before: nobody is told, the highlight and the speaker layout
stay where they are; their audio is relayed meanwhile all the same, so that no first word is
lost), ``stopped-talking`` only once Janus has heard nothing for ``hold`` seconds (a pause shorter
than that is no end of turn: nobody is told, the highlight and the audio selection stay as they
are). Speaking again within the hold carries the turn on, with no new confirmation. The hold is
the hysteresis; a long window would buy the same steadiness at the price of every start.

What Janus hears (``Participant.talking``, ``held_until``) is not yet what the room is told: a
person whose microphone is off, or paused by a moderator, is never speaking (at once, hold or
not), even while Janus still averages the last packets it had. ``Room.speaking`` holds who is
speaking now; ``Room.active_speaker`` the last person who started to (it outlives their pause,
for layouts and recordings, unless someone else still speaks when their turn ends: the
highlight goes back to them rather than stay on a short interjection).
"""

from __future__ import annotations

import logging
import time

from visio.media.janus.client import JsonObject
from visio.media.janus.replies import talk_event
from visio.rooms import audible
from visio.rooms.participant import Participant
from visio.rooms.protocol import Speaking
from visio.rooms.room import Room

logger = logging.getLogger(__name__)


def heard(
    room: Room,
    participant: Participant,
    data: JsonObject,
    hold: float = 0.0,
    now: float | None = None,
    confirm: float = 0.0,
) -> bool:
    """Read an event of ``participant``'s publisher handle; True when it was talk detection.

    Only the event about the handle's own publisher counts: the same event reaches every
    other publisher's handle too, and is ignored there. A start counts ``confirm`` seconds later
    (``counts_from``), a stop starts a ``hold`` of that many seconds (``held_until``): the caller
    calls :func:`refresh` at those moments.
    """
    event = talk_event(data)
    if event is None:
        return False
    if event.id != participant.feed_id:
        return True
    logger.debug(
        "room %s: Janus hears %s %s (average level -%s dBov)",
        room.slug,
        participant.id,
        "talking" if event.talking else "stop talking",
        event.level,
    )
    if event.mid is not None and participant.tracks.get(event.mid, "microphone") != "microphone":
        return True
    now = time.monotonic() if now is None else now
    hears(participant, event.talking, hold, now, confirm)
    refresh(room, participant, now)
    return True


def hears(
    participant: Participant, talking: bool, hold: float, now: float, confirm: float = 0.0
) -> None:
    """Janus's word on ``participant``: a start counts ``confirm`` seconds later if Janus hears
    them then or again within ``confirm`` of a stop (gaps between words), at once within a hold
    (the same turn goes on); a stop of a turn that counted holds them speaking ``hold`` seconds
    more; a start that never counts (a cough) is seen by nobody."""
    if talking:
        if not participant.talking:
            holding = participant.held_until is not None and now < participant.held_until
            # Janus's windows are short: a gap between words shorter than ``confirm`` keeps the
            # turn that began before it on its way to counting.
            resumed = (
                participant.counts_from is not None
                and participant.quiet_since is not None
                and now - participant.quiet_since <= confirm
            )
            if holding:
                participant.counts_from = now
            elif not resumed:
                participant.counts_from = now + confirm
        participant.held_until = None
        participant.quiet_since = None
    else:
        counted = participant.counts_from is not None and now >= participant.counts_from
        if participant.talking and counted:
            participant.counts_from = None
            if hold > 0:
                participant.held_until = now + hold
        elif participant.talking:
            participant.quiet_since = now  # not a turn yet; it may still become one
    participant.talking = talking


def speaking(participant: Participant, now: float | None = None) -> bool:
    """Whether the room should see this person speaking now."""
    now = time.monotonic() if now is None else now
    held = participant.held_until is not None and now < participant.held_until
    counted = participant.counts_from is not None and now >= participant.counts_from
    return (
        ((participant.talking and counted) or held)
        and participant.audio
        and "microphone" not in participant.paused_sources
        and not participant.gone
    )


def refresh(room: Room, participant: Participant, now: float | None = None) -> None:
    """Tell the room when whether ``participant`` speaks changed (their microphone went off,
    Janus heard them start, their hold ran out)."""
    speaks = speaking(participant, now)
    if not speaks:
        participant.held_until = None  # a microphone turned off ends the turn, hold or not
    if speaks == (participant.id in room.speaking):
        return
    if speaks:
        room.speaking.append(participant.id)
        room.active_speaker = participant.id
        audible.started_speaking(room, participant.id)
    else:
        room.speaking.remove(participant.id)
        if room.active_speaker == participant.id and room.speaking:
            room.active_speaker = room.speaking[-1]
    state = "is" if speaks else "stopped"
    logger.debug("room %s: %s %s speaking", room.slug, participant.id, state)
    room.broadcast(Speaking(participant_id=participant.id, speaking=speaks))


def unheard(participant: Participant) -> None:
    """Janus hears nothing of ``participant`` any more (their media or Janus went): no turn under
    way, waiting to count or held; the caller tells the room with :func:`refresh`."""
    participant.talking = False
    participant.counts_from = None
    participant.quiet_since = None
    participant.held_until = None


def forget(room: Room, participant: Participant) -> None:
    """A participant left: they speak no more (the others learn it from ``participant.left``)."""
    unheard(participant)
    audible.forget(room, participant.id)
    if participant.id in room.speaking:
        room.speaking.remove(participant.id)
    if room.active_speaker == participant.id:
        room.active_speaker = room.speaking[-1] if room.speaking else None


def media_lost(room: Room) -> None:
    """Janus went away: nobody is heard until it is back."""
    for participant in room.participants.values():
        unheard(participant)
        refresh(room, participant)
