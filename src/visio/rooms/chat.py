"""The meeting's chat: what participants write to everyone present.

A room keeps its meeting's last :data:`HISTORY_LIMIT` messages in memory (:class:`ChatLog`, held
by the :class:`~visio.rooms.room.Room`), so that someone who arrives late reads what was said.
A room whose owners turned ``keep_chat`` on also stores each message as it is sent
(:class:`~visio.rooms.chat_history.ChatHistory`); when its next meeting starts, that history is
loaded and shown to the room's members (people with a role in it, in person or through a
group), never to guests or others without a role. Text is checked at the edge (``protocol``);
who may delete is ``policy``'s decision, and each deletion goes to the audit trail.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Final

from visio.ratelimit import TokenBucket
from visio.rooms import policy
from visio.rooms.chat_history import ChatHistory
from visio.rooms.chat_mirror import ChatMirror, NoMirror
from visio.rooms.participant import Participant
from visio.rooms.protocol import (
    ChatDeleted,
    ChatMessage,
    ChatMessageInfo,
    ProtocolError,
    RequestId,
)
from visio.rooms.repository import RoomRepository, StoredRoom
from visio.settings import Settings

if TYPE_CHECKING:  # the room holds a ChatLog: these import this module
    from visio.rooms.audit import ModeratorAudit
    from visio.rooms.room import Room

logger = logging.getLogger(__name__)

HISTORY_LIMIT: Final = 500
"""Messages a room keeps in memory for late joiners (and loads from a kept history)."""


def new_message_id() -> str:
    return "m_" + secrets.token_urlsafe(12)


@dataclass(eq=False)
class ChatLog:
    """One meeting's chat, as the room holds it."""

    messages: deque[ChatMessageInfo] = field(default_factory=lambda: deque(maxlen=HISTORY_LIMIT))
    """This meeting's messages, oldest first."""
    earlier: deque[ChatMessageInfo] = field(default_factory=lambda: deque(maxlen=HISTORY_LIMIT))
    """The kept history of the room's earlier meetings, shown to members only."""
    buckets: dict[str, TokenBucket] = field(default_factory=dict)
    """Each participant's own chat rate limit, by participant id."""
    loading: asyncio.Lock = field(default_factory=asyncio.Lock)
    loaded: bool = False

    def visible_to(self, participant: Participant) -> list[ChatMessageInfo]:
        """What this participant reads: this meeting's messages, after the earlier meetings'
        for a member; at most :data:`HISTORY_LIMIT`, the newest."""
        shown: Iterable[ChatMessageInfo] = self.messages
        if _member(participant) and self.earlier:
            shown = [*self.earlier, *self.messages]
        return list(shown)[-HISTORY_LIMIT:]

    def take(self, message_id: str, participant: Participant) -> ChatMessageInfo | None:
        """Remove a message this participant can see; None when there is none by that id."""
        places = [self.messages, self.earlier] if _member(participant) else [self.messages]
        for place in places:
            for message in place:
                if message.id == message_id:
                    place.remove(message)
                    return message
        return None


def _member(participant: Participant) -> bool:
    """Members of the room hold a role in it (their own, or a group's)."""
    return participant.role is not None


class Chat:
    """Sending and deleting chat messages in a live room, and the kept history."""

    def __init__(
        self,
        settings: Settings,
        repository: RoomRepository,
        history: ChatHistory,
        audit: ModeratorAudit,
        mirror: ChatMirror | None = None,
    ) -> None:
        self._settings = settings
        self._repository = repository
        self._history = history
        self._audit = audit
        self.mirror: ChatMirror = mirror or NoMirror()
        """Where this meeting's messages are copied for the next owner of the room (several
        app servers; ``visio.rooms.chat_mirror``)."""

    async def meeting_starting(self, room: Room, stored: StoredRoom) -> None:
        """Load the room's kept history once, when its meeting starts (before anyone enters,
        so that the first members already read it)."""
        log = room.chat
        async with log.loading:
            if log.loaded:
                return
            if stored.keep_chat:
                kept = await self._history.recent(
                    stored.id, self._retention_cutoff(), HISTORY_LIMIT
                )
                log.earlier.extend(m.model_copy(update={"earlier": True}) for m in kept)
            # The room moved here from another app server mid-meeting: what was said so far.
            log.messages.extend(await self.mirror.recent(room.slug))
            log.loaded = True

    async def send(
        self, room: Room, sender: Participant, text: str, reply_to: RequestId | None
    ) -> None:
        """Say ``text`` (already checked) to everyone present, the sender included, and store
        it if the room keeps its chat. Raise ``rate_limited`` when the sender writes faster
        than the chat allows."""
        log = room.chat
        bucket = log.buckets.get(sender.id)
        if bucket is None:
            bucket = TokenBucket(
                self._settings.chat_rate_per_second, self._settings.chat_rate_burst
            )
            log.buckets[sender.id] = bucket
        if not bucket.allow():
            raise ProtocolError(
                "rate_limited",
                f"you are sending chat messages too fast; wait {bucket.seconds_until_allowed()} s",
            )
        message = ChatMessageInfo(
            id=new_message_id(),
            participant_id=sender.id,
            name=sender.name,
            text=text,
            sent_at=datetime.now(UTC),
        )
        stored = await self._repository.get(room.slug)
        if stored is not None and stored.keep_chat:
            await self._history.add(stored.id, message)
        log.messages.append(message)
        self.mirror.added(room.slug, message, HISTORY_LIMIT)
        sender.send(ChatMessage(reply_to=reply_to, message=message))
        room.broadcast(ChatMessage(message=message), exclude=sender)

    async def delete(self, room: Room, moderator: Participant, message_id: str) -> None:
        """A moderator deletes a message they can see: from memory, from the stored history
        and from everyone's screen (``chat.deleted``); the audit trail keeps who did."""
        policy.enforce(policy.delete_chat_message(moderator.standing))
        message = room.chat.take(message_id, moderator)
        if message is None:
            raise ProtocolError("chat_message_not_found", "no chat message with that id here")
        self.mirror.removed(room.slug, message)
        stored = await self._repository.get(room.slug)
        if stored is not None:
            await self._history.delete(stored.id, message.id)
        logger.info("room %s: %s deleted chat message %s", room.slug, moderator.id, message.id)
        await self._audit.record(
            "room.chat_message_deleted",
            moderator,
            room,
            message=message.id,
            author_participant=message.participant_id,
            author_name=message.name,
        )
        room.broadcast(ChatDeleted(message_id=message.id, deleted_by=moderator.id))

    @staticmethod
    def participant_gone(room: Room, participant: Participant) -> None:
        room.chat.buckets.pop(participant.id, None)

    def _retention_cutoff(self) -> datetime:
        return datetime.now(UTC) - timedelta(days=self._settings.chat_retention_days)

    async def purge(self) -> int:
        """Delete stored messages older than ``VISIO_CHAT_RETENTION_DAYS``; return how many."""
        return await self._history.purge(self._retention_cutoff())
