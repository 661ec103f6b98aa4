"""Who is speaking in a meeting, as the media engine hears it.

Janus's VideoRoom measures each publisher's audio level from the ``ssrc-audio-level`` RTP header
extension that browsers send (no audio is decoded). On a room created with ``audiolevel_event``
it averages the level over ``audio_active_packets`` packets and, when the average crosses
``audio_level_average`` one way or the other, pushes ``talking`` or ``stopped-talking`` to every
publisher handle in the room, the speaker's own included (``janus_videoroom.c``,
``janus_videoroom_incoming_rtp_internal``). Reading the event only on the speaker's own handle
gives each change once and in order, however many people are in the room.

What Janus hears (``Participant.talking``) is not yet what the room is told: a person whose
microphone is off, or paused by a moderator, is never speaking, even while Janus still averages
the last packets it had. ``Room.speaking`` holds who is speaking now; ``Room.active_speaker`` the
last person who started to (it outlives their pause, for layouts and recordings).
"""

from __future__ import annotations

import logging

from visio.media.janus.client import JsonObject
from visio.media.janus.replies import talk_event
from visio.rooms import audible
from visio.rooms.participant import Participant
from visio.rooms.protocol import Speaking
from visio.rooms.room import Room

logger = logging.getLogger(__name__)


def heard(room: Room, participant: Participant, data: JsonObject) -> bool:
    """Read an event of ``participant``'s publisher handle; True when it was talk detection.

    Only the event about the handle's own publisher counts: the same event reaches every
    other publisher's handle too, and is ignored there.
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
    participant.talking = event.talking
    refresh(room, participant)
    return True


def speaking(participant: Participant) -> bool:
    """Whether the room should see this person speaking now."""
    return (
        participant.talking
        and participant.audio
        and "microphone" not in participant.paused_sources
        and not participant.gone
    )


def refresh(room: Room, participant: Participant) -> None:
    """Tell the room when whether ``participant`` speaks changed (their microphone went off,
    Janus heard them start or stop)."""
    now = speaking(participant)
    if now == (participant.id in room.speaking):
        return
    if now:
        room.speaking.append(participant.id)
        room.active_speaker = participant.id
        audible.started_speaking(room, participant.id)
    else:
        room.speaking.remove(participant.id)
    logger.debug("room %s: %s %s speaking", room.slug, participant.id, "is" if now else "stopped")
    room.broadcast(Speaking(participant_id=participant.id, speaking=now))


def forget(room: Room, participant: Participant) -> None:
    """A participant left: they speak no more (the others learn it from ``participant.left``)."""
    participant.talking = False
    audible.forget(room, participant.id)
    if participant.id in room.speaking:
        room.speaking.remove(participant.id)
    if room.active_speaker == participant.id:
        room.active_speaker = room.speaking[-1] if room.speaking else None


def media_lost(room: Room) -> None:
    """Janus went away: nobody is heard until it is back."""
    for participant in room.participants.values():
        participant.talking = False
        refresh(room, participant)
