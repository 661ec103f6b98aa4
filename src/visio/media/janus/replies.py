"""Typed views of what the VideoRoom plugin answers, read once where the JSON arrives.

Janus adds fields between versions; these models keep the ones Visio uses and ignore the rest.
A reply that lacks what Visio needs is a :class:`~visio.media.janus.client.JanusError`.
"""

from __future__ import annotations

from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from visio.media.janus.client import JanusError, JsonObject


class _Reply(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


_ReplyT = TypeVar("_ReplyT", bound="_Reply")


class Jsep(_Reply):
    """A session description Janus sends or receives."""

    type: Literal["offer", "answer"]
    sdp: str


class TrickleCandidate(_Reply):
    """One ICE candidate Janus trickles (``completed`` marks the end of them)."""

    candidate: str = ""
    sdpMid: str | None = None
    sdpMLineIndex: int | None = None
    completed: bool = False


class SubscribedStream(_Reply):
    """One stream of a subscriber PeerConnection: which publisher's track it carries."""

    mid: str
    type: str
    active: bool = True
    feed_id: int | None = None
    feed_mid: str | None = None

    @property
    def feed(self) -> tuple[int, str] | None:
        """The (publisher feed id, publisher mid) it carries, or None (inactive, data...)."""
        if not self.active or self.feed_id is None or self.feed_mid is None:
            return None
        return self.feed_id, self.feed_mid


class SubscriberUpdate(_Reply):
    """What the subscriber handle carries now, and the offer to pass to the browser (if any)."""

    streams: list[SubscribedStream] | None = None
    offer: Jsep | None = None


class Forwarder(_Reply):
    stream_id: int


class ForwardReply(_Reply):
    forwarders: list[Forwarder] = []


def read(model: type[_ReplyT], data: JsonObject | None, what: str) -> _ReplyT:
    """Validate one reply from Janus, or raise a :class:`JanusError` naming what was wrong."""
    try:
        return model.model_validate(data or {})
    except ValidationError as exc:
        raise JanusError(0, f"unexpected {what} from Janus: {exc.errors()[0]['msg']}") from None


def subscriber_update(data: JsonObject, jsep: JsonObject | None) -> SubscriberUpdate:
    """A subscriber's reply or event, with its JSEP when it is an offer."""
    streams = data.get("streams")
    offer = jsep if jsep is not None and jsep.get("type") == "offer" else None
    return read(
        SubscriberUpdate,
        {"streams": streams if isinstance(streams, list) else None, "offer": offer},
        "subscriber update",
    )


class TalkEvent(_Reply):
    """The VideoRoom's talk detection: publisher ``id`` started or stopped talking on ``mid``."""

    videoroom: Literal["talking", "stopped-talking"]
    id: int
    mid: str | None = None
    level: float | None = Field(default=None, alias="audio-level-dBov-avg")
    """The average level that decided it, in -dBov (0 loudest, 127 silence)."""

    @property
    def talking(self) -> bool:
        return self.videoroom == "talking"


def talk_event(data: JsonObject) -> TalkEvent | None:
    """The talk-detection event in a publisher handle's event, or None for any other event."""
    if data.get("videoroom") not in ("talking", "stopped-talking"):
        return None
    return read(TalkEvent, data, "talk event")
