"""The room service: every live room on this server, who enters and who leaves.

The WebSocket handler (``signaling``) parses and rate-limits frames and calls in here. This
module coordinates; the parts have their own modules: the lobby (``lobby``), what moderators do
(``moderation``), each participant's publisher and subscriber in Janus (``media``), captions
(``captions``); every authorisation decision is ``policy``'s. A room lives in this process
while anyone is in it or waiting; what must outlive it (rooms, roles, removals) is in the
database.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from visio.audit import AuditTrail
from visio.directory import member_key
from visio.media.pool import JanusInstance, JanusPool
from visio.recording import Recordings
from visio.rooms import policy, speakers
from visio.rooms.audit import ModeratorAudit
from visio.rooms.captions import RoomCaptions
from visio.rooms.chat import Chat
from visio.rooms.chat_history import ChatHistory
from visio.rooms.events import MeetingObserver
from visio.rooms.lobby import Lobby
from visio.rooms.media import RoomMedia, RoomsLoad
from visio.rooms.moderation import Moderation
from visio.rooms.participant import Entrant, Participant, WaitingPerson
from visio.rooms.protocol import (
    CaptionLanguage,
    Joined,
    LeaveReason,
    Limits,
    ParticipantJoined,
    ParticipantLeft,
    ParticipantUpdated,
    ProtocolError,
    RecordingInfo,
    Role,
    Source,
)
from visio.rooms.recording import RoomRecorder
from visio.rooms.repository import RoomRepository, StoredRoom
from visio.rooms.room import Room
from visio.rooms.transcription import RoomTranscription, transcription_info
from visio.settings import Settings
from visio.transcripts.store import TranscriptStore
from visio.turn.credentials import IceServerSet, TurnCredentials

logger = logging.getLogger(__name__)


class RoomService:
    """Owns every live room on this server and coordinates what happens in them."""

    def __init__(
        self,
        settings: Settings,
        repository: RoomRepository,
        janus: JanusPool,
        media: RoomMedia,
        captions: RoomCaptions,
        audit: AuditTrail,
        chat_history: ChatHistory,
        recordings: Recordings,
        transcripts: TranscriptStore,
        observer: MeetingObserver | None = None,
        turn: TurnCredentials | None = None,
    ) -> None:
        self._settings = settings
        self._repository = repository
        self._rooms: dict[str, Room] = {}
        self.media = media
        self.captions = captions
        moderator_audit = ModeratorAudit(audit)
        self.lobby = Lobby(repository, moderator_audit, self._enter)
        self.moderation = Moderation(
            repository, moderator_audit, media, self.lobby, self.leave, self._promoted
        )
        self.chat = Chat(settings, repository, chat_history, moderator_audit)
        self.recorder = RoomRecorder(
            recordings,
            repository,
            audit,
            moderator_audit,
            settings.recording_max_hours * 3600,
        )
        self.transcription = RoomTranscription(captions, transcripts, repository, moderator_audit)
        self._turn = turn or TurnCredentials(settings)
        janus.on_lost(self._on_media_lost)
        janus.on_restored(self._on_media_restored)
        janus.measure_with(RoomsLoad(self._rooms))
        self._observer = observer

    # ---- queries ---------------------------------------------------------------------------

    def participant_count(self, slug: str) -> int:
        room = self._rooms.get(slug)
        return len(room.participants) if room else 0

    def live_rooms(self) -> int:
        return len(self._rooms)

    def participants_total(self) -> int:
        return sum(len(room.participants) for room in self._rooms.values())

    def transcribing(self, slug: str) -> bool:
        """Whether the room's meeting is being transcribed now."""
        room = self._rooms.get(slug)
        return room is not None and room.transcript is not None

    def caption_streams_total(self) -> int:
        return sum(len(room.caption_streams) for room in self._rooms.values())

    def recording(self, slug: str) -> RecordingInfo:
        """Whether the room's meeting is being recorded now (for the pre-join screen)."""
        room = self._rooms.get(slug)
        return room.recording.info() if room else RecordingInfo(active=False)

    # ---- entering and leaving ----------------------------------------------------------------

    async def join(
        self, slug: str, entrant: Entrant, on_admitted: Callable[[Participant], None]
    ) -> tuple[Room, Participant | WaitingPerson]:
        """Let someone in (they get ``joined``, the others ``participant.joined``), or hold them
        in the lobby (they get ``lobby.waiting``, the moderators ``lobby.knock``). A failure on
        the way leaves no trace in the room."""
        stored = await self._repository.get(slug)
        if stored is None:
            raise ProtocolError("room_not_found", f"no room {slug!r}", fatal=True)
        visitor = entrant.visitor
        user_id = visitor.user.id if visitor.user else None
        role = policy.strongest_role(
            await self._repository.role_of(stored, user_id),
            await self._repository.group_roles_of(stored, member_key(self._settings, visitor.user)),
        )
        actor = policy.Actor(user_id=user_id, site_admin=visitor.site_admin, role=role)
        invited = entrant.invitation is not None and await self._repository.invitation_valid(
            stored, entrant.invitation
        )
        removed = visitor.key is not None and await self._repository.is_removed(stored, visitor.key)
        room = self._rooms.setdefault(slug, Room(slug))
        self.media.place(room)
        try:
            await self.chat.meeting_starting(room, stored)
            where = policy.enter_room(
                actor, stored, locked=room.locked, removed=removed, invited=invited
            )
            if isinstance(where, policy.Wait):
                return room, self.lobby.wait(room, entrant, where.reason, role, on_admitted)
            return room, self._enter(room, entrant, role)
        except BaseException:
            if room.empty:
                await self._close(room)
            raise

    def _enter(self, room: Room, entrant: Entrant, role: Role | None) -> Participant:
        if len(room.participants) >= self._settings.room_max_participants:
            raise ProtocolError(
                "room_full",
                f"the room has {self._settings.room_max_participants} participants already",
                fatal=True,
            )
        participant = Participant.entering(
            entrant, role, moderator_by="role" if policy.moderates(role) else None
        )
        others = [p.info() for p in room.participants.values()]
        ice = self.ice_servers(participant)
        room.participants[participant.id] = participant
        announced = False
        try:
            changed = _settle_moderators(room)
            participant.send(
                Joined(
                    reply_to=entrant.reply_to,
                    participant=participant.info(),
                    participants=others,
                    ice_servers=ice.servers,
                    limits=Limits(
                        max_message_bytes=self._settings.protocol_max_message_bytes,
                        rate_per_second=self._settings.protocol_rate_per_second,
                        rate_burst=self._settings.protocol_rate_burst,
                    ),
                    captions=room.captions,
                    locked=room.locked,
                    start_muted=len(room.participants) > self._settings.room_muted_above,
                    speaking=list(room.speaking),
                    chat=room.chat.visible_to(participant),
                    recording=room.recording.info(),
                    transcription=transcription_info(room),
                    ice_refresh_seconds=ice.refresh_seconds,
                )
            )
            self.lobby.show_to(participant, room)
            room.broadcast(ParticipantJoined(participant=participant.info()), exclude=participant)
            announced = True
            self._announce_moderators(room, [p for p in changed if p is not participant])
        except BaseException:
            participant.gone = True
            room.participants.pop(participant.id, None)
            if announced:
                room.broadcast(ParticipantLeft(participant_id=participant.id, reason="left"))
            self._announce_moderators(room, _settle_moderators(room))
            raise
        logger.info("room %s: participant %s joined", room.slug, participant.id)
        if self._observer is not None:
            self._observer.participant_joined(room.slug, participant)
        self.media.sync_later(room, participant)
        return participant

    def _announce_moderators(self, room: Room, changed: list[Participant]) -> None:
        """Everyone sees the new moderator status; new moderators see the lobby."""
        for participant in changed:
            room.broadcast(ParticipantUpdated(participant=participant.info()))
            self.lobby.show_to(participant, room)

    def _promoted(self, room: Room, participant: Participant) -> None:
        self._announce_moderators(room, [participant])

    async def leave(self, room: Room, participant: Participant, reason: LeaveReason) -> None:
        """Remove a participant; the others see them go at once."""
        if participant.gone:
            return
        participant.gone = True
        room.participants.pop(participant.id, None)
        speakers.forget(room, participant)
        room.broadcast(ParticipantLeft(participant_id=participant.id, reason=reason))
        logger.info("room %s: participant %s left (%s)", room.slug, participant.id, reason)
        if self._observer is not None:
            self._observer.participant_left(room.slug, participant, reason, len(room.participants))
        await self.captions.participant_gone(room, participant)
        self.chat.participant_gone(room, participant)
        self._announce_moderators(room, _settle_moderators(room))
        await self.media.release(participant)
        if room.empty:
            await self._close(room)
        else:
            for other in room.others(participant):
                self.media.sync_later(room, other)

    async def leave_lobby(self, room: Room, person: WaitingPerson) -> None:
        """A waiting person closed the tab."""
        self.lobby.left(room, person)
        if room.empty:
            await self._close(room)

    async def _close(self, room: Room) -> None:
        if self._rooms.get(room.slug) is room:
            del self._rooms[room.slug]
        await self.recorder.meeting_ended(room)
        await self.transcription.meeting_over(room)
        await self.media.close_janus_room(room)

    # ---- a participant's own state -----------------------------------------------------------

    async def set_media_state(
        self, room: Room, participant: Participant, audio: bool, video: bool
    ) -> None:
        if (participant.audio, participant.video) == (audio, video):
            return
        participant.audio, participant.video = audio, video
        room.broadcast(ParticipantUpdated(participant=participant.info()), exclude=participant)
        speakers.refresh(room, participant)
        # Someone a moderator muted turned their own microphone or camera back on.
        resumed: set[Source] = set()
        if audio:
            resumed.add("microphone")
        if video:
            resumed.add("camera")
        for source in resumed & participant.paused_sources:
            await self.media.set_relayed(room, participant, source, relayed=True)

    def raise_hand(self, room: Room, participant: Participant, raised: bool) -> None:
        """Raise or lower one's own hand; everyone sees it, moderators see who was first."""
        if raised == (participant.hand_raised_at is not None):
            return
        participant.hand_raised_at = datetime.now(UTC) if raised else None
        room.broadcast(ParticipantUpdated(participant=participant.info()), exclude=participant)

    # ---- what needs the stored room ----------------------------------------------------------

    async def admit(self, room: Room, moderator: Participant, waiting_id: str | None) -> None:
        """A moderator lets one waiting person (or everyone) in; see :class:`Lobby`."""
        await self.lobby.admit(room, (await self._stored(room)).access, moderator, waiting_id)

    async def set_captions(
        self, room: Room, participant: Participant, enabled: bool, language: CaptionLanguage
    ) -> None:
        """A moderator turns the room's captions on or off."""
        policy.enforce(policy.set_captions(participant.standing))
        await self.captions.set(room, participant, enabled, language)

    async def set_caption_translation(
        self, room: Room, participant: Participant, enabled: bool
    ) -> None:
        """Any participant chooses, for themselves, to read the captions in English or not."""
        await self.captions.set_translation(room, participant, enabled)

    async def _stored(self, room: Room) -> StoredRoom:
        stored = await self._repository.get(room.slug)
        if stored is None:
            raise ProtocolError("room_not_found", "this room was deleted", fatal=True)
        return stored

    # ---- the media engine coming and going ----------------------------------------------------

    async def _on_media_lost(self, janus: JanusInstance) -> None:
        """A Janus is gone: its rooms move to another at once (or wait for one to be up)."""
        rooms = [room for room in self._rooms.values() if room.janus is janus]
        recordings = []
        for room in rooms:
            self.captions.media_lost(room)
            self.media.lost(room)
            recordings.append(await self.recorder.media_lost(room))
        for room, recording in zip(rooms, recordings, strict=True):
            await self.media.move(room, janus)
            if recording is not None:
                await self.recorder.media_moved(room, self.media, recording)

    async def _on_media_restored(self, _: JanusInstance) -> None:
        for room in list(self._rooms.values()):
            await self.media.restored(room)

    async def close(self) -> None:
        self.media.close()
        self.recorder.close()
        for room in list(self._rooms.values()):
            await self.transcription.server_stopping(room)
            for participant in list(room.participants.values()):
                participant.outbox.close()

    # ---- ICE servers (visio.turn) --------------------------------------------------------------

    def ice_servers(self, participant: Participant) -> IceServerSet:
        """The STUN/TURN servers for this participant, with a TURN credential of their own (the
        one they have while it is fresh enough: asking again mints nothing new)."""
        servers = self._turn.for_participant(participant.id, participant.turn_expires_at)
        participant.turn_expires_at = servers.expires_at
        return servers


def _settle_moderators(room: Room) -> list[Participant]:
    """Apply the interim rule: while nobody moderates by role, the earliest participant present
    moderates; once someone with a moderating role is present, the interim moderator steps down.
    Returns those whose moderator status changed."""
    changed: list[Participant] = []
    present = list(room.participants.values())
    if any(p.moderator_by == "role" for p in present):
        for p in present:
            if p.moderator_by == "interim":
                p.moderator_by = None
                changed.append(p)
    elif present and not any(p.moderator for p in present):
        earliest = min(present, key=lambda p: p.joined_at)
        earliest.moderator_by = "interim"
        changed.append(earliest)
    return changed
