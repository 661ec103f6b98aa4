"""A participant's subscriber in a VideoRoom: one PeerConnection that carries every remote track
they receive (Janus's multistream subscription)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from visio.media.janus.client import EventListener, JanusError, JanusSession, JsonObject
from visio.media.janus.replies import SubscriberUpdate, subscriber_update
from visio.media.janus.videoroom import VIDEOROOM, VideoRoomHandle

Feed = tuple[int, str]
"""A publisher's track: (feed id, the publisher's mid)."""


class VideoRoomSubscriber(VideoRoomHandle):
    """One subscriber handle; its requests are the VideoRoom's subscriber ``join``, ``update``,
    ``start`` and ``configure``."""

    @classmethod
    async def join(
        cls,
        session: JanusSession,
        room_id: int,
        feeds: list[Feed],
        on_event: EventListener,
        substreams: Mapping[Feed, int] | None = None,
    ) -> tuple[VideoRoomSubscriber, SubscriberUpdate]:
        """Subscribe to ``feeds``; ``substreams`` gives the simulcast layer some of them start at
        (Janus's default is the highest)."""
        handle = await session.attach(VIDEOROOM, on_event)
        try:
            data, jsep = await handle.message(
                {
                    "request": "join",
                    "ptype": "subscriber",
                    "room": room_id,
                    "streams": _streams(feeds, substreams),
                }
            )
            return cls(handle), subscriber_update(data, jsep)
        except BaseException:
            await handle.detach()
            raise

    async def update(
        self, add: list[Feed], remove: list[Feed], substreams: Mapping[Feed, int] | None = None
    ) -> SubscriberUpdate:
        """Add and remove tracks in one renegotiation (``substreams`` as in :meth:`join`)."""
        body: JsonObject = {"request": "update"}
        if add:
            body["subscribe"] = _streams(add, substreams)
        if remove:
            body["unsubscribe"] = _streams(remove)
        return subscriber_update(*await self._handle.message(body))

    async def start(self, answer_sdp: str) -> None:
        """The browser's answer to the last offer."""
        await self._handle.message({"request": "start"}, {"type": "answer", "sdp": answer_sdp})

    async def restart_ice(self) -> SubscriberUpdate:
        return subscriber_update(
            *await self._handle.message({"request": "configure", "restart": True})
        )

    async def configure_streams(self, streams: list[StreamConfiguration]) -> None:
        """Relay or pause some of the subscription's streams and choose their simulcast layer,
        in one ``configure`` request (no renegotiation)."""
        body: list[JsonObject] = []
        for stream in streams:
            entry: JsonObject = {"mid": stream.mid, "send": stream.send}
            if stream.substream is not None:
                entry["substream"] = stream.substream
            body.append(entry)
        data, _ = await self._handle.message({"request": "configure", "streams": body})
        if data.get("configured") != "ok":
            raise JanusError(0, "the media engine did not confirm the configuration")


@dataclass(frozen=True)
class StreamConfiguration:
    """One stream of a subscription as ``configure`` sets it: by the subscriber's own mid."""

    mid: str
    send: bool
    substream: int | None = None
    """0 (lowest) to 2 (highest) for simulcast video; None leaves it as it is."""


def _streams(feeds: list[Feed], substreams: Mapping[Feed, int] | None = None) -> list[JsonObject]:
    entries: list[JsonObject] = []
    for feed in feeds:
        entry: JsonObject = {"feed": feed[0], "mid": feed[1]}
        if substreams and feed in substreams:
            entry["substream"] = substreams[feed]
        entries.append(entry)
    return entries
