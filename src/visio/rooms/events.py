"""Who else hears that people join and leave meetings (webhooks, for one): the room service
tells a :class:`MeetingObserver`. Observers only take note; they never block or fail a meeting."""

from __future__ import annotations

from typing import Protocol

from visio.rooms.participant import Participant
from visio.rooms.protocol import LeaveReason


class MeetingObserver(Protocol):
    def participant_joined(self, slug: str, participant: Participant) -> None:
        """Someone entered the meeting of room ``slug`` (the first one starts it)."""

    def participant_left(
        self, slug: str, participant: Participant, reason: LeaveReason, remaining: int
    ) -> None:
        """Someone left; ``remaining`` people are still in (none: the meeting ended)."""
