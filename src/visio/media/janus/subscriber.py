"""A participant's subscriber in a VideoRoom: one PeerConnection that carries every remote track
they receive (Janus's multistream subscription)."""

from __future__ import annotations

from visio.media.janus.client import EventListener, JanusSession, JsonObject
from visio.media.janus.replies import SubscriberUpdate, subscriber_update
from visio.media.janus.videoroom import VIDEOROOM, VideoRoomHandle

Feed = tuple[int, str]
"""A publisher's track: (feed id, the publisher's mid)."""


class VideoRoomSubscriber(VideoRoomHandle):
    """One subscriber handle; its requests are the VideoRoom's subscriber ``join``, ``update``,
    ``start`` and ``configure``."""

    @classmethod
    async def join(
        cls, session: JanusSession, room_id: int, feeds: list[Feed], on_event: EventListener
    ) -> tuple[VideoRoomSubscriber, SubscriberUpdate]:
        handle = await session.attach(VIDEOROOM, on_event)
        try:
            data, jsep = await handle.message(
                {
                    "request": "join",
                    "ptype": "subscriber",
                    "room": room_id,
                    "streams": _streams(feeds),
                }
            )
            return cls(handle), subscriber_update(data, jsep)
        except BaseException:
            await handle.detach()
            raise

    async def update(self, add: list[Feed], remove: list[Feed]) -> SubscriberUpdate:
        """Add and remove tracks in one renegotiation."""
        body: JsonObject = {"request": "update"}
        if add:
            body["subscribe"] = _streams(add)
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


def _streams(feeds: list[Feed]) -> list[JsonObject]:
    return [{"feed": feed, "mid": mid} for feed, mid in feeds]
