"""The room service: joining, publishing, subscribing and leaving, translated into Janus calls.

This is where the room protocol's meaning lives. The WebSocket handler (``signaling``) parses and
rate-limits frames and calls these methods; they check the request against the room's state,
drive the Janus VideoRoom plugin and tell the other participants what changed.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any, Literal

from visio.audit import AuditTrail
from visio.captions.subtitler import Subtitler
from visio.directory import member_key
from visio.media.engine import MediaEngine, MediaUnavailableError
from visio.media.janus.client import JanusError, JsonObject, PluginEvent
from visio.media.videoroom import VIDEOROOM, VideoRoomAdmin
from visio.rooms import policy
from visio.rooms.participant import Outbox, Participant, Visitor, WaitingPerson
from visio.rooms.protocol import (
    CaptionLanguage,
    ErrorCode,
    ErrorMessage,
    IceCandidate,
    Joined,
    Limits,
    LobbyKnock,
    LobbyLeft,
    LobbyList,
    LobbyWaiting,
    MediaInterrupted,
    MediaReset,
    Moderated,
    ModerationAction,
    ParticipantJoined,
    ParticipantLeft,
    ParticipantUpdated,
    ProtocolError,
    Publish,
    RoomRole,
    RoomState,
    ServerTrickle,
    Source,
    StreamInfo,
    SubscriberOffer,
    Target,
)
from visio.rooms.repository import RoomRepository
from visio.rooms.room import Room, new_janus_room_id
from visio.settings import Settings
from visio.tasks import BackgroundTasks

logger = logging.getLogger(__name__)

LeaveReason = Literal["left", "disconnected", "removed"]


class RoomService:
    """Owns every live room and each participant's media handles."""

    def __init__(
        self,
        settings: Settings,
        repository: RoomRepository,
        engine: MediaEngine,
        videoroom: VideoRoomAdmin,
        subtitler: Subtitler,
        audit: AuditTrail,
    ) -> None:
        self._audit = audit
        """Room slug → identities a moderator removed, kept out until a moderator admits them."""
        self._settings = settings
        self._repository = repository
        self._engine = engine
        self._rooms: dict[str, Room] = {}
        self._videoroom = videoroom
        self._subtitler = subtitler
        self._background = BackgroundTasks("room service")
        engine.on_lost(self._on_media_lost)
        engine.on_restored(self._on_media_restored)

    # ---- queries ---------------------------------------------------------------------------

    def participant_count(self, slug: str) -> int:
        room = self._rooms.get(slug)
        return len(room.participants) if room else 0

    def live_rooms(self) -> int:
        return len(self._rooms)

    def participants_total(self) -> int:
        return sum(len(room.participants) for room in self._rooms.values())

    def caption_streams_total(self) -> int:
        return sum(len(room.caption_streams) for room in self._rooms.values())

    # ---- joining and leaving -----------------------------------------------------------------

    async def join(
        self,
        slug: str,
        name: str,
        audio: bool,
        video: bool,
        outbox: Outbox,
        reply_to: Any,
        visitor: Visitor,
        on_admitted: Callable[[Participant], None],
        invitation: str | None = None,
    ) -> tuple[Room, Participant | WaitingPerson]:
        """Let someone in (they get ``joined``, the others ``participant.joined``), or hold them
        in the lobby (they get ``lobby.waiting``, the moderators ``lobby.knock``)."""
        stored = await self._repository.get(slug)
        if stored is None:
            raise ProtocolError("room_not_found", f"no room {slug!r}", fatal=True)
        role = policy.strongest_role(
            await self._repository.role_of(stored, visitor.user.id if visitor.user else None),
            await self._repository.group_roles_of(stored, member_key(self._settings, visitor.user)),
        )
        actor = policy.Actor(
            user_id=visitor.user.id if visitor.user else None,
            site_admin=visitor.site_admin,
            role=role,
        )
        invited = invitation is not None and await self._repository.invitation_valid(
            stored, invitation
        )
        room = self._rooms.setdefault(slug, Room(slug))
        removed = visitor.key is not None and await self._repository.is_removed(stored, visitor.key)
        where = policy.enter_room(
            actor, stored, locked=room.locked, removed=removed, invited=invited
        )
        if isinstance(where, policy.Wait):
            knock = WaitingPerson(
                name=name,
                audio=audio,
                video=video,
                outbox=outbox,
                visitor=visitor,
                reason=where.reason,
                reply_to=reply_to,
                on_admitted=on_admitted,
                role=role,
            )
            room.lobby[knock.id] = knock
            logger.info("room %s: %s waits in the lobby (%s)", slug, knock.id, where.reason)
            knock.send(LobbyWaiting(reply_to=reply_to, reason=where.reason))
            room.tell_moderators(LobbyKnock(waiting=knock.info()))
            return room, knock
        participant = self._enter(room, name, audio, video, outbox, reply_to, visitor, role, actor)
        return room, participant

    def _enter(
        self,
        room: Room,
        name: str,
        audio: bool,
        video: bool,
        outbox: Outbox,
        reply_to: Any,
        visitor: Visitor,
        role: RoomRole | None,
        actor: policy.Actor,
    ) -> Participant:
        if len(room.participants) >= self._settings.room_max_participants:
            if room.empty:
                self._rooms.pop(room.slug, None)
            raise ProtocolError(
                "room_full",
                f"the room has {self._settings.room_max_participants} participants already",
                fatal=True,
            )
        participant = Participant(
            name=name,
            audio=audio,
            video=video,
            outbox=outbox,
            visitor=visitor,
            role=role,
            moderator_by="role" if policy.moderates(actor) else None,
        )
        others = [p.info() for p in room.participants.values()]
        room.participants[participant.id] = participant
        changed = self._settle_moderators(room)
        logger.info("room %s: participant %s joined", room.slug, participant.id)
        participant.send(
            Joined(
                reply_to=reply_to,
                participant=participant.info(),
                participants=others,
                ice_servers=[s.model_dump(exclude_none=True) for s in self._settings.ice_servers],
                limits=Limits(
                    max_message_bytes=self._settings.protocol_max_message_bytes,
                    rate_per_second=self._settings.protocol_rate_per_second,
                    rate_burst=self._settings.protocol_rate_burst,
                ),
                captions=room.captions,
                locked=room.locked,
            )
        )
        if participant.moderator and room.lobby:
            participant.send(LobbyList(waiting=[k.info() for k in room.lobby.values()]))
        room.broadcast(ParticipantJoined(participant=participant.info()), exclude=participant)
        self._announce_moderators(room, [p for p in changed if p is not participant])
        self._spawn(self._sync_subscriptions(room, participant))
        return participant

    def _settle_moderators(self, room: Room) -> list[Participant]:
        """Apply the interim rule: while nobody moderates by role, the earliest participant
        present moderates; once someone with a moderating role is present, the interim
        moderator steps down. Returns those whose moderator status changed."""
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

    def _announce_moderators(self, room: Room, changed: list[Participant]) -> None:
        """Everyone sees the new moderator status; new moderators get the lobby's list (when
        someone is waiting)."""
        for participant in changed:
            room.broadcast(ParticipantUpdated(participant=participant.info()))
            if participant.moderator and room.lobby:
                participant.send(LobbyList(waiting=[k.info() for k in room.lobby.values()]))

    async def leave(self, room: Room, participant: Participant, reason: LeaveReason) -> None:
        """Remove a participant; the others see them go at once."""
        if participant.gone:
            return
        participant.gone = True
        room.participants.pop(participant.id, None)
        room.broadcast(
            ParticipantLeft(
                participant_id=participant.id,
                reason=reason,
            )
        )
        logger.info("room %s: participant %s left (%s)", room.slug, participant.id, reason)
        await self._subtitler.participant_gone(room, participant)
        self._announce_moderators(room, self._settle_moderators(room))
        for handle in (participant.publisher, participant.subscriber):
            if handle is not None:
                await handle.detach()
        participant.publisher = participant.subscriber = None
        if room.empty:
            await self._close_room(room)
        else:
            for other in room.others(participant):
                self._spawn(self._sync_subscriptions(room, other))

    # ---- the lobby ---------------------------------------------------------------------------

    async def leave_lobby(self, room: Room, knock: WaitingPerson) -> None:
        """A waiting person closed the tab: they disappear from the moderators' list."""
        if knock.gone:
            return
        knock.gone = True
        room.lobby.pop(knock.id, None)
        logger.info("room %s: %s left the lobby", room.slug, knock.id)
        room.tell_moderators(LobbyLeft(waiting_id=knock.id, reason="left"))
        if room.empty:
            await self._close_room(room)

    def _waiting(self, room: Room, waiting_id: str | None) -> list[WaitingPerson]:
        if waiting_id is None:
            return list(room.lobby.values())
        knock = room.lobby.get(waiting_id)
        if knock is None:
            raise ProtocolError("participant_not_found", "nobody with that id is waiting")
        return [knock]

    async def admit(self, room: Room, moderator: Participant, waiting_id: str | None) -> None:
        """A moderator lets one waiting person (or everyone waiting) into the meeting."""
        _require(policy.admit(moderator.moderator))
        for knock in self._waiting(room, waiting_id):
            knock.gone = True
            room.lobby.pop(knock.id, None)
            if knock.visitor.key is not None:
                await self._repository.set_removed(room.slug, knock.visitor.key, removed=False)
            actor = policy.Actor(
                user_id=knock.visitor.user.id if knock.visitor.user else None,
                site_admin=knock.visitor.site_admin,
                role=knock.role,
            )
            room.tell_moderators(LobbyLeft(waiting_id=knock.id, reason="admitted", by=moderator.id))
            try:
                participant = self._enter(
                    room,
                    knock.name,
                    knock.audio,
                    knock.video,
                    knock.outbox,
                    knock.reply_to,
                    knock.visitor,
                    knock.role,
                    actor,
                )
            except ProtocolError as exc:
                knock.send(exc.error)
                knock.outbox.close()
                continue
            knock.on_admitted(participant)
            await self._record(
                "room.lobby_admitted", moderator, room, knock.visitor, participant=participant.id
            )

    async def deny(self, room: Room, moderator: Participant, waiting_id: str | None) -> None:
        """A moderator turns one waiting person (or everyone waiting) away."""
        _require(policy.admit(moderator.moderator))
        for knock in self._waiting(room, waiting_id):
            await self._turn_away(room, knock, "denied", "a moderator did not let you in")
            room.tell_moderators(LobbyLeft(waiting_id=knock.id, reason="denied", by=moderator.id))
            await self._record("room.lobby_denied", moderator, room, knock.visitor)
        if room.empty:
            await self._close_room(room)

    async def _turn_away(
        self, room: Room, knock: WaitingPerson, code: ErrorCode, message: str
    ) -> None:
        knock.gone = True
        room.lobby.pop(knock.id, None)
        knock.send(ErrorMessage(code=code, message=message, fatal=True))
        knock.outbox.close()

    async def _record(
        self,
        event: str,
        moderator: Participant,
        room: Room,
        subject: Visitor | None = None,
        **details: Any,
    ) -> None:
        """Audit a moderator's decision: who, on whom, in which room."""
        by = moderator.visitor
        if subject is not None:
            details["subject"] = subject.label
            details["subject_identity"] = subject.identity
        details["moderator_participant"] = moderator.id
        await self._audit.record(
            event,
            "success",
            by.origin,
            actor_user_id=by.user.id if by.user else None,
            actor=by.label,
            target=room.slug,
            details=details,
        )

    async def _close_room(self, room: Room) -> None:
        if self._rooms.get(room.slug) is room:
            del self._rooms[room.slug]
        if room.janus_room_id is None or room.media_generation != self._engine.generation:
            return
        with contextlib.suppress(JanusError, MediaUnavailableError):
            await self._videoroom.destroy_room(room.janus_room_id)

    # ---- state -------------------------------------------------------------------------------

    async def set_media_state(
        self, room: Room, participant: Participant, audio: bool, video: bool
    ) -> None:
        if (participant.audio, participant.video) == (audio, video):
            return
        participant.audio, participant.video = audio, video
        room.broadcast(ParticipantUpdated(participant=participant.info()), exclude=participant)
        # Someone a moderator muted turned their own microphone or camera back on.
        resumed: set[Source] = set()
        if audio:
            resumed.add("microphone")
        if video:
            resumed.add("camera")
        for source in resumed & participant.paused_sources:
            await self._set_relay(room, participant, source, relay=True)

    def raise_hand(self, room: Room, participant: Participant, raised: bool) -> None:
        """Raise or lower one's own hand; everyone sees it, moderators see who was first."""
        if raised == (participant.hand_raised_at is not None):
            return
        participant.hand_raised_at = datetime.now(UTC) if raised else None
        room.broadcast(ParticipantUpdated(participant=participant.info()), exclude=participant)

    # ---- moderation --------------------------------------------------------------------------

    async def moderate(
        self,
        room: Room,
        moderator: Participant,
        action: ModerationAction,
        target_id: str | None,
    ) -> None:
        """A moderator acts on one participant (or, for mute and camera_off, everyone else)."""
        _require(policy.moderate(moderator.moderator))
        if target_id is None:
            if action not in ("mute", "camera_off"):
                raise ProtocolError("invalid_message", f"{action} needs a participant_id")
            targets = [p for p in room.others(moderator) if not p.moderator]
        else:
            target = room.participants.get(target_id)
            if target is None:
                raise ProtocolError("participant_not_found", "nobody with that id is in the room")
            targets = [target]
        logger.info(
            "room %s: %s does %s to %s",
            room.slug,
            moderator.id,
            action,
            ",".join(t.id for t in targets) or "nobody",
        )
        for target in targets:
            if action == "remove":
                await self.remove(room, target, "removed", by=moderator)
                continue
            if action == "lower_hand":
                if target.hand_raised_at is not None:
                    target.hand_raised_at = None
                    target.send(Moderated(action=action, by=moderator.id))
                    room.broadcast(ParticipantUpdated(participant=target.info()))
                continue
            if action == "promote":
                if not target.moderator:
                    target.moderator_by = "promoted"
                    self._announce_moderators(room, [target])
                continue
            target.send(Moderated(action=action, by=moderator.id))
            source = _SOURCE_OF_ACTION[action]
            if action == "mute":
                target.audio = False
            elif action == "camera_off":
                target.video = False
            room.broadcast(ParticipantUpdated(participant=target.info()))
            await self._set_relay(room, target, source, relay=False)

    async def lock(self, room: Room, moderator: Participant, locked: bool) -> None:
        _require(policy.lock(moderator.moderator))
        room.locked = locked
        room.broadcast(RoomState(locked=locked, set_by=moderator.id))

    async def end(self, room: Room, moderator: Participant) -> None:
        """End the meeting for everyone."""
        _require(policy.end(moderator.moderator))
        logger.info("room %s: meeting ended by %s", room.slug, moderator.id)
        await self._record("room.meeting_ended", moderator, room)
        for knock in list(room.lobby.values()):
            await self._turn_away(room, knock, "meeting_ended", "a moderator ended the meeting")
        for participant in list(room.participants.values()):
            await self.remove(room, participant, "meeting_ended", by=moderator)

    async def remove(self, room: Room, participant: Participant, why: str, by: Participant) -> None:
        """Take someone out of the meeting: they are told why and their connection closes."""
        code: ErrorCode = "removed" if why == "removed" else "meeting_ended"
        message = (
            "a moderator removed you from the meeting"
            if code == "removed"
            else "a moderator ended the meeting"
        )
        if code == "removed":
            if participant.visitor.key is not None:
                await self._repository.set_removed(room.slug, participant.visitor.key, removed=True)
            await self._record(
                "room.participant_removed",
                by,
                room,
                participant.visitor,
                participant=participant.id,
            )
        participant.send(ErrorMessage(code=code, message=message, fatal=True))
        await self.leave(room, participant, "removed" if code == "removed" else "left")
        participant.outbox.close()

    async def _set_relay(
        self, room: Room, participant: Participant, source: Source, relay: bool
    ) -> None:
        """Tell Janus to relay one of a participant's sources to the others, or not."""
        if relay:
            participant.paused_sources.discard(source)
        else:
            participant.paused_sources.add(source)
        mid = next((m for m, s in participant.tracks.items() if s == source), None)
        if mid is None or participant.publisher is None:
            return
        try:
            await participant.publisher.message(
                {"request": "configure", "streams": [{"mid": mid, "send": relay}]}
            )
        except (JanusError, MediaUnavailableError) as exc:
            logger.warning(
                "room %s: could not %s %s's %s: %s",
                room.slug,
                "resume" if relay else "pause",
                participant.id,
                source,
                exc,
            )

    async def set_captions(
        self, room: Room, participant: Participant, enabled: bool, language: CaptionLanguage
    ) -> None:
        """A moderator turns the room's subtitles on or off."""
        _require(policy.set_captions(participant.moderator))
        await self._subtitler.set(room, participant, enabled, language)

    # ---- publishing --------------------------------------------------------------------------

    async def publish(self, room: Room, participant: Participant, request: Publish) -> str:
        """Hand the browser's offer to Janus; return Janus's answer."""
        descriptions = [{"mid": t.mid, "description": t.source} for t in request.tracks]
        jsep = {"type": "offer", "sdp": request.sdp}
        had_screen = participant.screen
        try:
            await self._ensure_janus_room(room)
            if participant.publisher is None:
                handle = await self._engine.session.attach(
                    VIDEOROOM, lambda event: self._on_publisher_event(room, participant, event)
                )
                try:
                    _, answer = await handle.message(
                        {
                            "request": "joinandconfigure",
                            "ptype": "publisher",
                            "room": room.janus_room_id,
                            "id": participant.feed_id,
                            "display": participant.id,
                            "descriptions": descriptions,
                        },
                        jsep,
                    )
                except JanusError:
                    await handle.detach()
                    raise
                participant.publisher = handle
            else:
                _, answer = await participant.publisher.message(
                    {"request": "configure", "descriptions": descriptions}, jsep
                )
        except MediaUnavailableError:
            raise ProtocolError("media_unavailable", "the media engine is restarting") from None
        except JanusError as exc:
            logger.warning("room %s: Janus refused %s's offer: %s", room.slug, participant.id, exc)
            raise ProtocolError(
                "media_error", f"the media engine refused the offer: {exc.reason}"
            ) from None
        if answer is None or answer.get("type") != "answer":
            raise ProtocolError("media_error", "the media engine sent no answer")
        participant.tracks = {t.mid: t.source for t in request.tracks}
        for candidate in participant.pending_publisher_candidates:
            await self.trickle(participant, "publisher", candidate)
        participant.pending_publisher_candidates.clear()
        if participant.screen and "screen" in participant.paused_sources:
            # A moderator stopped the previous share; sharing again is the person's own choice.
            await self._set_relay(room, participant, "screen", relay=True)
        if participant.screen != had_screen:
            room.broadcast(ParticipantUpdated(participant=participant.info()), exclude=participant)
        if participant.publishing:
            self._sync_others(room, participant)
        return str(answer["sdp"])

    async def _on_publisher_event(
        self, room: Room, participant: Participant, event: PluginEvent
    ) -> None:
        if event.kind == "trickle":
            participant.send(ServerTrickle(target="publisher", candidate=_candidate(event.data)))
        elif event.kind == "webrtcup":
            logger.info("room %s: %s's media is up", room.slug, participant.id)
            participant.publishing = True
            self._sync_others(room, participant)
            self._subtitler.participant_media_up(room, participant)
        elif event.kind == "hangup":
            participant.publishing = False

    # ---- subscribing -------------------------------------------------------------------------

    def _sync_others(self, room: Room, participant: Participant) -> None:
        for other in room.others(participant):
            self._spawn(self._sync_subscriptions(room, other))

    async def _sync_subscriptions(self, room: Room, participant: Participant) -> None:
        """Make the participant's subscription match the streams the others publish."""
        async with participant.sync_lock:
            if participant.gone or not self._engine.connected:
                return
            wanted: dict[tuple[int, str], None] = {}
            for other in room.others(participant):
                if other.publishing:
                    for mid in other.tracks:
                        wanted[(other.feed_id, mid)] = None
            add = [key for key in wanted if key not in participant.subscribed]
            live_feeds = {(p.feed_id, mid) for p in room.participants.values() for mid in p.tracks}
            remove = [k for k in participant.subscribed if k not in wanted and k in live_feeds]
            if not add and not remove:
                return
            try:
                await self._ensure_janus_room(room)
                if participant.subscriber is None:
                    if not add:
                        return
                    handle = await self._engine.session.attach(
                        VIDEOROOM, lambda event: self._on_subscriber_event(room, participant, event)
                    )
                    participant.subscriber = handle
                    data, jsep = await handle.message(
                        {
                            "request": "join",
                            "ptype": "subscriber",
                            "room": room.janus_room_id,
                            "streams": [{"feed": feed, "mid": mid} for feed, mid in add],
                        }
                    )
                else:
                    body: JsonObject = {"request": "update"}
                    if add:
                        body["subscribe"] = [{"feed": feed, "mid": mid} for feed, mid in add]
                    if remove:
                        body["unsubscribe"] = [{"feed": feed, "mid": mid} for feed, mid in remove]
                    data, jsep = await participant.subscriber.message(body)
            except (JanusError, MediaUnavailableError) as exc:
                logger.warning(
                    "room %s: could not update %s's subscription: %s",
                    room.slug,
                    participant.id,
                    exc,
                )
                return
            self._offer_if_any(room, participant, data, jsep)

    async def _on_subscriber_event(
        self, room: Room, participant: Participant, event: PluginEvent
    ) -> None:
        if event.kind == "trickle":
            participant.send(ServerTrickle(target="subscriber", candidate=_candidate(event.data)))
        elif event.kind == "event":
            self._offer_if_any(room, participant, event.data, event.jsep)

    def _offer_if_any(
        self, room: Room, participant: Participant, data: JsonObject, jsep: JsonObject | None
    ) -> None:
        streams = data.get("streams")
        if isinstance(streams, list):
            participant.subscribed = {
                (int(s["feed_id"]), str(s["feed_mid"]))
                for s in streams
                if s.get("active", True) and "feed_id" in s and "feed_mid" in s
            }
        if jsep is None or jsep.get("type") != "offer":
            return
        participant.offer_pending = True
        participant.send(
            SubscriberOffer(sdp=str(jsep["sdp"]), streams=self._stream_infos(room, streams or []))
        )

    def _stream_infos(self, room: Room, streams: list[JsonObject]) -> list[StreamInfo]:
        infos = []
        for stream in streams:
            if not stream.get("active", True) or "feed_id" not in stream:
                continue
            owner = room.by_feed(int(stream["feed_id"]))
            source = owner.tracks.get(str(stream.get("feed_mid"))) if owner else None
            kind = stream.get("type")
            if owner is None or source is None or kind not in ("audio", "video"):
                continue
            infos.append(
                StreamInfo(
                    mid=str(stream["mid"]), participant_id=owner.id, source=source, kind=kind
                )
            )
        return infos

    async def subscriber_answer(self, room: Room, participant: Participant, sdp: str) -> None:
        if not participant.offer_pending or participant.subscriber is None:
            raise ProtocolError("out_of_order", "no subscriber offer is waiting for an answer")
        participant.offer_pending = False
        try:
            await participant.subscriber.message(
                {"request": "start"}, {"type": "answer", "sdp": sdp}
            )
        except MediaUnavailableError:
            raise ProtocolError("media_unavailable", "the media engine is restarting") from None
        except JanusError as exc:
            raise ProtocolError(
                "media_error", f"the media engine refused the answer: {exc.reason}"
            ) from None

    async def restart_subscriber_ice(self, room: Room, participant: Participant) -> None:
        if participant.subscriber is None:
            raise ProtocolError("out_of_order", "there is no subscriber connection to restart")
        try:
            data, jsep = await participant.subscriber.message(
                {"request": "configure", "restart": True}
            )
        except (JanusError, MediaUnavailableError) as exc:
            raise ProtocolError("media_error", f"ICE restart failed: {exc}") from None
        self._offer_if_any(room, participant, data, jsep)

    # ---- ICE ---------------------------------------------------------------------------------

    async def trickle(
        self, participant: Participant, target: Target, candidate: IceCandidate | None
    ) -> None:
        handle = participant.publisher if target == "publisher" else participant.subscriber
        if handle is None:
            if target == "publisher":
                participant.pending_publisher_candidates.append(candidate)
            return
        try:
            await handle.trickle(_candidate_json(candidate))
        except (JanusError, MediaUnavailableError) as exc:
            logger.debug("trickle for %s dropped: %s", participant.id, exc)

    # ---- the media engine coming and going ----------------------------------------------------

    async def _ensure_janus_room(self, room: Room) -> None:
        async with room.lock:
            if room.janus_room_id is not None and room.media_generation == self._engine.generation:
                return
            room_id = new_janus_room_id()
            await self._videoroom.create_room(
                room_id, room.slug, self._settings.room_max_participants
            )
            room.janus_room_id = room_id
            room.media_generation = self._engine.generation
            logger.info("room %s: created Janus room %s", room.slug, room_id)

    async def _on_media_lost(self) -> None:
        for room in self._rooms.values():
            room.janus_room_id = None
            self._subtitler.media_lost(room)
            for participant in room.participants.values():
                for handle in (participant.publisher, participant.subscriber):
                    if handle is not None:
                        handle.forget()
                participant.publisher = participant.subscriber = None
                participant.publishing = participant.offer_pending = False
                participant.subscribed = set()
                participant.pending_publisher_candidates.clear()
                participant.send(MediaInterrupted(reason="media_engine_unreachable"))

    async def _on_media_restored(self) -> None:
        for room in list(self._rooms.values()):
            try:
                await self._ensure_janus_room(room)
            except (JanusError, MediaUnavailableError) as exc:
                logger.error("room %s: could not recreate the Janus room: %s", room.slug, exc)
                continue
            room.broadcast(MediaReset(reason="media_engine_restarted"))

    # ---- plumbing ----------------------------------------------------------------------------

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        self._background.spawn(coroutine)

    async def close(self) -> None:
        self._background.cancel_all()
        for room in list(self._rooms.values()):
            for participant in list(room.participants.values()):
                participant.outbox.close()


_SOURCE_OF_ACTION: dict[ModerationAction, Source] = {
    "mute": "microphone",
    "camera_off": "camera",
    "stop_screen": "screen",
}


def _require(decision: policy.Decision) -> None:
    """Raise the policy's refusal as a protocol error."""
    if isinstance(decision, policy.Refusal):
        raise ProtocolError("forbidden", decision.message)


def _candidate(message: JsonObject) -> IceCandidate | None:
    candidate = message.get("candidate", {})
    if not isinstance(candidate, dict) or candidate.get("completed"):
        return None
    return IceCandidate(
        candidate=str(candidate.get("candidate", "")),
        sdpMid=str(candidate["sdpMid"]) if candidate.get("sdpMid") is not None else None,
        sdpMLineIndex=candidate.get("sdpMLineIndex"),
    )


def _candidate_json(candidate: IceCandidate | None) -> JsonObject | None:
    return None if candidate is None else candidate.model_dump(exclude_none=True)
