"""Transcripts after the meeting, as the REST API serves them: each request authorised by
:mod:`visio.rooms.policy` (``read_records``, ``delete_records``), refusals and deletions (and
downloads) recorded in the audit trail."""

from __future__ import annotations

from typing import Any, Protocol

from visio.audit import AuditTrail, Origin
from visio.auth.users import User
from visio.directory import member_key
from visio.errors import ApiProblem
from visio.rooms import policy
from visio.rooms.administration import RoomAdministration
from visio.rooms.repository import StoredRoom
from visio.settings import Settings
from visio.transcripts import exports
from visio.transcripts.store import SearchHit, StoredTranscript, StoredTurn, TranscriptStore


class TranscriptCopies(Protocol):
    """Copies of transcripts kept elsewhere (:class:`visio.recording.copies.ObjectCopies`)."""

    async def remove_transcript(self, transcript_id: int) -> dict[str, Any]:
        """Delete a transcript's copies; return what happened, for the audit event."""


class TranscriptLibrary:
    """Lists, reads, exports, searches and deletes the transcripts a person may see."""

    def __init__(
        self,
        settings: Settings,
        store: TranscriptStore,
        rooms: RoomAdministration,
        audit: AuditTrail,
    ) -> None:
        self._settings = settings
        self._store = store
        self._rooms = rooms
        self._audit = audit
        self.copies: TranscriptCopies | None = None
        """Copies of the exports in object storage, deleted with the transcript."""

    async def _allow(
        self,
        decision: policy.Decision,
        event: str,
        user: User,
        origin: Origin,
        target: str,
        **details: Any,
    ) -> None:
        if isinstance(decision, policy.Refusal):
            await self._audit.record(
                event,
                "failure",
                origin,
                actor_user_id=user.id,
                actor=user.audit_label,
                target=target,
                details={"reason": decision.code, **details},
            )
            raise ApiProblem(decision.status, decision.code, decision.message)

    async def _transcript(self, transcript_id: int) -> StoredTranscript:
        found = await self._store.get(transcript_id)
        if found is None:
            raise ApiProblem(404, "transcript_not_found", f"there is no transcript {transcript_id}")
        return found

    async def _readable(
        self, user: User, transcript_id: int, origin: Origin, event: str
    ) -> StoredTranscript:
        transcript = await self._transcript(transcript_id)
        room = await self._rooms.find(transcript.room_slug)
        actor = await self._rooms.actor(user, room)
        await self._allow(
            policy.read_records(actor, room),
            event,
            user,
            origin,
            room.slug,
            transcript=transcript_id,
        )
        return transcript

    async def of_room(self, user: User, slug: str, origin: Origin) -> list[StoredTranscript]:
        """A room's transcripts, newest first (its owners and administrators)."""
        room = await self._rooms.find(slug)
        actor = await self._rooms.actor(user, room)
        await self._allow(policy.read_records(actor, room), "transcript.read", user, origin, slug)
        return await self._store.of_room(room.id)

    async def read(
        self, user: User, transcript_id: int, origin: Origin
    ) -> tuple[StoredTranscript, list[StoredTurn]]:
        transcript = await self._readable(user, transcript_id, origin, "transcript.read")
        return transcript, await self._store.turns(transcript_id)

    async def export(
        self, user: User, transcript_id: int, format: exports.ExportFormat, origin: Origin
    ) -> tuple[StoredTranscript, exports.Export]:
        """The transcript as a file; each download is in the audit trail."""
        transcript = await self._readable(user, transcript_id, origin, "transcript.exported")
        turns = await self._store.turns(transcript_id)
        await self._audit.record(
            "transcript.exported",
            "success",
            origin,
            actor_user_id=user.id,
            actor=user.audit_label,
            target=transcript.room_slug,
            details={"transcript": transcript_id, "format": format},
        )
        return transcript, exports.export(transcript, turns, format)

    async def _finished_for_owners(
        self, user: User, transcript_id: int, action: str, origin: Origin
    ) -> tuple[StoredTranscript, StoredRoom]:
        """A finished transcript and its room, for a change only the room's owners and
        administrators may make (refused and audited as ``action`` otherwise); 409 while the
        meeting is still being transcribed."""
        transcript = await self._transcript(transcript_id)
        room = await self._rooms.find(transcript.room_slug)
        actor = await self._rooms.actor(user, room)
        await self._allow(
            policy.delete_records(actor, room),
            action,
            user,
            origin,
            room.slug,
            transcript=transcript_id,
        )
        if transcript.status == "active":
            raise ApiProblem(
                409, "transcript_active", "this meeting is still being transcribed; stop it first"
            )
        return transcript, room

    async def delete(self, user: User, transcript_id: int, origin: Origin) -> None:
        """Delete a transcript before it expires: its turns, search entries and copies in
        object storage go with it."""
        transcript, room = await self._finished_for_owners(
            user, transcript_id, "transcript.deleted", origin
        )
        await self._store.delete(transcript_id)
        copies = {} if self.copies is None else await self.copies.remove_transcript(transcript_id)
        await self._audit.record(
            "transcript.deleted",
            "success",
            origin,
            actor_user_id=user.id,
            actor=user.audit_label,
            target=room.slug,
            details={"transcript": transcript_id, "turns": transcript.turn_count, **copies},
        )

    async def rename_speaker(
        self, user: User, transcript_id: int, speaker: str, name: str, origin: Origin
    ) -> int:
        """Rename one speaker of a transcript (a shared device's "Salle 3 - locuteur 1" becomes
        the person's name): owners and administrators of its room; audited."""
        _, room = await self._finished_for_owners(
            user, transcript_id, "transcript.speaker_renamed", origin
        )
        renamed = await self._store.rename_speaker(transcript_id, speaker, name)
        if not renamed:
            raise ApiProblem(
                404, "speaker_not_found", "no turn of this transcript has that speaker"
            )
        await self._audit.record(
            "transcript.speaker_renamed",
            "success",
            origin,
            actor_user_id=user.id,
            actor=user.audit_label,
            target=room.slug,
            details={"transcript": transcript_id, "from": speaker, "to": name, "turns": renamed},
        )
        return renamed

    async def search(self, user: User, query: str) -> list[SearchHit]:
        """Turns of the transcripts this person may read that match ``query``."""
        return await self._store.search(user.id, member_key(self._settings, user), query)
