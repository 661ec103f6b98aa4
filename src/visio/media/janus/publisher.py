"""A participant's publisher in a VideoRoom: the handle that receives their microphone, camera
and screen, and decides which of them Janus relays to the others."""

from __future__ import annotations

from dataclasses import dataclass

from visio.media.janus.client import (
    EventListener,
    JanusError,
    JanusSession,
    JsonObject,
)
from visio.media.janus.replies import Jsep, read
from visio.media.janus.videoroom import VIDEOROOM, VideoRoomHandle


@dataclass(frozen=True)
class TrackDescription:
    """One track the browser publishes: its mid and what it is (microphone, camera, screen)."""

    mid: str
    description: str


class VideoRoomPublisher(VideoRoomHandle):
    """One publisher handle; its requests are the VideoRoom's ``joinandconfigure`` and
    ``configure``."""

    @classmethod
    async def join(
        cls,
        session: JanusSession,
        room_id: int,
        feed_id: int,
        display: str,
        tracks: list[TrackDescription],
        offer_sdp: str,
        on_event: EventListener,
    ) -> tuple[VideoRoomPublisher, str]:
        """Join ``room_id`` as feed ``feed_id`` with the browser's offer; return Janus's answer."""
        handle = await session.attach(VIDEOROOM, on_event)
        try:
            _, jsep = await handle.message(
                {
                    "request": "joinandconfigure",
                    "ptype": "publisher",
                    "room": room_id,
                    "id": feed_id,
                    "display": display,
                    "descriptions": _descriptions(tracks),
                },
                {"type": "offer", "sdp": offer_sdp},
            )
            return cls(handle), _answer(jsep)
        except BaseException:
            await handle.detach()
            raise

    async def configure(self, tracks: list[TrackDescription], offer_sdp: str) -> str:
        """A renegotiation (a track added or removed); return Janus's answer."""
        _, jsep = await self._handle.message(
            {"request": "configure", "descriptions": _descriptions(tracks)},
            {"type": "offer", "sdp": offer_sdp},
        )
        return _answer(jsep)

    async def set_relayed(self, mid: str, relayed: bool) -> None:
        """Relay one of the publisher's tracks to subscribers, or stop relaying it."""
        await self._handle.message(
            {"request": "configure", "streams": [{"mid": mid, "send": relayed}]}
        )


    async def record(self, filename: str | None) -> None:
        """Record this publisher's tracks on its own (``filename``: the files' base name, in
        the room's recording folder; Janus appends ``-audio-0.mjr``...); None: stop (Janus
        closes the files)."""
        request: JsonObject = {"request": "configure", "record": filename is not None}
        if filename is not None:
            request["filename"] = filename
        await self._handle.message(request)


def _descriptions(tracks: list[TrackDescription]) -> list[JsonObject]:
    return [{"mid": t.mid, "description": t.description} for t in tracks]


def _answer(jsep: JsonObject | None) -> str:
    answer = read(Jsep, jsep, "answer")
    if answer.type != "answer":
        raise JanusError(0, "the media engine sent no answer")
    return answer.sdp
