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
from visio.transcripts.store import (
    SearchHit,
    SharedDevice,
    StoredTranscript,
    StoredTurn,
    TranscriptStore,
)


class TranscriptCopies(Protocol):
    """Copies of transcripts kept elsewhere (:class:`visio.recording.copies.ObjectCopies`)."""

    async def remove_transcript(self, transcript_id: int) -> dict[str, Any]:
        """Delete a transcript's copies; return what happened, for the audit event."""

    async def transcript_changed(self, transcript_id: int) -> None:
        """Make a transcript's copies again (its speakers changed)."""


class SpooledAudio(Protocol):
    """Shared devices' audio kept for their voice split (:class:`~.voice_split.VoiceSplits`)."""

    async def forget(self, transcript_id: int) -> None:
        """Delete what the spool holds for this transcript."""


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
        """Copies of the exports in object storage, made again after a rename and deleted
        with the transcript."""
        self.voice_splits: SpooledAudio | None = None
        """Shared devices' spooled audio, deleted with the transcript."""

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
    ) -> tuple[StoredTranscript, bool]:
        """The transcript, if this person may read it, and whether they may also change it
        (rename its speakers, delete it)."""
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
        may_change = not isinstance(policy.delete_records(actor, room), policy.Refusal)
        return transcript, may_change

    async def of_room(self, user: User, slug: str, origin: Origin) -> list[StoredTranscript]:
        """A room's transcripts, newest first (its owners and administrators)."""
        room = await self._rooms.find(slug)
        actor = await self._rooms.actor(user, room)
        await self._allow(policy.read_records(actor, room), "transcript.read", user, origin, slug)
        return await self._store.of_room(room.id)

    async def read(
        self, user: User, transcript_id: int, origin: Origin
    ) -> tuple[StoredTranscript, list[StoredTurn], bool]:
        """The transcript, its turns, and whether this person may change it (rename its
        speakers, delete it) once it is finished: the web app shows those controls to them
        only."""
        transcript, may_change = await self._readable(
            user, transcript_id, origin, "transcript.read"
        )
        return transcript, await self._store.turns(transcript_id), may_change

    async def shared_devices(self, transcript_id: int) -> list[SharedDevice]:
        """Its shared room devices and their voice split (after :meth:`read` allowed it)."""
        return await self._store.shared_devices(transcript_id)

    async def export(
        self, user: User, transcript_id: int, format: exports.ExportFormat, origin: Origin
    ) -> tuple[StoredTranscript, exports.Export]:
        """The transcript as a file; each download is in the audit trail."""
        transcript, _ = await self._readable(user, transcript_id, origin, "transcript.exported")
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
        if self.voice_splits is not None:
            await self.voice_splits.forget(transcript_id)
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
        self,
        user: User,
        transcript_id: int,
        speaker: str,
        name: str,
        origin: Origin,
        *,
        participants: list[str] | None = None,
    ) -> int:
        """Rename one speaker of a transcript (a shared device's "Salle 3 - locuteur 1" becomes
        the person's name), only the turns of ``participants`` when given: owners and
        administrators of its room; audited."""
        _, room = await self._finished_for_owners(
            user, transcript_id, "transcript.speaker_renamed", origin
        )
        renamed = await self._store.rename_speaker(
            transcript_id, speaker, name, participants=participants
        )
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
            details={
                "transcript": transcript_id,
                "from": speaker,
                "to": name,
                "turns": renamed,
                **({"participants": len(set(participants))} if participants else {}),
            },
        )
        if self.copies is not None:
            await self.copies.transcript_changed(transcript_id)
        return renamed

    async def search(self, user: User, query: str) -> list[SearchHit]:
        """Turns of the transcripts this person may read that match ``query``."""
        return await self._store.search(user.id, member_key(self._settings, user), query)
