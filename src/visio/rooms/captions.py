"""Captions in a room (the live subtitles people see): which participants' microphones go to
which speech worker, and the captions that come back.

Audio leaves Janus for recognition only while a room's captions are on: a forwarder per
publishing participant is created when they are turned on (or when someone's media comes up
while they are on) and removed when they are turned off or the participant leaves.

Each viewer may ask to read the captions in English (:meth:`RoomCaptions.set_translation`): while
at least one participant of the room wants it, the room's streams are opened with ``translate``,
so finals spoken in another language carry their English text.

While the meeting is transcribed (:mod:`visio.rooms.transcription`) the same streams run even
with subtitles off: each final then goes to the transcript (``on_final``) and reaches nobody's
screen unless subtitles are on.
"""

from __future__ import annotations

import base64
import functools
import logging
import secrets
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any

from visio import text
from visio.media.engine import MediaUnavailableError
from visio.media.janus.client import JanusError
from visio.rooms.participant import Participant
from visio.rooms.protocol import (
    Caption,
    CaptionLanguage,
    CaptionsInfo,
    CaptionsState,
    CaptionWord,
    ProtocolError,
)
from visio.rooms.room import CaptionStream, Room
from visio.speech.pool import CaptionsUnavailableError, SpeechWorkerPool
from visio.speech.protocol import CaptionMessage, Srtp
from visio.tasks import BackgroundTasks

logger = logging.getLogger(__name__)

OPUS_PAYLOAD_TYPE = 111


class RoomCaptions:
    """Turns a room's captions on and off and keeps one recognition stream per speaker."""

    def __init__(
        self,
        pool: SpeechWorkerPool,
        encrypt: bool = True,
    ) -> None:
        self._encrypt = encrypt
        self._pool = pool
        self._background = BackgroundTasks("captions")
        self.undelivered = 0
        """Captions a worker sent for a stream that was no longer the speaker's (replaced,
        stopped, or the speaker left): they reach nobody."""
        self.unplaced = 0
        """Microphones that should have been captioned and were not (no worker took the stream,
        or Janus would not forward it)."""
        self.on_final: Callable[[Room, Participant, CaptionMessage, datetime], None] | None = None
        """Told every final of every stream, with the wall-clock time the stream's clock
        started (the transcript listens here)."""

    @property
    def available(self) -> bool:
        """Whether a speech worker could take a stream now."""
        return self._pool.available

    async def set(
        self, room: Room, by: Participant, enabled: bool, language: CaptionLanguage
    ) -> None:
        """Turn captions on (in a language) or off, for everyone in the room; the room service
        has checked that ``by`` may (``policy.set_captions``)."""
        if enabled and not self._pool.available:
            raise ProtocolError(
                "captions_unavailable", "no speech worker is available for subtitles right now"
            )
        restart = enabled and room.captions.enabled and room.captions.language != language
        room.captions = CaptionsInfo(enabled=enabled, language=language, set_by=by.id)
        room.broadcast(CaptionsState(captions=room.captions))
        logger.info(
            "room %s: captions %s (%s) by %s",
            room.slug,
            "on" if enabled else "off",
            language,
            by.id,
        )
        if restart:
            for participant_id in list(room.caption_streams):
                await self._stop(room, participant_id)
        await self.follow(room)

    async def follow(self, room: Room) -> None:
        """Bring the room's streams in line with what it needs: none when neither subtitles nor
        a transcript are on, each in the language wanted now, one per publishing participant."""
        language = stream_language(room)
        for participant_id, stream in list(room.caption_streams.items()):
            if not streams_wanted(room) or stream.language != language:
                await self._stop(room, participant_id)
        for participant in room.participants.values():
            self.participant_media_up(room, participant)

    def participant_media_up(self, room: Room, participant: Participant) -> None:
        """Someone's media reached Janus: caption them if the room has captions (or a
        transcript) on."""
        if streams_wanted(room) and participant.id not in room.caption_streams:
            self._spawn(self._start(room, participant))

    async def participant_gone(self, room: Room, participant: Participant) -> None:
        """Someone left: their stream stops, and so does their wish for English."""
        room.english_viewers.discard(participant.id)
        await self._stop(room, participant.id)
        await self._follow_translation(room)

    async def set_translation(self, room: Room, participant: Participant, enabled: bool) -> None:
        """One participant asks to read the captions in English, or no longer does."""
        if enabled:
            room.english_viewers.add(participant.id)
        else:
            room.english_viewers.discard(participant.id)
        await self._follow_translation(room)

    async def _follow_translation(self, room: Room) -> None:
        """Restart the streams that translate when nobody wants English, or do not when someone
        does: the worker decides at ``stream.start``. An utterance in progress at that moment is
        lost (its stream stops before its final), as when subtitles change language."""
        wanted = bool(room.english_viewers)
        stale = [pid for pid, stream in room.caption_streams.items() if stream.translate != wanted]
        if not stale:
            return
        logger.info(
            "room %s: %s translating captions (%d viewers want English)",
            room.slug,
            "start" if wanted else "stop",
            len(room.english_viewers),
        )
        for participant_id in stale:
            await self._stop(room, participant_id)
        for participant_id in stale:
            participant = room.participants.get(participant_id)
            if participant is not None:
                self.participant_media_up(room, participant)

    def media_lost(self, room: Room) -> None:
        """The room's Janus went away, and its forwarders with it; streams restart when media
        comes back (on whichever Janus the room is then: the speakers publish again there)."""
        for stream in room.caption_streams.values():
            self._pool.close_stream(stream.stream_id)
        room.caption_streams.clear()

    async def _start(self, room: Room, participant: Participant) -> None:
        microphone = next((m for m, s in participant.tracks.items() if s == "microphone"), None)
        if microphone is None or participant.id in room.caption_streams or participant.gone:
            return
        stream = CaptionStream(
            stream_id=f"{room.slug}/{participant.id}/{secrets.token_hex(4)}",
            feed_id=participant.feed_id,
            translate=bool(room.english_viewers),
            language=stream_language(room),
        )
        room.caption_streams[participant.id] = stream

        def on_caption(caption: CaptionMessage) -> None:
            if (
                caption.kind == "final"
                and self.on_final is not None
                and stream.clock_started_at is not None
            ):
                # Also the last words of a speaker who left or whose stream was replaced.
                self.on_final(room, participant, caption, stream.clock_started_at)
            if room.caption_streams.get(participant.id) is stream and not participant.gone:
                if room.captions.enabled:
                    message = _to_room_caption(participant, caption, stream)
                    room.broadcast(message)
                    if message.kind == "final" and message.text:
                        room.recent_finals.append((datetime.now(UTC), message))
                return
            self.undelivered += 1
            if not stream.undelivered:  # once per stream: a leaving speaker's last words
                logger.warning(
                    "room %s: a caption of %s reached nobody: its stream %s is no longer theirs",
                    room.slug,
                    participant.id,
                    stream.stream_id,
                )
            stream.undelivered += 1

        async def on_lost() -> None:
            if room.caption_streams.get(participant.id) is stream:
                await self._stop(room, participant.id)
                self.participant_media_up(room, participant)

        # A fresh key per stream: what leaves Janus for recognition is encrypted and authenticated.
        key = base64.b64encode(secrets.token_bytes(30)).decode() if self._encrypt else None
        try:
            open_stream = functools.partial(
                self._pool.open_stream,
                stream.stream_id,
                stream.language,
                on_caption,
                on_lost,
                Srtp(key=key) if key else None,
            )
            try:
                host, port = await open_stream(translate=stream.translate)
            except CaptionsUnavailableError as exc:
                if not stream.translate or room.caption_streams.get(participant.id) is not stream:
                    raise
                # A worker that cannot translate (an English-only model, Kyutai): everyone keeps
                # their captions, in the language spoken, rather than nobody getting any.
                logger.warning(
                    "room %s: no English for %s (%s); captioning without translation",
                    room.slug,
                    participant.id,
                    exc,
                )
                host, port = await open_stream()
            janus, janus_room_id = room.janus, room.janus_room_id
            if (
                room.caption_streams.get(participant.id) is not stream
                or janus is None
                or janus_room_id is None
            ):
                self._pool.close_stream(stream.stream_id)
                return
            stream.forwarder_id = await janus.videoroom.forward_rtp(
                janus_room_id,
                participant.feed_id,
                microphone,
                host,
                port,
                OPUS_PAYLOAD_TYPE,
                srtp_key=key,
            )
            # The stream's clock counts audio from here (packets flow once the forwarder is up).
            stream.clock_started_at = datetime.now(UTC)
            stream.janus_room_id = janus_room_id
            stream.janus = janus
            stream.media_generation = janus.generation
            logger.info("room %s: captioning %s on %s:%s", room.slug, participant.id, host, port)
        except (CaptionsUnavailableError, JanusError, MediaUnavailableError) as exc:
            logger.warning("room %s: cannot caption %s: %s", room.slug, participant.id, exc)
            self.unplaced += 1
            if room.caption_streams.get(participant.id) is stream:
                del room.caption_streams[participant.id]
            self._pool.close_stream(stream.stream_id)

    async def _stop(self, room: Room, participant_id: str) -> None:
        stream = room.caption_streams.pop(participant_id, None)
        if stream is None:
            return
        self._pool.close_stream(stream.stream_id)
        if (
            stream.forwarder_id is not None
            and stream.janus_room_id is not None
            and stream.janus is not None
            and stream.media_generation == stream.janus.generation
        ):
            try:
                await stream.janus.videoroom.stop_forwarding(
                    stream.janus_room_id, stream.feed_id, stream.forwarder_id
                )
            except (JanusError, MediaUnavailableError) as exc:
                logger.debug("room %s: forwarder already gone: %s", room.slug, exc)

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        self._background.spawn(coroutine)


def replay_finals(room: Room, participant: Participant) -> int:
    """Send someone who came back (a resume token) the finals shown since they first joined:
    those said while their connection was down would be lost otherwise. The client sets aside
    the ones it already has. Returns how many were sent."""
    if not room.captions.enabled:
        return 0
    missed = [caption for at, caption in room.recent_finals if at >= participant.joined_at]
    for caption in missed:
        participant.send(caption)
    return len(missed)


def streams_wanted(room: Room) -> bool:
    """Microphones go to recognition while subtitles or a transcript are on."""
    return room.captions.enabled or room.transcript is not None


def stream_language(room: Room) -> CaptionLanguage:
    """The language recognition is asked for: the subtitles', or the transcript's while
    subtitles are off."""
    if not room.captions.enabled and room.transcript is not None:
        return room.transcript.language
    return room.captions.language


def _to_room_caption(
    participant: Participant, caption: CaptionMessage, stream: CaptionStream
) -> Caption:
    """A worker's caption as the room sees it; a worker's text is made safe to send on (it may
    come from another machine, and a recogniser can emit anything). Its segment id is prefixed
    with its stream's own token, so that it stays unique in the room when a speaker's stream
    is restarted and its worker counts segments from the start again."""
    token = stream.stream_id.rsplit("/", 1)[-1]
    return Caption(
        participant_id=participant.id,
        segment_id=f"{token}.{text.safe_for_output(caption.segment_id)}",
        kind=caption.kind,
        text=text.safe_for_output(caption.text),
        language=text.safe_for_output(caption.language),
        words=[
            CaptionWord(text=text.safe_for_output(w.text), start=w.start, end=w.end)
            for w in caption.words
        ],
        translation=(
            text.safe_for_output(caption.translation)
            if caption.kind == "final" and caption.translation
            else None
        ),
    )
