"""A shared room device's own audio, kept by Janus while the meeting is transcribed.

Telling a shared device's voices apart after the meeting (:mod:`visio.transcripts.voice_split`)
needs the device's own track. While a transcript is on and the meeting is **not** recorded, the
room asks Janus to record each shared device's publisher on its own (the VideoRoom's
per-publisher ``configure`` ``record``) into the transcript's private spool folder
(``<recordings dir>/shared-devices/<transcript id>/``, set as the room's recording folder); the
files are named as the room's own recordings name them (``videoroom-<room>-user-<feed>-<time>``
+ ``-audio-0.mjr``). The meeting is already announced as transcribed; the spool is deleted once
the voices are told apart (or with the transcript).

**With the room's recording.** Janus 1.1 has one recording folder per room and a per-publisher
recording state that ``enable_recording`` overrides, so the two cannot run side by side: when a
moderator starts recording, the devices' own recordings stop first (:meth:`pause`) and Janus
records them with everyone else into the recording's folder, from which their tracks are linked
into the spool when it stops (:meth:`VoiceSplits.keep_from_recording`); when the recording
stops, the devices' own recordings start again (:meth:`resume`) while the transcript is on.
Janus also records the device's camera, if it sends one: those files go with the spool.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING

from visio.media.engine import MediaUnavailableError
from visio.media.janus.client import JanusError
from visio.rooms.participant import Participant

if TYPE_CHECKING:
    from visio.rooms.room import Room

logger = logging.getLogger(__name__)


class DeviceSpool:
    """Starts and stops Janus's own recording of a transcribed meeting's shared devices."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self.failures = 0
        """Devices Janus did not record on their own (each logged: their voices will then not
        be told apart unless the meeting is recorded)."""

    def folder(self, transcript_id: int) -> Path:
        return self._root / str(transcript_id)

    def _wanted(self, room: Room, participant: Participant) -> bool:
        return (
            room.transcript is not None
            and room.recording.current is None
            and participant.shared_device
            and participant.publisher is not None
            and room.janus is not None
            and room.janus_room_id is not None
        )

    async def start(self, room: Room, participant: Participant) -> None:
        """Record this shared device on its own if the meeting is transcribed, not recorded,
        and it is not recorded yet."""
        live = room.transcript
        if live is None or not self._wanted(room, participant):
            return
        if live.spooled.get(participant.id) is participant.publisher:
            return  # already recorded through this handle
        assert room.janus is not None and room.janus_room_id is not None
        assert participant.publisher is not None
        folder = self.folder(live.transcript_id)
        base = f"videoroom-{room.janus_room_id}-user-{participant.feed_id}-{time.time_ns() // 1000}"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            await room.janus.videoroom.set_recording_folder(room.janus_room_id, str(folder))
            await participant.publisher.record(base)
        except (JanusError, MediaUnavailableError, OSError) as exc:
            self.failures += 1
            logger.error(
                "room %s: Janus did not record shared device %s for transcript %d: %s",
                room.slug,
                participant.id,
                live.transcript_id,
                exc,
            )
            return
        live.spooled[participant.id] = participant.publisher
        logger.info(
            "room %s: shared device %s recorded on its own for transcript %d",
            room.slug,
            participant.id,
            live.transcript_id,
        )

    async def start_all(self, room: Room) -> None:
        for participant in list(room.participants.values()):
            await self.start(room, participant)

    async def stop_all(self, room: Room) -> None:
        """Stop the devices' own recordings (Janus closes their files)."""
        live = room.transcript
        if live is None:
            return
        for participant_id, handle in list(live.spooled.items()):
            del live.spooled[participant_id]
            participant = room.participants.get(participant_id)
            publisher = participant.publisher if participant is not None else None
            if publisher is None or publisher is not handle:
                continue  # gone, or a new handle: Janus closed the files with the old one
            try:
                await publisher.record(None)
            except (JanusError, MediaUnavailableError) as exc:
                logger.warning(
                    "room %s: Janus did not stop recording shared device %s: %s",
                    room.slug,
                    participant_id,
                    exc,
                )

    async def pause(self, room: Room) -> None:
        """The room's recording starts: it records the devices too (see the module's note)."""
        await self.stop_all(room)

    async def resume(self, room: Room) -> None:
        """The room's recording stopped: record the devices on their own again."""
        await self.start_all(room)
