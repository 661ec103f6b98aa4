"""Which videos a participant receives, and at which simulcast layer (``subscription.set``).

Cameras publish three simulcast layers (rids h, m, l); Janus relays one of them to each
subscriber, chosen per subscriber stream. A client that shows few, small tiles asks for low
layers and turns off what it does not show, which is what lets a large meeting fit a viewer's
link and CPU. New camera subscriptions start at the low layer, so joining is quick; the client
raises what it shows large once it knows its tiles' sizes.

The subscriber connection's own mids are the keys: the client knows them from
``subscriber.offer``. What Janus is set to is remembered per mid, so each request sends Janus
only what changed; a mid that Janus reuses for another feed starts afresh.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from visio.media.engine import MediaUnavailableError
from visio.media.janus.client import JanusError
from visio.media.janus.replies import SubscribedStream
from visio.media.janus.subscriber import Feed, StreamConfiguration
from visio.rooms.protocol import (
    ErrorDetail,
    Layer,
    ProtocolError,
    Source,
    StreamLayer,
    SubscriptionSet,
    SubscriptionState,
)

if TYPE_CHECKING:
    from visio.rooms.participant import Participant
    from visio.rooms.room import Room

logger = logging.getLogger(__name__)

SUBSTREAMS: Mapping[Layer, int] = {"low": 0, "medium": 1, "high": 2}
"""Janus's simulcast substream for each layer (0 is the lowest: the publisher's rid ``l``)."""
START_LAYER: Layer = "low"
"""Where every new camera subscription starts."""
NOMINAL_KBPS: Mapping[Layer, int] = {"off": 0, "low": 100, "medium": 300, "high": 900}
"""What each camera layer costs at most (the publisher's ``maxBitrate`` per rid)."""


@dataclass
class ReceivedVideo:
    """One video stream of a subscription, as Janus is set to relay it."""

    feed: Feed
    source: Source
    layer: Layer

    @property
    def simulcast(self) -> bool:
        """Only cameras publish simulcast; a screen share is on or off."""
        return self.source == "camera"


@dataclass
class ReceivedLayers:
    """A participant's subscription, per subscriber mid: its videos and its audio mids."""

    videos: dict[str, ReceivedVideo] = field(default_factory=dict)
    audio_mids: dict[str, Feed] = field(default_factory=dict)
    """Each audio mid, with the publisher's microphone it carries."""
    audio_paused: set[str] = field(default_factory=set)
    """Audio mids Janus is set not to relay (``visio.rooms.audible``)."""

    def follow(self, room: Room, streams: list[SubscribedStream]) -> None:
        """The subscription changed (Janus's list of its streams): keep what each mid still
        carries, start new (or reused) mids where Janus starts them."""
        videos: dict[str, ReceivedVideo] = {}
        audio: dict[str, Feed] = {}
        for stream in streams:
            if stream.feed is None:
                continue
            if stream.type == "audio":
                audio[stream.mid] = stream.feed
                continue
            owner = room.by_feed(stream.feed[0])
            source = owner.tracks.get(stream.feed[1]) if owner else None
            if stream.type != "video" or source is None:
                continue
            known = self.videos.get(stream.mid)
            if known is not None and known.feed == stream.feed:
                videos[stream.mid] = known
            else:
                layer = START_LAYER if source == "camera" else "high"
                videos[stream.mid] = ReceivedVideo(stream.feed, source, layer)
        # Janus relays a new (or reused) mid: only a mid that still carries the same
        # microphone stays paused.
        self.audio_paused = {
            mid for mid in self.audio_paused if self.audio_mids.get(mid) == audio.get(mid, ())
        }
        self.videos, self.audio_mids = videos, audio

    def state(self) -> list[StreamLayer]:
        return [StreamLayer(mid=mid, layer=video.layer) for mid, video in self.videos.items()]


def start_substreams(room: Room, feeds: list[Feed]) -> dict[Feed, int]:
    """The substream each new subscription starts at: cameras at :data:`START_LAYER`."""
    substreams: dict[Feed, int] = {}
    for feed_id, mid in feeds:
        owner = room.by_feed(feed_id)
        if owner is not None and owner.tracks.get(mid) == "camera":
            substreams[(feed_id, mid)] = SUBSTREAMS[START_LAYER]
    return substreams


def _changes(
    received: ReceivedLayers, request: SubscriptionSet
) -> list[tuple[str, Layer, StreamConfiguration]]:
    """What Janus must change for ``request``, or a refusal naming every bad stream."""
    problems: list[ErrorDetail] = []
    changes: list[tuple[str, Layer, StreamConfiguration]] = []
    for index, wanted in enumerate(request.streams):
        where = f"streams.{index}.mid"
        video = received.videos.get(wanted.mid)
        if video is None:
            problem = (
                "is an audio stream; only videos have layers"
                if wanted.mid in received.audio_mids
                else "is not a video stream of your subscription (see subscriber.offer)"
            )
            problems.append(ErrorDetail(field=where, problem=problem))
            continue
        layer: Layer = wanted.layer
        if not video.simulcast and layer != "off":
            layer = "high"  # a screen share has one layer: on
        if layer == video.layer:
            continue
        substream = SUBSTREAMS[layer] if video.simulcast and layer != "off" else None
        changes.append(
            (wanted.mid, layer, StreamConfiguration(wanted.mid, layer != "off", substream))
        )
    if problems:
        summary = "; ".join(f"{p.field} {p.problem}" for p in problems[:3])
        raise ProtocolError(
            "invalid_message", f"invalid 'subscription.set' ({summary})", details=problems[:10]
        )
    return changes


def check_budget(
    received: ReceivedLayers,
    changes: list[tuple[str, Layer, StreamConfiguration]],
    budget_kbps: int,
) -> None:
    """Refuse changes that would raise the cameras' nominal total above ``budget_kbps``.
    Lowering is always allowed: new cameras start at low, so a large meeting may begin above it."""
    before = {mid: video.layer for mid, video in received.videos.items() if video.simulcast}
    after = dict(before)
    for mid, layer, _ in changes:
        if mid in after:
            after[mid] = layer
    total_before = sum(NOMINAL_KBPS[layer] for layer in before.values())
    total_after = sum(NOMINAL_KBPS[layer] for layer in after.values())
    if total_after > budget_kbps and total_after > total_before:
        raise ProtocolError(
            "invalid_message",
            f"'subscription.set' asks for {total_after} kbit/s of camera video; "
            f"at most {budget_kbps} (lower or turn off some videos)",
            details=[ErrorDetail(field="streams", problem=f"over the {budget_kbps} kbit/s budget")],
        )


async def set_layers(
    room: Room, participant: Participant, request: SubscriptionSet, budget_kbps: int
) -> SubscriptionState:
    """Apply a ``subscription.set``: one Janus ``configure`` for what changed, nothing for the
    rest; the whole request is refused if one stream is not a video of the subscription, or if
    it would take the cameras over ``budget_kbps`` (:func:`check_budget`)."""
    async with participant.sync_lock:  # the subscription's mids do not move meanwhile
        subscriber = participant.subscriber
        if subscriber is None:
            raise ProtocolError("out_of_order", "you receive no streams yet")
        received = participant.received
        changes = _changes(received, request)
        check_budget(received, changes, budget_kbps)
        if changes:
            try:
                await subscriber.configure_streams([change for _, _, change in changes])
            except MediaUnavailableError:
                raise ProtocolError("media_unavailable", "the media engine is restarting") from None
            except JanusError as exc:
                logger.warning(
                    "room %s: Janus refused %s's layers: %s", room.slug, participant.id, exc
                )
                raise ProtocolError(
                    "media_error", f"the media engine refused the layers: {exc.reason}"
                ) from None
            for mid, layer, _ in changes:
                received.videos[mid].layer = layer
        return SubscriptionState(reply_to=request.id, streams=received.state())
