"""Reactions: a participant sends one of a small fixed set of emoji names; everyone present sees it
float over the sender's tile for a moment. Nothing is kept: a reaction is news only while it shows.

Each participant has a rate limit of their own for reactions, tighter than the socket's limit for
all frames: a burst of applause is welcome, a stream of emoji drowns the meeting (and the screen
reader announcements of everyone present).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import get_args

from visio.ratelimit import TokenBucket
from visio.rooms.participant import Participant
from visio.rooms.protocol import ProtocolError, Reaction, ReactionName, RequestId
from visio.rooms.room import Room

logger = logging.getLogger(__name__)

REACTION_NAMES: tuple[str, ...] = get_args(ReactionName)
REACTION_RATE_PER_SECOND = 3.0
REACTION_BURST = 6


class ParticipantReactions:
    """One participant's reactions: rate-limited, then broadcast to everyone present (the sender
    too, so every client shows the reaction the same way)."""

    def __init__(
        self,
        rate_per_second: float = REACTION_RATE_PER_SECOND,
        burst: int = REACTION_BURST,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._bucket = TokenBucket(rate_per_second, burst, clock=clock)

    def react(
        self,
        room: Room,
        participant: Participant,
        reaction: ReactionName,
        reply_to: RequestId | None = None,
    ) -> None:
        """Show ``reaction`` to everyone in ``room``, or refuse it with ``rate_limited``."""
        if not self._bucket.allow():
            logger.debug(
                "room %s participant %s: reaction over the rate limit", room.slug, participant.id
            )
            raise ProtocolError(
                "rate_limited",
                f"at most {REACTION_BURST} reactions at once and"
                f" {REACTION_RATE_PER_SECOND:g} a second; wait a moment",
                reply_to=reply_to,
            )
        room.broadcast(Reaction(participant_id=participant.id, reaction=reaction))
