"""The audit trail of what moderators decide in a meeting: who, on whom, in which room."""

from __future__ import annotations

from typing import Any

from visio.audit import AuditTrail
from visio.rooms.participant import Participant, Visitor
from visio.rooms.room import Room


class ModeratorAudit:
    """Records one moderator decision per call, with the moderator's and the subject's labels."""

    def __init__(self, audit: AuditTrail) -> None:
        self._audit = audit

    async def record(
        self,
        event: str,
        moderator: Participant,
        room: Room,
        subject: Visitor | None = None,
        **details: Any,
    ) -> None:
        by = moderator.visitor
        if subject is not None:
            details["subject"] = subject.label
            details["subject_identity"] = subject.identity
        details["moderator_participant"] = moderator.id
        await self._audit.record(
            event,
            "success",
            by.origin,
            actor_user_id=by.user.id if by.user else None,
            actor=by.label,
            target=room.slug,
            details=details,
        )
