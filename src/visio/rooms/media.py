"""A room's media: each participant's publisher and subscriber in the room's Janus VideoRoom.

The room protocol's publish, subscriber answer, trickle and ICE restart land here; so does
keeping every subscription equal to what the others publish, relaying or pausing a source for
moderation, and rebuilding a room's Janus side when its Janus is lost: on another instance of
the pool at once when one is up, else on the first that comes back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping
from typing import Literal

from visio.media.engine import MediaUnavailableError
from visio.media.janus.client import JanusError, JsonObject, PluginEvent
from visio.media.janus.publisher import TrackDescription, VideoRoomPublisher
from visio.media.janus.replies import (
    SubscribedStream,
    SubscriberUpdate,
    TrickleCandidate,
    subscriber_update,
)
from visio.media.janus.subscriber import Feed, VideoRoomSubscriber
from visio.media.janus.videoroom import TalkDetection
from visio.media.pool import JanusInstance, JanusPool
from visio.rooms import audible, speakers
from visio.rooms.audible import AudioSelection
from visio.rooms.layers import ReceivedLayers, start_substreams
from visio.rooms.participant import Participant
from visio.rooms.protocol import (
    IceCandidate,
    MediaInterrupted,
    MediaReset,
    ParticipantUpdated,
    ProtocolError,
    Publish,
    ServerTrickle,
    Source,
    StreamInfo,
    SubscriberOffer,
    Target,
)
from visio.rooms.room import Room, new_janus_room_id
from visio.tasks import BackgroundTasks

logger = logging.getLogger(__name__)

MediaUp = Callable[[Room, Participant], None]


class RoomMedia:
    """Drives the Janus VideoRoom for every live room: publishers, subscribers, recovery."""

    def __init__(
        self,
        pool: JanusPool,
        max_publishers: int,
        on_publishing: MediaUp,
        talk_detection: TalkDetection | None = None,
        audio_selection: AudioSelection | None = None,
        speaker_hold: float = 0.0,
        speaker_confirm: float = 0.0,
    ) -> None:
        self._pool = pool
        self._max_publishers = max_publishers
        self._on_publishing = on_publishing
        """Called when a participant's media reaches Janus (captions start from there)."""
        self._background = BackgroundTasks("room media")
        self._talk_detection = talk_detection
        self._audio_selection = audio_selection if talk_detection is not None else None
        """Large meetings relay only the recent speakers' audio (it needs talk detection)."""
        self._speaker_hold = speaker_hold
        """Seconds someone stays speaking after Janus stops hearing them (``speakers``)."""
        self._speaker_confirm = speaker_confirm
        """Seconds Janus must hear someone before it counts as their turn (``speakers``)."""
        self.moves = 0
        """Rooms moved to another Janus because theirs was lost."""

    # ---- publishing --------------------------------------------------------------------------

    async def publish(self, room: Room, participant: Participant, request: Publish) -> str:
        """Hand the browser's offer to Janus; return Janus's answer."""
        tracks = [TrackDescription(t.mid, t.source) for t in request.tracks]
        had_screen = participant.screen
        try:
            janus = await self.ensure_janus_room(room)
            assert room.janus_room_id is not None
            if participant.publisher is None:
                participant.publisher, answer = await VideoRoomPublisher.join(
                    janus.engine.session,
                    room.janus_room_id,
                    participant.feed_id,
                    participant.id,
                    tracks,
                    request.sdp,
                    lambda event: self._on_publisher_event(room, participant, event),
                )
            else:
                answer = await participant.publisher.configure(tracks, request.sdp)
        except MediaUnavailableError:
            raise ProtocolError("media_unavailable", "the media engine is restarting") from None
        except JanusError as exc:
            logger.warning("room %s: Janus refused %s's offer: %s", room.slug, participant.id, exc)
            raise ProtocolError(
                "media_error", f"the media engine refused the offer: {exc.reason}"
            ) from None
        participant.tracks = {t.mid: t.source for t in request.tracks}
        for candidate in participant.pending_publisher_candidates:
            await self.trickle(participant, "publisher", candidate)
        participant.pending_publisher_candidates.clear()
        if participant.screen and "screen" in participant.paused_sources:
            # A moderator stopped the previous share; sharing again is the person's own choice.
            await self.set_relayed(room, participant, "screen", relayed=True)
        if participant.screen != had_screen:
            room.broadcast(ParticipantUpdated(participant=participant.info()), exclude=participant)
        if participant.publishing:
            self.sync_others(room, participant)
        return answer

    async def _on_publisher_event(
        self, room: Room, participant: Participant, event: PluginEvent
    ) -> None:
        if event.kind == "trickle":
            participant.send(ServerTrickle(target="publisher", candidate=_candidate(event.data)))
        elif event.kind == "webrtcup":
            logger.info("room %s: %s's media is up", room.slug, participant.id)
            participant.publishing = True
            self.audio_changed(room)
            self.sync_others(room, participant)
            self._on_publishing(room, participant)
        elif event.kind == "hangup":
            participant.publishing = False
            speakers.unheard(participant)
            speakers.refresh(room, participant)
            self.audio_changed(room)
        elif event.kind == "event":
            held, counts = participant.held_until, participant.counts_from
            heard = speakers.heard(
                room,
                participant,
                event.data,
                self._speaker_hold,
                confirm=self._speaker_confirm,
            )
            if heard:
                self.audio_changed(room)
                until = participant.held_until
                if until is not None and until != held:  # a stop of theirs began a hold
                    self._background.spawn(self._end_hold(room, participant, until))
                start = participant.counts_from
                if start is not None and start != counts and start > time.monotonic():
                    self._background.spawn(self._count_turn(room, participant, start))

    async def _end_hold(self, room: Room, participant: Participant, until: float) -> None:
        """Janus stopped hearing ``participant``: unless they spoke again since (a later hold,
        or none), their turn ends ``until`` (``speakers``)."""
        await asyncio.sleep(max(0.0, until - time.monotonic()))
        if participant.gone or participant.held_until != until:
            return
        speakers.refresh(room, participant, max(time.monotonic(), until))
        self.audio_changed(room)

    async def _count_turn(self, room: Room, participant: Participant, start: float) -> None:
        """Janus began hearing ``participant``: if it still does at ``start`` (no stop since),
        it is their turn (``speakers``)."""
        await asyncio.sleep(max(0.0, start - time.monotonic()))
        if participant.gone or participant.counts_from != start:
            return
        speakers.refresh(room, participant, max(time.monotonic(), start))
        self.audio_changed(room)

    async def set_relayed(
        self, room: Room, participant: Participant, source: Source, relayed: bool
    ) -> None:
        """Tell Janus to relay one of a participant's sources to the others, or not."""
        if relayed:
            participant.paused_sources.discard(source)
        else:
            participant.paused_sources.add(source)
        speakers.refresh(room, participant)
        self.audio_changed(room)
        mid = next((m for m, s in participant.tracks.items() if s == source), None)
        if mid is None or participant.publisher is None:
            return
        try:
            await participant.publisher.set_relayed(mid, relayed)
        except (JanusError, MediaUnavailableError) as exc:
            logger.warning(
                "room %s: could not %s %s's %s: %s",
                room.slug,
                "resume" if relayed else "pause",
                participant.id,
                source,
                exc,
            )

    def microphone_on(self, room: Room, participant: Participant) -> None:
        """``participant`` turned their microphone on: in a large meeting, relay it at once for a
        while (``audible``), rather than from when Janus hears them."""
        until = audible.unmuted(participant, time.monotonic())
        self.audio_changed(room)
        self._background.spawn(self._end_unmuted(room, participant, until))

    async def _end_unmuted(self, room: Room, participant: Participant, until: float) -> None:
        await asyncio.sleep(max(0.0, until - time.monotonic()))
        if participant.gone or participant.unmuted_until != until:
            return
        participant.unmuted_until = None
        self.audio_changed(room)

    # ---- subscribing -------------------------------------------------------------------------

    def sync_others(self, room: Room, participant: Participant) -> None:
        """Everyone else's subscription follows what ``participant`` publishes now."""
        for other in room.others(participant):
            self.sync_later(room, other)

    def sync_later(self, room: Room, participant: Participant) -> None:
        self._background.spawn(self._sync_subscriptions(room, participant))

    async def _sync_subscriptions(self, room: Room, participant: Participant) -> None:
        """Make the participant's subscription match the streams the others publish."""
        async with participant.sync_lock:
            if participant.gone or not (room.janus or self._pool).connected:
                return
            wanted: dict[Feed, None] = {}
            for other in room.others(participant):
                if other.publishing:
                    for mid in other.tracks:
                        wanted[(other.feed_id, mid)] = None
            add = [feed for feed in wanted if feed not in participant.subscribed]
            live_feeds = {(p.feed_id, mid) for p in room.participants.values() for mid in p.tracks}
            remove = [f for f in participant.subscribed if f not in wanted and f in live_feeds]
            if not add and not remove:
                return
            try:
                janus = await self.ensure_janus_room(room)
                assert room.janus_room_id is not None
                if participant.subscriber is None:
                    if not add:
                        return
                    participant.subscriber, update = await VideoRoomSubscriber.join(
                        janus.engine.session,
                        room.janus_room_id,
                        add,
                        lambda event: self._on_subscriber_event(room, participant, event),
                        start_substreams(room, add),
                    )
                else:
                    update = await participant.subscriber.update(
                        add, remove, start_substreams(room, add)
                    )
            except (JanusError, MediaUnavailableError) as exc:
                logger.warning(
                    "room %s: could not update %s's subscription: %s",
                    room.slug,
                    participant.id,
                    exc,
                )
                return
            self._offer_if_any(room, participant, update)
            # New audio mids start relayed: pause those the room does not hear at once (Janus
            # sends nothing before the browser's answer anyway).
            await self._select_audio(room, participant)

    # ---- whose audio is relayed (visio.rooms.audible) -----------------------------------------

    def audio_changed(self, room: Room) -> None:
        """Whose microphones the room hears may have changed (someone started speaking, muted,
        left, or began to publish): when it did, every subscription follows."""
        heard = audible.audible(room, self._audio_selection)
        if heard == room.heard:
            return
        room.heard = heard
        logger.debug(
            "room %s: relaying %s",
            room.slug,
            "every microphone" if heard is None else f"the microphones of {sorted(heard)}",
        )
        for participant in room.participants.values():
            if participant.subscriber is not None:
                self._background.spawn(self._select_audio_now(room, participant))

    async def _select_audio_now(self, room: Room, participant: Participant) -> None:
        async with participant.sync_lock:
            await self._select_audio(room, participant)

    async def _select_audio(self, room: Room, participant: Participant) -> None:
        """One ``configure`` that relays or pauses ``participant``'s audio mids as the room
        hears (the caller holds the participant's sync lock)."""
        subscriber = participant.subscriber
        if subscriber is None or participant.gone:
            return
        wanted = audible.changes(room, participant, room.heard)
        if not wanted:
            return
        try:
            await subscriber.configure_streams(wanted)
        except (JanusError, MediaUnavailableError) as exc:
            logger.warning(
                "room %s: could not switch the audio %s receives: %s",
                room.slug,
                participant.id,
                exc,
            )
            return
        audible.applied(participant, wanted)

    async def _on_subscriber_event(
        self, room: Room, participant: Participant, event: PluginEvent
    ) -> None:
        if event.kind == "trickle":
            participant.send(ServerTrickle(target="subscriber", candidate=_candidate(event.data)))
        elif event.kind == "event":
            self._offer_if_any(room, participant, subscriber_update(event.data, event.jsep))

    def _offer_if_any(self, room: Room, participant: Participant, update: SubscriberUpdate) -> None:
        if update.streams is not None:
            participant.subscribed = {s.feed for s in update.streams if s.feed is not None}
            participant.received.follow(room, update.streams)
        if update.offer is None:
            return
        participant.offer_pending = True
        participant.send(
            SubscriberOffer(sdp=update.offer.sdp, streams=_stream_infos(room, update.streams or []))
        )

    async def subscriber_answer(self, participant: Participant, sdp: str) -> None:
        if not participant.offer_pending or participant.subscriber is None:
            raise ProtocolError("out_of_order", "no subscriber offer is waiting for an answer")
        participant.offer_pending = False
        try:
            await participant.subscriber.start(sdp)
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
            update = await participant.subscriber.restart_ice()
        except (JanusError, MediaUnavailableError) as exc:
            raise ProtocolError("media_error", f"ICE restart failed: {exc}") from None
        self._offer_if_any(room, participant, update)

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
            await handle.trickle(
                None if candidate is None else candidate.model_dump(exclude_none=True)
            )
        except (JanusError, MediaUnavailableError) as exc:
            logger.debug("trickle for %s dropped: %s", participant.id, exc)

    # ---- a participant's and a room's Janus side ---------------------------------------------

    async def release(self, participant: Participant) -> None:
        """Detach a leaving participant's handles (Janus hangs up their PeerConnections)."""
        for handle in (participant.publisher, participant.subscriber):
            if handle is not None:
                await handle.detach()
        participant.publisher = participant.subscriber = None

    def place(self, room: Room) -> None:
        """A room opens: put it on the least-loaded healthy Janus (none up: it is placed when
        its media starts, or when one comes back)."""
        if room.janus is not None:
            return
        with contextlib.suppress(MediaUnavailableError):
            room.janus = self._pool.place()
            logger.info("room %s: placed on Janus %s", room.slug, room.janus.name)

    async def ensure_janus_room(self, room: Room) -> JanusInstance:
        """The room's Janus, with the room's VideoRoom created there (placing the room first if
        it has no Janus); :class:`MediaUnavailableError` while it cannot be."""
        async with room.lock:
            janus = room.janus
            if janus is None:
                janus = self._pool.place()
                logger.info("room %s: placed on Janus %s", room.slug, janus.name)
            elif not janus.connected:
                # Lost: the pool's listener moves the room (and forgets its handles) first.
                raise MediaUnavailableError(f"Janus {janus.name} is not connected")
            if room.janus is janus and room.janus_room_id is not None:
                if room.media_generation == janus.generation:
                    return janus
            room_id = new_janus_room_id()
            await janus.videoroom.create_room(
                room_id, room.slug, self._max_publishers, self._talk_detection
            )
            room.janus = janus
            room.janus_room_id = room_id
            room.media_generation = janus.generation
            logger.info("room %s: created Janus room %s on %s", room.slug, room_id, janus.name)
            return janus

    async def close_janus_room(self, room: Room) -> None:
        janus = room.janus
        if janus is None or room.janus_room_id is None or room.media_generation != janus.generation:
            return
        with contextlib.suppress(JanusError, MediaUnavailableError):
            await janus.videoroom.destroy_room(room.janus_room_id)

    def lost(self, room: Room) -> None:
        """The room's Janus went away with every handle: forget them and tell the browsers."""
        room.janus_room_id = None
        room.janus = None
        speakers.media_lost(room)
        for participant in room.participants.values():
            for handle in (participant.publisher, participant.subscriber):
                if handle is not None:
                    handle.forget()
            participant.publisher = participant.subscriber = None
            participant.publishing = participant.offer_pending = False
            participant.subscribed = set()
            participant.received = ReceivedLayers()
            participant.pending_publisher_candidates.clear()
            participant.send(MediaInterrupted(reason="media_engine_unreachable"))
        room.heard = None  # a new Janus room relays everything until told otherwise

    async def move(self, room: Room, lost: JanusInstance) -> None:
        """After :meth:`lost`: recreate the room at once on another healthy instance, if there
        is one (else it waits for :meth:`restored`); browsers publish again on media.reset."""
        if not self._pool.healthy():
            logger.error("room %s: no Janus is up; waiting for one to come back", room.slug)
            return
        try:
            janus = await self.ensure_janus_room(room)
        except (JanusError, MediaUnavailableError) as exc:
            logger.error("room %s: could not move off Janus %s: %s", room.slug, lost.name, exc)
            return
        self.moves += 1
        logger.warning("room %s: moved from Janus %s to %s", room.slug, lost.name, janus.name)
        room.broadcast(MediaReset(reason="media_engine_moved"))

    async def restored(self, room: Room) -> None:
        """A Janus is back: a room that has none (its own was lost while no other was up) is
        recreated on the least-loaded; browsers publish again on media.reset."""
        if room.janus is not None:
            return
        try:
            await self.ensure_janus_room(room)
        except (JanusError, MediaUnavailableError) as exc:
            logger.error("room %s: could not recreate the Janus room: %s", room.slug, exc)
            return
        room.broadcast(MediaReset(reason="media_engine_restarted"))

    def close(self) -> None:
        self._background.cancel_all()


def _stream_infos(room: Room, streams: list[SubscribedStream]) -> list[StreamInfo]:
    infos = []
    for stream in streams:
        if stream.feed is None:
            continue
        feed_id, feed_mid = stream.feed
        owner = room.by_feed(feed_id)
        source = owner.tracks.get(feed_mid) if owner else None
        if owner is None or source is None or stream.type not in ("audio", "video"):
            continue
        kind: Literal["audio", "video"] = "audio" if stream.type == "audio" else "video"
        infos.append(StreamInfo(mid=stream.mid, participant_id=owner.id, source=source, kind=kind))
    return infos


def _candidate(message: JsonObject) -> IceCandidate | None:
    """A candidate Janus trickled, as the room protocol carries it (None: end of candidates)."""
    raw = message.get("candidate")
    if not isinstance(raw, dict):
        return None
    candidate = TrickleCandidate.model_validate(raw)
    if candidate.completed:
        return None
    return IceCandidate(
        candidate=candidate.candidate,
        sdpMid=candidate.sdpMid,
        sdpMLineIndex=candidate.sdpMLineIndex,
    )


class RoomsLoad:
    """The placement load seen from this app server: each room's subscribed streams, counted
    on the Janus instance the room is on."""

    def __init__(self, rooms: Mapping[str, Room]) -> None:
        self._rooms = rooms

    def forwarded_streams(self) -> dict[str, int]:
        streams: dict[str, int] = {}
        for room in self._rooms.values():
            if room.janus is not None:
                forwarded = sum(_forwarded_to(room, p) for p in room.participants.values())
                streams[room.janus.name] = streams.get(room.janus.name, 0) + forwarded
        return streams

    def rooms(self) -> dict[str, int]:
        rooms: dict[str, int] = {}
        for room in self._rooms.values():
            if room.janus is not None:
                rooms[room.janus.name] = rooms.get(room.janus.name, 0) + 1
        return rooms


def _forwarded_to(room: Room, participant: Participant) -> int:
    """The streams Janus forwards to ``participant``: those subscribed, or, while a room that
    just moved is being rebuilt (subscriptions gone, tracks known), those about to be; so rooms
    moving off a lost Janus together spread out instead of all landing on one."""
    return len(participant.subscribed) or sum(len(o.tracks) for o in room.others(participant))
