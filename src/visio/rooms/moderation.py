"""Moderation in a meeting: mute, camera off, stop a screen share, lower a hand, promote,
remove, lock, end. Janus enforces what can be enforced (it stops relaying a source), so a
moderated client cannot simply ignore the request. Every decision is ``policy``'s; removals
and the end of a meeting go to the audit trail."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Final

from visio.rooms import policy
from visio.rooms.audit import ModeratorAudit
from visio.rooms.lobby import Lobby
from visio.rooms.media import RoomMedia
from visio.rooms.participant import Participant
from visio.rooms.protocol import (
    ErrorMessage,
    LeaveReason,
    Moderated,
    ModerationAction,
    ParticipantUpdated,
    ProtocolError,
    RoomState,
    Source,
)
from visio.rooms.repository import RoomRepository
from visio.rooms.room import Room

logger = logging.getLogger(__name__)

Leave = Callable[[Room, Participant, LeaveReason], Awaitable[None]]
Promoted = Callable[[Room, Participant], None]

_SOURCE_OF_ACTION: Final[dict[ModerationAction, Source]] = {
    "mute": "microphone",
    "camera_off": "camera",
    "stop_screen": "screen",
}


class Moderation:
    """What moderators do to others in a meeting."""

    def __init__(
        self,
        repository: RoomRepository,
        audit: ModeratorAudit,
        media: RoomMedia,
        lobby: Lobby,
        leave: Leave,
        promoted: Promoted,
    ) -> None:
        self._repository = repository
        self._audit = audit
        self._media = media
        self._lobby = lobby
        self._leave = leave
        self._promoted = promoted

    async def moderate(
        self,
        room: Room,
        moderator: Participant,
        action: ModerationAction,
        target_id: str | None,
    ) -> None:
        """A moderator acts on one participant (or, for mute and camera_off, everyone else)."""
        if target_id is None:
            policy.enforce(policy.moderate(moderator.standing, action, None))
            if action not in ("mute", "camera_off"):
                raise ProtocolError("invalid_message", f"{action} needs a participant_id")
            targets = [p for p in room.others(moderator) if not p.moderator]
        else:
            target = room.participants.get(target_id)
            policy.enforce(
                policy.moderate(moderator.standing, action, target.standing if target else None)
            )
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
            await self._apply(room, moderator, action, target)

    async def _apply(
        self, room: Room, moderator: Participant, action: ModerationAction, target: Participant
    ) -> None:
        if action == "remove":
            await self.remove(room, target, by=moderator)
        elif action == "lower_hand":
            if target.hand_raised_at is not None:
                target.hand_raised_at = None
                target.send(Moderated(action=action, by=moderator.id))
                room.broadcast(ParticipantUpdated(participant=target.info()))
        elif action == "promote":
            if not target.moderator:
                target.moderator_by = "promoted"
                self._promoted(room, target)
        else:
            target.send(Moderated(action=action, by=moderator.id))
            if action == "mute":
                target.audio = False
            elif action == "camera_off":
                target.video = False
            room.broadcast(ParticipantUpdated(participant=target.info()))
            await self._media.set_relayed(room, target, _SOURCE_OF_ACTION[action], relayed=False)

    async def lock(self, room: Room, moderator: Participant, locked: bool) -> None:
        policy.enforce(policy.lock(moderator.standing))
        room.locked = locked
        room.broadcast(RoomState(locked=locked, set_by=moderator.id))

    async def end(self, room: Room, moderator: Participant) -> None:
        """End the meeting for everyone: the lobby is turned away, every participant told."""
        policy.enforce(policy.end(moderator.standing))
        logger.info("room %s: meeting ended by %s", room.slug, moderator.id)
        await self._audit.record("room.meeting_ended", moderator, room)
        for person in list(room.lobby.values()):
            self._lobby.turn_away(room, person, "meeting_ended", "a moderator ended the meeting")
        for participant in list(room.participants.values()):
            participant.send(
                ErrorMessage(
                    code="meeting_ended", message="a moderator ended the meeting", fatal=True
                )
            )
            await self._leave(room, participant, "left")
            participant.outbox.close()

    async def remove(self, room: Room, participant: Participant, by: Participant) -> None:
        """Take someone out of the meeting and keep them out (stored, so it survives a restart):
        they are told why, their connection closes, and they wait in the lobby if they return."""
        if participant.visitor.key is not None:
            await self._repository.set_removed(
                room.slug,
                participant.visitor.key,
                removed=True,
                name=participant.name,
                removed_by=by.visitor.label,
            )
        await self._audit.record(
            "room.participant_removed", by, room, participant.visitor, participant=participant.id
        )
        participant.send(
            ErrorMessage(
                code="removed", message="a moderator removed you from the meeting", fatal=True
            )
        )
        await self._leave(room, participant, "removed")
        participant.outbox.close()
