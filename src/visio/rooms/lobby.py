"""The lobby: people who may not walk straight into a meeting wait here until a moderator
admits or denies them (a guest at a trusted room, a stranger at a restricted one, anyone at a
locked meeting, someone removed)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from visio.rooms import policy
from visio.rooms.audit import ModeratorAudit
from visio.rooms.participant import Entrant, Participant, WaitingPerson
from visio.rooms.protocol import (
    ErrorCode,
    ErrorMessage,
    LobbyKnock,
    LobbyLeft,
    LobbyList,
    LobbyWaiting,
    ProtocolError,
    Role,
    WaitReason,
)
from visio.rooms.repository import Access, RoomRepository
from visio.rooms.room import Room

logger = logging.getLogger(__name__)

Enter = Callable[[Room, Entrant, Role | None], Participant]
"""The room service's way in, for someone admitted."""


class Lobby:
    """Waiting, admitting, denying; every decision is ``policy``'s, every one audited."""

    def __init__(self, repository: RoomRepository, audit: ModeratorAudit, enter: Enter) -> None:
        self._repository = repository
        self._audit = audit
        self._enter = enter

    def wait(
        self,
        room: Room,
        entrant: Entrant,
        reason: WaitReason,
        role: Role | None,
        on_admitted: Callable[[Participant], None],
    ) -> WaitingPerson:
        """Hold someone in the lobby: they get ``lobby.waiting``, moderators ``lobby.knock``.
        Nothing of them stays if telling fails."""
        person = WaitingPerson(entrant=entrant, reason=reason, role=role, on_admitted=on_admitted)
        room.lobby[person.id] = person
        try:
            person.send(LobbyWaiting(reply_to=entrant.reply_to, reason=reason))
            room.tell_moderators(LobbyKnock(waiting=person.info()))
        except BaseException:
            room.lobby.pop(person.id, None)
            raise
        logger.info("room %s: %s waits in the lobby (%s)", room.slug, person.id, reason)
        return person

    def show_to(self, moderator: Participant, room: Room) -> None:
        """A new moderator sees who is waiting (when someone is)."""
        if moderator.moderator and room.lobby:
            moderator.send(LobbyList(waiting=[p.info() for p in room.lobby.values()]))

    def left(self, room: Room, person: WaitingPerson) -> None:
        """A waiting person closed the tab: they disappear from the moderators' list."""
        if person.gone:
            return
        person.gone = True
        room.lobby.pop(person.id, None)
        logger.info("room %s: %s left the lobby", room.slug, person.id)
        room.tell_moderators(LobbyLeft(waiting_id=person.id, reason="left"))

    async def admit(
        self, room: Room, access: Access, moderator: Participant, waiting_id: str | None
    ) -> None:
        """A moderator lets one waiting person (or everyone waiting) into the meeting."""
        waiting = self._waiting(room, waiting_id)
        for reason in {None, *(person.reason for person in waiting)}:
            policy.enforce(policy.admit(moderator.standing, access, reason))
        for person in waiting:
            person.gone = True
            room.lobby.pop(person.id, None)
            if person.visitor.key is not None:
                await self._repository.set_removed(room.slug, person.visitor.key, removed=False)
            room.tell_moderators(
                LobbyLeft(waiting_id=person.id, reason="admitted", by=moderator.id)
            )
            try:
                participant = self._enter(room, person.entrant, person.role)
            except ProtocolError as exc:
                person.send(exc.error)
                person.close()
                continue
            person.on_admitted(participant)
            await self._audit.record(
                "room.lobby_admitted", moderator, room, person.visitor, participant=participant.id
            )

    async def deny(self, room: Room, moderator: Participant, waiting_id: str | None) -> None:
        """A moderator turns one waiting person (or everyone waiting) away."""
        policy.enforce(policy.deny(moderator.standing))
        for person in self._waiting(room, waiting_id):
            self.turn_away(room, person, "denied", "a moderator did not let you in")
            room.tell_moderators(LobbyLeft(waiting_id=person.id, reason="denied", by=moderator.id))
            await self._audit.record("room.lobby_denied", moderator, room, person.visitor)

    def turn_away(self, room: Room, person: WaitingPerson, code: ErrorCode, message: str) -> None:
        """Tell a waiting person they will not get in, and close their socket."""
        person.gone = True
        room.lobby.pop(person.id, None)
        person.send(ErrorMessage(code=code, message=message, fatal=True))
        person.close()

    def _waiting(self, room: Room, waiting_id: str | None) -> list[WaitingPerson]:
        if waiting_id is None:
            return list(room.lobby.values())
        person = room.lobby.get(waiting_id)
        if person is None:
            raise ProtocolError("participant_not_found", "nobody with that id is waiting")
        return [person]
