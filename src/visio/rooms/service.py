"""The room service: every live room on this server, who enters and who leaves.

The WebSocket handler (``signaling``) parses and rate-limits frames and calls in here. This
module coordinates; the parts have their own modules: the lobby (``lobby``), what moderators do
(``moderation``), each participant's publisher and subscriber in Janus (``media``), captions
(``captions``); every authorisation decision is ``policy``'s. A room lives in this process
while anyone is in it or waiting; what must outlive it (rooms, roles, removals) is in the
database.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable
from datetime import UTC, datetime

from visio.audit import AuditTrail
from visio.directory import member_key
from visio.media.pool import JanusInstance, JanusPool
from visio.recording import Recordings
from visio.rooms import policy, speakers
from visio.rooms.audit import ModeratorAudit
from visio.rooms.captions import RoomCaptions, replay_finals
from visio.rooms.chat import Chat
from visio.rooms.chat_history import ChatHistory
from visio.rooms.chat_mirror import ChatMirror
from visio.rooms.events import MeetingObserver
from visio.rooms.lobby import Lobby
from visio.rooms.media import RoomMedia, RoomsLoad
from visio.rooms.moderation import Moderation
from visio.rooms.participant import Entrant, Participant, Visitor, WaitingPerson
from visio.rooms.protocol import (
    CaptionLanguage,
    ErrorMessage,
    Joined,
    LeaveReason,
    Limits,
    ParticipantJoined,
    ParticipantLeft,
    ParticipantUpdated,
    ProtocolError,
    RecordingInfo,
    ResumeToken,
    Role,
    Source,
)
from visio.rooms.recording import RoomRecorder
from visio.rooms.repository import RoomRepository, StoredRoom
from visio.rooms.resume import (
    Claim,
    Comeback,
    LocalRoleMemory,
    Outcome,
    Record,
    ResumeTokens,
    Resumption,
)
from visio.rooms.room import Room
from visio.rooms.transcription import RoomTranscription, transcription_info
from visio.settings import Settings
from visio.tasks import BackgroundTasks
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
        resumption: Resumption | None = None,
        chat_mirror: ChatMirror | None = None,
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
        self.chat = Chat(settings, repository, chat_history, moderator_audit, chat_mirror)
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
        # Without one given (a test's service), tokens hold for this process only.
        self.resumption = resumption or Resumption(
            ResumeTokens(secrets.token_bytes(32), settings.resume_ttl_seconds),
            LocalRoleMemory(settings.resume_ttl_seconds),
        )
        self._background = BackgroundTasks("room service")

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
            comeback = await self._comeback(room, entrant, removed)
            if comeback is not None:
                # They were in this meeting moments ago: not sent to the lobby again.
                return room, self._enter(room, entrant, role, comeback)
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

    async def _comeback(self, room: Room, entrant: Entrant, removed: bool) -> Comeback | None:
        """Whether the resume token sent with ``join`` brings someone back: a valid token for
        this room and person, and a record of them in the room's role memory (or their ghost,
        still present). Anything else is a plain join, counted by why."""
        if entrant.resume is None:
            return None
        claim = self.resumption.tokens.check(entrant.resume, room.slug, _bound_to(entrant.visitor))
        comeback: Comeback | None = None
        outcome: Outcome
        if not isinstance(claim, Claim):
            outcome = claim
        else:
            ghost = room.participants.get(claim.participant_id)
            if ghost is not None and _bound_to(ghost.visitor) != _bound_to(entrant.visitor):
                record: Record | None = None
            elif ghost is not None:
                record = _record(ghost)
            else:
                record = await self.resumption.memory.recall(room.slug, claim.participant_id)
            if removed or (record is not None and record.removed):
                outcome = "removed"
            elif record is None:
                outcome = "unknown"
            else:
                outcome, comeback = "resumed", Comeback(claim.participant_id, record)
        self.resumption.counted(outcome)
        logger.info("room %s: resume token %s", room.slug, outcome)
        return comeback

    def _enter(
        self, room: Room, entrant: Entrant, role: Role | None, comeback: Comeback | None = None
    ) -> Participant:
        displaced = room.participants.get(comeback.participant_id) if comeback else None
        if len(room.participants) - (displaced is not None) >= self._settings.room_max_participants:
            raise ProtocolError(
                "room_full",
                f"the room has {self._settings.room_max_participants} participants already",
                fatal=True,
            )
        participant = Participant.entering(
            entrant, role, moderator_by="role" if policy.moderates(role) else None
        )
        if comeback is not None:
            # The same person as before: their id, place in the queue, hand and promotion.
            participant.id = comeback.participant_id
            participant.joined_at = comeback.record.joined_at
            participant.hand_raised_at = comeback.record.hand_raised_at
            if participant.moderator_by is None and comeback.record.promoted:
                participant.moderator_by = "promoted"
        others = [p.info() for p in room.participants.values() if p is not displaced]
        ice = self.ice_servers(participant)
        if displaced is not None:
            self._displace(room, displaced)
        room.participants[participant.id] = participant
        room.recording.present(participant)
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
                    resume_token=self._resume_token(room, participant),
                )
            )
            self.lobby.show_to(participant, room)
            if comeback is not None:
                replayed = replay_finals(room, participant)
                if replayed:
                    logger.info(
                        "room %s: %d subtitles replayed to %s", room.slug, replayed, participant.id
                    )
            # Whoever saw the ghost sees the same participant carry on, not a leave and a join.
            room.broadcast(
                ParticipantUpdated(participant=participant.info())
                if displaced is not None
                else ParticipantJoined(participant=participant.info()),
                exclude=participant,
            )
            announced = True
            self._announce_moderators(room, [p for p in changed if p is not participant])
        except BaseException:
            participant.gone = True
            room.participants.pop(participant.id, None)
            if announced or displaced is not None:
                room.broadcast(ParticipantLeft(participant_id=participant.id, reason="left"))
            self._announce_moderators(room, _settle_moderators(room))
            raise
        self._remember(room, participant)
        self.media.sync_later(room, participant)
        if displaced is not None:
            # The same participant carries on: no new arrival for webhooks either.
            logger.info("room %s: participant %s came back", room.slug, participant.id)
            return participant
        logger.info("room %s: participant %s joined", room.slug, participant.id)
        if self._observer is not None:
            self._observer.participant_joined(room.slug, participant)
        return participant

    def _displace(self, room: Room, ghost: Participant) -> None:
        """Take out the old connection of someone who came back on a new one (its socket had
        not been seen to close): nobody is told they left. Its media is released after."""
        ghost.gone = True
        ghost.publishing = False
        room.participants.pop(ghost.id, None)
        speakers.forget(room, ghost)
        self.media.audio_changed(room)
        self.chat.participant_gone(room, ghost)
        ghost.send(
            ErrorMessage(
                code="replaced",
                message="you joined this meeting again from another connection",
                fatal=True,
            )
        )
        ghost.outbox.close()
        self._background.spawn(self._release_ghost(room, ghost))

    async def _release_ghost(self, room: Room, ghost: Participant) -> None:
        await self.captions.participant_gone(room, ghost)
        await self.media.release(ghost)
        for other in list(room.participants.values()):
            self.media.sync_later(room, other)

    # ---- resuming ------------------------------------------------------------------------------

    def _resume_token(self, room: Room, participant: Participant) -> str:
        return self.resumption.tokens.mint(
            room.slug, participant.id, _bound_to(participant.visitor)
        )

    def _remember(self, room: Room, participant: Participant) -> None:
        self.resumption.memory.remember(room.slug, participant.id, _record(participant))

    async def keep_resumable(self, room: Room, participant: Participant) -> None:
        """While the participant is connected: a fresh token every third of a token's life, and
        their record rewritten, so both outlive the socket by a token's life."""
        while not participant.gone:
            await asyncio.sleep(self.resumption.refresh_seconds)
            if participant.gone:
                return
            participant.send(ResumeToken(token=self._resume_token(room, participant)))
            self._remember(room, participant)

    def _announce_moderators(self, room: Room, changed: list[Participant]) -> None:
        """Everyone sees the new moderator status; new moderators see the lobby."""
        for participant in changed:
            room.broadcast(ParticipantUpdated(participant=participant.info()))
            self.lobby.show_to(participant, room)
            self._remember(room, participant)

    def _promoted(self, room: Room, participant: Participant) -> None:
        self._announce_moderators(room, [participant])

    async def leave(self, room: Room, participant: Participant, reason: LeaveReason) -> None:
        """Remove a participant; the others see them go at once."""
        if participant.gone:
            return
        participant.gone = True
        room.participants.pop(participant.id, None)
        speakers.forget(room, participant)
        self.media.audio_changed(room)
        room.broadcast(ParticipantLeft(participant_id=participant.id, reason=reason))
        logger.info("room %s: participant %s left (%s)", room.slug, participant.id, reason)
        if self._observer is not None:
            self._observer.participant_left(room.slug, participant, reason, len(room.participants))
        await self.captions.participant_gone(room, participant)
        self.chat.participant_gone(room, participant)
        self._announce_moderators(room, _settle_moderators(room))
        memory = self.resumption.memory
        if reason == "removed":
            memory.remember(room.slug, participant.id, Record(participant.joined_at, removed=True))
        elif reason == "left":
            memory.forget(room.slug, participant.id)
        if room.empty and reason != "disconnected":
            # Over on purpose: nobody resumes into the next meeting here. (When everyone's
            # connection dropped, their records stay for a token's life.)
            memory.forget_room(room.slug)
            self.chat.mirror.forget(room.slug)
        published = bool(participant.tracks)
        await self.media.release(participant)
        if room.empty:
            await self._close(room)
        elif published:
            # Only a publisher's leaving changes what the others receive: syncing everyone after
            # every leave cost O(n²) in a large room (17 ms a leave at 300 people, bench.load).
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
        microphone_on = audio and not participant.audio
        participant.audio, participant.video = audio, video
        room.broadcast(ParticipantUpdated(participant=participant.info()), exclude=participant)
        speakers.refresh(room, participant)
        if microphone_on:
            self.media.microphone_on(room, participant)
        else:
            self.media.audio_changed(room)
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
        self._remember(room, participant)

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
        self._background.cancel_all()
        self.media.close()
        self.recorder.close()
        for room in list(self._rooms.values()):
            await self.transcription.server_stopping(room)
            for participant in list(room.participants.values()):
                participant.outbox.close()
        await self.resumption.memory.close()
        await self.chat.mirror.close()

    # ---- ICE servers (visio.turn) --------------------------------------------------------------

    def ice_servers(self, participant: Participant) -> IceServerSet:
        """The STUN/TURN servers for this participant, with a TURN credential of their own (the
        one they have while it is fresh enough: asking again mints nothing new)."""
        servers = self._turn.for_participant(participant.id, participant.turn_expires_at)
        participant.turn_expires_at = servers.expires_at
        return servers


def _settle_moderators(room: Room) -> list[Participant]:
    """Apply the interim rule: while nobody moderates by role, the earliest participant present
    moderates (also when they come back with a resume token after someone else stood in);
    once someone with a moderating role is present, the interim moderator steps down. Returns
    those whose moderator status changed."""
    changed: list[Participant] = []
    present = list(room.participants.values())
    if any(p.moderator_by == "role" for p in present):
        for p in present:
            if p.moderator_by == "interim":
                p.moderator_by = None
                changed.append(p)
    elif present:
        earliest = min(present, key=lambda p: p.joined_at)
        interims = [p for p in present if p.moderator_by == "interim"]
        if not any(p.moderator for p in present):
            earliest.moderator_by = "interim"
            changed.append(earliest)
        elif interims and earliest.moderator_by is None:
            # Someone who came back (resume) joined before the stand-in: the role is theirs.
            for p in interims:
                p.moderator_by = None
                changed.append(p)
            earliest.moderator_by = "interim"
            changed.append(earliest)
    return changed


def _bound_to(visitor: Visitor) -> str | None:
    """Whom a resume token is bound to: a signed-in person's account. A guest's token is a bearer
    secret alone: their guest cookie may change between sockets (a socket opened before the
    page's first request set it gets one of its own)."""
    return visitor.key if visitor.user is not None else None


def _record(participant: Participant) -> Record:
    """What the role memory keeps of a participant."""
    return Record(
        joined_at=participant.joined_at,
        promoted=participant.moderator_by == "promoted",
        hand_raised_at=participant.hand_raised_at,
    )
