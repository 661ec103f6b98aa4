"""REST routes for recordings: list a room's, read one, play or download its file (with HTTP
Range, so players can seek), delete it. Reading is for the room's owners and administrators
(``policy.read_records``; API tokens need the ``recordings:read`` scope), deleting too
(``policy.delete_records``; API tokens need ``recordings:write``). A recording the caller
may not read is answered as if it did not exist."""

from __future__ import annotations

import logging
import re
from datetime import datetime
from pathlib import Path as FilePath
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import FileResponse, StreamingResponse
from pydantic import BaseModel

from visio.auth.dependencies import RecordingsReader, RecordingsWriter, origin_of
from visio.auth.users import User
from visio.container import Container
from visio.errors import ApiProblem, ErrorReply
from visio.recording.service import ID_PATTERN
from visio.recording.store import RecordingKind, RecordingStatus, StoredRecording
from visio.rooms import policy
from visio.rooms.rest import RoomSlug

_SINGLE_RANGE = re.compile(r"bytes=(\d{1,15}-\d{0,15}|-\d{1,15})")

RecordingId = Annotated[str, Path(max_length=48, pattern=ID_PATTERN)]

router = APIRouter(prefix="/api/v1", tags=["recordings"])
logger = logging.getLogger(__name__)

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorReply, "description": "not signed in, or an unknown API token"},
    403: {"model": ErrorReply, "description": "refused (CSRF, scope, or the room's policy)"},
    404: {"model": ErrorReply, "description": "no such room or recording (or not yours to see)"},
}


class RecordingInfo(BaseModel):
    """A recording as the API shows it."""

    id: str
    room_slug: str
    kind: RecordingKind
    """``audio`` (mixed audio, Ogg Opus) or ``video`` (a grid of every camera and screen with
    the mixed audio, WebM)."""
    status: RecordingStatus
    """``recording`` (the meeting is being recorded), ``processing``, ``ready`` or ``failed``."""
    started_at: datetime
    ended_at: datetime | None
    duration_s: float | None
    size_bytes: int | None
    media_type: str | None
    """The file's Content-Type once ready."""


def _info(recording: StoredRecording) -> RecordingInfo:
    return RecordingInfo(
        id=recording.id,
        room_slug=recording.room_slug,
        kind=recording.kind,
        status=recording.status,
        started_at=recording.started_at,
        ended_at=recording.ended_at,
        duration_s=recording.duration_s,
        size_bytes=recording.size_bytes,
        media_type=recording.media_type,
    )


def _container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


async def _readable(
    container: Container, user: User, recording_id: str, delete: bool = False
) -> StoredRecording:
    """The recording, if the caller may read it (or delete it); otherwise a 404."""
    recording = await container.recordings.store.get(recording_id)
    if recording is not None:
        room = await container.room_administration.find(recording.room_slug)
        actor = await container.room_administration.actor(user, room)
        decision = (policy.delete_records if delete else policy.read_records)(actor, room)
        if decision:
            return recording
    raise ApiProblem(404, "recording_not_found", "there is no such recording")


@router.get(
    "/rooms/{slug}/recordings",
    response_model=list[RecordingInfo],
    responses=_ERRORS,
)
async def list_recordings(
    slug: RoomSlug, request: Request, session: RecordingsReader
) -> list[RecordingInfo]:
    """The room's recordings, newest first (its owners and administrators)."""
    container = _container(request)
    room = await container.room_administration.find(slug)
    actor = await container.room_administration.actor(session.user, room)
    decision = policy.read_records(actor, room)
    if isinstance(decision, policy.Refusal):
        raise ApiProblem(decision.status, decision.code, decision.message)
    return [_info(r) for r in await container.recordings.store.of_room(room.id)]


@router.get("/recordings/{recording_id}", response_model=RecordingInfo, responses=_ERRORS)
async def get_recording(
    recording_id: RecordingId, request: Request, session: RecordingsReader
) -> RecordingInfo:
    """One recording: its status, and once ready its duration, size and type."""
    return _info(await _readable(_container(request), session.user, recording_id))


@router.get(
    "/recordings/{recording_id}/media",
    response_class=FileResponse,
    responses={
        **_ERRORS,
        206: {"description": "the part of the file the Range header asked"},
        409: {"model": ErrorReply, "description": "the recording is not ready"},
        410: {"model": ErrorReply, "description": "its file is gone and there is no copy"},
        416: {"model": ErrorReply, "description": "the Range lies outside the file"},
        503: {"model": ErrorReply, "description": "the object store cannot be read now"},
    },
)
async def recording_media(
    recording_id: RecordingId,
    request: Request,
    session: RecordingsReader,
    download: Annotated[Literal["0", "1"], Query()] = "0",
) -> Response:
    """The recording's file, for a player (HTTP Range lets it seek) or, with ``download=1``,
    to save (``Content-Disposition: attachment``)."""
    container = _container(request)
    recording = await _readable(container, session.user, recording_id)
    if recording.status != "ready" or recording.media_type is None:
        raise ApiProblem(
            409, "recording_not_ready", f"this recording is {recording.status}, not ready"
        )
    path = container.recordings.media_path(recording)
    day = recording.started_at.strftime("%Y-%m-%d-%H%M")
    disposition = "attachment" if download == "1" else "inline"
    if path is not None:
        return FileResponse(
            path,
            media_type=recording.media_type,
            filename=f"visio-{recording.room_slug}-{day}{path.suffix}",
            content_disposition_type=disposition,
            headers={"Cache-Control": "private, no-store"},
        )
    suffix = FilePath(recording.file_path or "").suffix
    return await _from_object_store(
        container, recording, request, f"visio-{recording.room_slug}-{day}{suffix}", disposition
    )


async def _from_object_store(
    container: Container,
    recording: StoredRecording,
    request: Request,
    filename: str,
    disposition: str,
) -> StreamingResponse:
    """The recording's copy in object storage, streamed through Visio (the file is not on
    this server): the store stays on its private network, Visio's access rules and headers
    apply, and a player's single ``Range`` is passed on so that it can seek."""
    # Imported here: boto3 takes half a second to import, and most servers never need it.
    from visio.storage.objects import ObjectStoreError, RangeNotSatisfiable

    copies = container.object_copies
    if copies is None:
        raise ApiProblem(410, "recording_file_missing", "this recording's file is missing")
    asked = request.headers.get("range")
    byte_range = asked if asked and _SINGLE_RANGE.fullmatch(asked.strip()) else None
    try:
        read = await copies.read_recording(recording, byte_range)
    except RangeNotSatisfiable:
        raise ApiProblem(416, "range_not_satisfiable", "that range is outside the file") from None
    except ObjectStoreError as exc:
        logger.error("recording %s: reading its copy failed: %s", recording.id, exc)
        raise ApiProblem(
            503, "recording_unavailable", "the recording cannot be read now; try again later"
        ) from None
    headers = {
        "Cache-Control": "private, no-store",
        "Accept-Ranges": "bytes",
        "Content-Length": str(read.content_length),
        "Content-Disposition": f'{disposition}; filename="{filename}"',
    }
    if read.content_range is not None:
        headers["Content-Range"] = read.content_range
    return StreamingResponse(
        read.chunks,
        status_code=206 if read.content_range is not None else 200,
        media_type=recording.media_type,
        headers=headers,
    )


@router.delete("/recordings/{recording_id}", status_code=204, responses=_ERRORS)
async def delete_recording(
    recording_id: RecordingId, request: Request, session: RecordingsWriter
) -> Response:
    """Delete a recording now, files included (the room's owners and administrators)."""
    container = _container(request)
    recording = await _readable(container, session.user, recording_id, delete=True)
    if recording.status == "recording":
        raise ApiProblem(
            409, "recording_in_progress", "stop the recording in the meeting before deleting it"
        )
    await container.recordings.delete(
        recording,
        origin=origin_of(request),
        actor_user_id=session.user.id,
        actor=session.user.audit_label,
    )
    return Response(status_code=204)
