"""Recording a live meeting: moderators start and stop it, everyone is told, Janus writes.

A moderator sends ``recording.start`` (audio and video, or audio only) or ``recording.stop``;
``policy.record`` decides. Janus's VideoRoom records every publisher of the room into the
recording's own folder (``edit`` with ``new_rec_dir``, then ``enable_recording``): those who
publish later, and screen shares, are recorded too, until the recording stops. Everyone present
gets ``recording.state``, and ``joined`` carries it for those who arrive. The recording stops by
itself when the meeting ends, when the room's Janus goes away, or after
``VISIO_RECORDING_MAX_HOURS``; it is then processed (:class:`~visio.recording.Recordings`). When the
room moves to another Janus (its own was lost), a new recording continues there at once: its own
row and folder, processed on its own, in the name of whoever started the one cut short. Start and
stop go to the audit trail.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from visio.audit import AuditTrail
from visio.media.engine import MediaUnavailableError
from visio.media.janus.client import JanusError
from visio.ratelimit import TokenBucket
from visio.recording import Recordings, processing
from visio.rooms import policy
from visio.rooms.participant import Participant
from visio.rooms.protocol import ProtocolError, RecordingInfo, RecordingState
from visio.rooms.repository import RoomRepository
from visio.tasks import BackgroundTasks

if TYPE_CHECKING:  # the room holds a RecordingSlot: these import this module
    from visio.media.pool import JanusInstance
    from visio.rooms.audit import ModeratorAudit
    from visio.rooms.device_spool import DeviceSpool
    from visio.rooms.media import RoomMedia
    from visio.rooms.room import Room
    from visio.transcripts.voice_split import VoiceSplits

logger = logging.getLogger(__name__)

STARTS_BURST = 3
STARTS_PER_SECOND = 1 / 20
"""A room's recordings may start 3 times in a row, then once every 20 s: each start is a row, a
folder and a processing job, and an interim moderator may be anyone in a public room."""


@dataclass(frozen=True)
class LiveRecording:
    recording_id: str
    video: bool
    started_at: datetime
    started_by: str
    janus_room_id: int
    janus: JanusInstance
    started_by_user: int | None = None


@dataclass(eq=False)
class RecordingSlot:
    """The room's recording, as the room holds it (None: not recording)."""

    current: LiveRecording | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    limit: asyncio.TimerHandle | None = None
    starts: TokenBucket = field(
        default_factory=lambda: TokenBucket(STARTS_PER_SECOND, STARTS_BURST)
    )
    names: dict[int, str] = field(default_factory=dict)
    """Janus feed id → display name of everyone present while it records: the names on the
    composite video's tiles (written to ``raw/names.json`` when it stops)."""

    def present(self, participant: Participant) -> None:
        """Someone joined: their tile will carry their name if they publish."""
        if self.current is not None:
            self.names[participant.feed_id] = participant.name

    def info(self) -> RecordingInfo:
        live = self.current
        if live is None:
            return RecordingInfo(active=False)
        return RecordingInfo(
            active=True, video=live.video, started_at=live.started_at, started_by=live.started_by
        )


def shared_feeds(room: Room) -> list[int]:
    """The Janus feeds of the shared room devices present (spoken yet or not)."""
    return [p.feed_id for p in room.participants.values() if p.shared_device]


class RoomRecorder:
    """Starts and stops the recording of live rooms."""

    def __init__(
        self,
        recordings: Recordings,
        repository: RoomRepository,
        audit: AuditTrail,
        moderator_audit: ModeratorAudit,
        max_seconds: float,
    ) -> None:
        self._recordings = recordings
        self._repository = repository
        self._audit = audit
        self._moderator_audit = moderator_audit
        self._max_seconds = max_seconds
        self._background = BackgroundTasks("room recording")
        self.device_spool: DeviceSpool | None = None
        """Janus's own recording of shared devices, which the room's recording takes over."""
        self.voice_splits: VoiceSplits | None = None
        """Keeps a transcribed meeting's shared devices' tracks before processing deletes the
        raw folder (when wired)."""

    async def start(
        self, room: Room, media: RoomMedia, moderator: Participant, video: bool
    ) -> None:
        """A moderator starts recording (nothing changes when it already records)."""
        policy.enforce(policy.record(moderator.standing))
        slot = room.recording
        async with slot.lock:
            if slot.current is not None:
                moderator.send(RecordingState(**slot.info().model_dump()))
                return
            if not slot.starts.allow():
                raise ProtocolError(
                    "rate_limited",
                    "recording was started too often here; wait "
                    f"{slot.starts.seconds_until_allowed()} s",
                )
            stored = await self._repository.get(room.slug)
            if stored is None:
                raise ProtocolError("room_not_found", "this room was deleted", fatal=True)
            visitor = moderator.visitor
            recording = await self._recordings.begin(
                stored.id,
                room.slug,
                "video" if video else "audio",
                visitor.user.id if visitor.user else None,
                moderator.name,
            )
            try:
                janus, janus_room_id = await self._record_on_janus(room, media, recording.id)
            except (JanusError, MediaUnavailableError) as exc:
                logger.warning("room %s: Janus did not start recording: %s", room.slug, exc)
                raise ProtocolError(
                    "media_unavailable", "the media engine could not start recording; try again"
                ) from None
            slot.current = LiveRecording(
                recording.id,
                video,
                recording.started_at,
                moderator.name,
                janus_room_id,
                janus,
                visitor.user.id if visitor.user else None,
            )
            slot.limit = asyncio.get_running_loop().call_later(
                self._max_seconds, lambda: self._background.spawn(self._limit_reached(room))
            )
            slot.names = {p.feed_id: p.name for p in room.participants.values()}
        logger.info("room %s: %s started recording %s", room.slug, moderator.id, recording.id)
        await self._moderator_audit.record(
            "room.recording_started",
            moderator,
            room,
            recording=recording.id,
            kind=recording.kind,
        )
        room.broadcast(RecordingState(**slot.info().model_dump()))

    async def stop(self, room: Room, moderator: Participant) -> None:
        """A moderator stops the recording (nothing changes when none runs)."""
        policy.enforce(policy.record(moderator.standing))
        stopped = await self._stop(room)
        if stopped is None:
            moderator.send(RecordingState(active=False))
            return
        logger.info("room %s: %s stopped recording %s", room.slug, moderator.id, stopped)
        await self._moderator_audit.record(
            "room.recording_stopped", moderator, room, recording=stopped, reason="stopped"
        )

    async def meeting_ended(self, room: Room) -> None:
        """The last person left, or a moderator ended the meeting: the recording stops."""
        await self._stop_by_itself(room, "meeting_ended")

    async def media_lost(self, room: Room) -> LiveRecording | None:
        """Janus went away: what it wrote so far is kept and processed. Return the recording
        it cut short (None: none ran), for :meth:`media_moved`."""
        live = room.recording.current
        stopped = await self._stop_by_itself(room, "media_engine_lost", janus_gone=True)
        return live if live is not None and stopped == live.recording_id else None

    async def media_moved(self, room: Room, media: RoomMedia, previous: LiveRecording) -> None:
        """The room moved to another Janus: record there, as a new recording that continues
        ``previous`` (same kind, same person), unless a moderator started one meanwhile."""
        slot = room.recording
        async with slot.lock:
            stored = await self._repository.get(room.slug)
            if slot.current is not None or room.janus is None or stored is None:
                return
            recording = await self._recordings.begin(
                stored.id,
                room.slug,
                "video" if previous.video else "audio",
                previous.started_by_user,
                previous.started_by,
            )
            try:
                janus, janus_room_id = await self._record_on_janus(room, media, recording.id)
            except (JanusError, MediaUnavailableError) as exc:
                logger.warning("room %s: could not record on the new Janus: %s", room.slug, exc)
                return
            slot.current = LiveRecording(
                recording.id,
                previous.video,
                recording.started_at,
                previous.started_by,
                janus_room_id,
                janus,
                previous.started_by_user,
            )
            slot.limit = asyncio.get_running_loop().call_later(
                self._max_seconds, lambda: self._background.spawn(self._limit_reached(room))
            )
            slot.names = {p.feed_id: p.name for p in room.participants.values()}
        logger.info(
            "room %s: recording %s continues %s on Janus %s",
            room.slug,
            recording.id,
            previous.recording_id,
            janus.name,
        )
        await self._audit.record(
            "room.recording_started",
            "success",
            target=room.slug,
            details={
                "recording": recording.id,
                "continues": previous.recording_id,
                "reason": "media_engine_moved",
            },
        )
        room.broadcast(RecordingState(**slot.info().model_dump()))

    async def _record_on_janus(
        self, room: Room, media: RoomMedia, recording_id: str
    ) -> tuple[JanusInstance, int]:
        """Tell the room's Janus to record into ``recording_id``'s folder; on failure the
        recording is abandoned and the Janus or media error raised."""
        try:
            janus = await media.ensure_janus_room(room)
            assert room.janus_room_id is not None
            if self.device_spool is not None:
                await self.device_spool.pause(room)
            await janus.videoroom.record(
                room.janus_room_id, str(self._recordings.raw_folder(recording_id))
            )
        except (JanusError, MediaUnavailableError):
            await self._recordings.abandon(recording_id)
            if self.device_spool is not None:  # the shared devices are recorded on their own
                await self.device_spool.resume(room)
            raise
        return janus, room.janus_room_id

    async def _limit_reached(self, room: Room) -> None:
        await self._stop_by_itself(room, "longest_recording_reached")

    async def _stop_by_itself(
        self, room: Room, reason: str, *, janus_gone: bool = False
    ) -> str | None:
        stopped = await self._stop(room, janus_gone=janus_gone)
        if stopped is None:
            return None
        logger.info("room %s: recording %s stopped (%s)", room.slug, stopped, reason)
        await self._audit.record(
            "room.recording_stopped",
            "success",
            target=room.slug,
            details={"recording": stopped, "reason": reason},
        )
        return stopped

    async def _stop(self, room: Room, *, janus_gone: bool = False) -> str | None:
        """Stop Janus recording, tell everyone, and hand the files to processing; return the
        recording's id (None: nothing was recorded)."""
        slot = room.recording
        async with slot.lock:
            live = slot.current
            if live is None:
                return None
            slot.current = None
            if slot.limit is not None:
                slot.limit.cancel()
                slot.limit = None
            if not janus_gone:
                try:
                    await live.janus.videoroom.record(live.janus_room_id, None)
                except (JanusError, MediaUnavailableError) as exc:
                    # Janus closes the files when it destroys the room or goes away.
                    logger.warning("room %s: Janus did not stop recording: %s", room.slug, exc)
            room.broadcast(RecordingState(active=False))
            names = {**slot.names, **{p.feed_id: p.name for p in room.participants.values()}}
            await self._write_names(room, live.recording_id, names)
            transcript = room.transcript
            if self.voice_splits is not None and transcript is not None:
                await self.voice_splits.keep_from_recording(
                    transcript.transcript_id,
                    live.recording_id,
                    [*transcript.shared_feeds.values(), *shared_feeds(room)],
                )
            await self._recordings.finish(live.recording_id)
            if self.device_spool is not None and not janus_gone:
                await self.device_spool.resume(room)
            return live.recording_id

    async def _write_names(self, room: Room, recording_id: str, names: dict[int, str]) -> None:
        """``raw/names.json`` for the tiles' labels; a failure costs only the labels."""
        path = self._recordings.raw_folder(recording_id) / processing.NAMES_FILE
        body = json.dumps({str(feed): name for feed, name in names.items()}, ensure_ascii=False)
        try:
            await asyncio.to_thread(path.write_text, body, "utf-8")
        except OSError as exc:
            logger.warning(
                "room %s: names of recording %s not written: %s", room.slug, recording_id, exc
            )

    def close(self) -> None:
        self._background.cancel_all()
