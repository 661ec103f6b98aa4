"""REST routes for transcripts: thin handlers that parse, delegate to the library and shape
the reply. Owners and administrators of a room only (``policy.read_records``); API tokens
need the ``recordings:read`` scope to read and ``recordings:write`` to delete or rename."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from visio.auth.dependencies import RecordingsReader, RecordingsWriter, container_of, origin_of
from visio.errors import ErrorReply
from visio.rooms.rest import DatabaseId, RoomSlug
from visio.text import one_line
from visio.transcripts import exports
from visio.transcripts.library import TranscriptLibrary
from visio.transcripts.store import StoredTranscript, StoredTurn

router = APIRouter(prefix="/api/v1", tags=["transcripts"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorReply, "description": "not signed in"},
    403: {"model": ErrorReply, "description": "not an owner or administrator of the room"},
    404: {"model": ErrorReply, "description": "no such room or transcript"},
}
SearchQuery = Annotated[str, AfterValidator(one_line(200))]


class TranscriptSummary(BaseModel):
    id: int
    room_slug: str
    room_name: str | None
    started_at: datetime
    ended_at: datetime | None
    started_by: str
    status: Literal["active", "complete", "interrupted"]
    language: str
    turn_count: int


class TranscriptTurn(BaseModel):
    """One speaker's turn: their display name then, when (wall clock), what."""

    id: int
    participant_id: str
    speaker: str
    user_id: int | None
    started_at: datetime
    ended_at: datetime
    text: str
    language: str


class SharedDeviceOut(BaseModel):
    """A shared room device of the transcript and where telling its voices apart stands:
    ``pending`` (after the meeting, not yet done), ``done`` (``voices`` voices over
    ``turns_labelled`` turns), ``no_audio`` or ``failed`` (its turns keep its name; ``error``
    says why)."""

    participant_id: str
    name: str
    status: Literal["pending", "done", "no_audio", "failed"]
    voices: int | None
    turns_labelled: int | None
    error: str | None


class TranscriptDetail(TranscriptSummary):
    turns: list[TranscriptTurn]
    shared_devices: list[SharedDeviceOut] = []
    can_rename: bool
    """Whether the caller may rename this transcript's speakers (owners and administrators of
    its room; the rename route answers 409 while the transcript is still active)."""


class TranscriptList(BaseModel):
    transcripts: list[TranscriptSummary]


class SnippetFragment(BaseModel):
    """Plain text; ``match`` marks the words that matched (never markup)."""

    text: str
    match: bool


class SearchHitOut(BaseModel):
    transcript_id: int
    room_slug: str
    room_name: str | None
    transcript_started_at: datetime
    turn_id: int
    speaker: str
    started_at: datetime
    offset_s: float
    """Seconds from the transcript's start to this turn."""
    snippet: list[SnippetFragment]


class SearchResults(BaseModel):
    results: list[SearchHitOut]


ParticipantRef = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
"""A turn's ``participant_id`` as the transcript gives it."""


class SpeakerRename(BaseModel):
    """Rename one speaker of a transcript: every turn labelled ``speaker`` becomes ``name`` (one
    line of at most 64 characters, no control characters). With ``participants``, only the
    turns of those participants (their ``participant_id``) change: two people who joined under
    the same name are renamed apart."""

    speaker: Annotated[str, AfterValidator(one_line(64))]
    name: Annotated[str, AfterValidator(one_line(64))]
    participants: Annotated[list[ParticipantRef], Field(min_length=1, max_length=500)] | None = None


class SpeakerRenamed(BaseModel):
    turns: int
    """How many turns now carry the new name."""


def _library(request: Request) -> TranscriptLibrary:
    library: TranscriptLibrary = container_of(request).transcript_library
    return library


def _summary(transcript: StoredTranscript) -> dict[str, Any]:
    return {
        "id": transcript.id,
        "room_slug": transcript.room_slug,
        "room_name": transcript.room_name,
        "started_at": transcript.started_at,
        "ended_at": transcript.ended_at,
        "started_by": transcript.started_by,
        "status": transcript.status,
        "language": transcript.language,
        "turn_count": transcript.turn_count,
    }


def _turn(turn: StoredTurn) -> TranscriptTurn:
    return TranscriptTurn(
        id=turn.id,
        participant_id=turn.participant_id,
        speaker=turn.speaker,
        user_id=turn.user_id,
        started_at=turn.started_at,
        ended_at=turn.ended_at,
        text=turn.text,
        language=turn.language,
    )


@router.get("/rooms/{slug}/transcripts", response_model=TranscriptList, responses=_ERRORS)
async def list_transcripts(
    slug: RoomSlug, request: Request, session: RecordingsReader
) -> TranscriptList:
    """The transcripts of a room's meetings, newest first."""
    found = await _library(request).of_room(session.user, slug, origin_of(request))
    return TranscriptList(transcripts=[TranscriptSummary(**_summary(t)) for t in found])


@router.get("/transcripts/search", response_model=SearchResults, responses=_ERRORS)
async def search_transcripts(
    request: Request,
    session: RecordingsReader,
    q: Annotated[SearchQuery, Query(min_length=1, max_length=200)],
) -> SearchResults:
    """Turns that contain every word of ``q`` (French and English stemming, accents and case
    ignored), in the transcripts of the rooms the caller owns or administers."""
    hits = await _library(request).search(session.user, q)
    return SearchResults(
        results=[
            SearchHitOut(
                transcript_id=hit.transcript.id,
                room_slug=hit.transcript.room_slug,
                room_name=hit.transcript.room_name,
                transcript_started_at=hit.transcript.started_at,
                turn_id=hit.turn.id,
                speaker=hit.turn.speaker,
                started_at=hit.turn.started_at,
                offset_s=round(
                    max((hit.turn.started_at - hit.transcript.started_at).total_seconds(), 0), 3
                ),
                snippet=[SnippetFragment(text=f.text, match=f.match) for f in hit.snippet],
            )
            for hit in hits
        ]
    )


@router.get("/transcripts/{transcript_id}", response_model=TranscriptDetail, responses=_ERRORS)
async def get_transcript(
    transcript_id: DatabaseId, request: Request, session: RecordingsReader
) -> TranscriptDetail:
    """A transcript and its turns, in the order they were spoken."""
    transcript, turns, may_change = await _library(request).read(
        session.user, transcript_id, origin_of(request)
    )
    devices = await _library(request).shared_devices(transcript_id)
    return TranscriptDetail(
        **_summary(transcript),
        turns=[_turn(t) for t in turns],
        can_rename=may_change,
        shared_devices=[
            SharedDeviceOut(
                participant_id=d.participant_id,
                name=d.name,
                status=d.status,
                voices=d.voices,
                turns_labelled=d.turns_labelled,
                error=d.error,
            )
            for d in devices
        ],
    )


@router.get(
    "/transcripts/{transcript_id}/export",
    responses={
        **_ERRORS,
        200: {
            "description": "the transcript as a file",
            "content": {media: {} for media in exports.MEDIA_TYPES.values()},
        },
    },
)
async def export_transcript(
    transcript_id: DatabaseId,
    request: Request,
    session: RecordingsReader,
    format: exports.ExportFormat = "vtt",
) -> Response:
    """Download a transcript as WebVTT (``<v Speaker>`` voice spans), SRT, Markdown, DOCX or
    JSON."""
    transcript, exported = await _library(request).export(
        session.user, transcript_id, format, origin_of(request)
    )
    return Response(
        exported.body,
        media_type=exported.media_type,
        headers={
            "Content-Disposition": exports.content_disposition(transcript, exported.extension),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


@router.delete("/transcripts/{transcript_id}", status_code=204, responses=_ERRORS)
async def delete_transcript(
    transcript_id: DatabaseId, request: Request, session: RecordingsWriter
) -> Response:
    """Delete a transcript now, with its turns and search entries (owners and administrators
    of its room; audited)."""
    await _library(request).delete(session.user, transcript_id, origin_of(request))
    return Response(status_code=204)


@router.post(
    "/transcripts/{transcript_id}/speakers/rename",
    response_model=SpeakerRenamed,
    responses={**_ERRORS, 409: {"model": ErrorReply, "description": "still being transcribed"}},
)
async def rename_speaker(
    transcript_id: DatabaseId, body: SpeakerRename, request: Request, session: RecordingsWriter
) -> SpeakerRenamed:
    """Rename one speaker of a finished transcript (owners and administrators of its room;
    audited): exports and search show the new name."""
    turns = await _library(request).rename_speaker(
        session.user,
        transcript_id,
        body.speaker,
        body.name,
        origin_of(request),
        participants=body.participants,
    )
    return SpeakerRenamed(turns=turns)
