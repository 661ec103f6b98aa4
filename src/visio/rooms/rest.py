"""REST routes for rooms: thin handlers that parse, delegate and shape the reply."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request, WebSocket
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from visio.container import Container
from visio.rooms.signaling import RoomConnection
from visio.rooms.slugs import normalise_slug


class RoomCreated(BaseModel):
    slug: str
    url: str
    created_at: datetime


class RoomStatus(BaseModel):
    slug: str
    created_at: datetime
    participant_count: int


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorReply(BaseModel):
    error: ErrorBody


def error_response(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(
        ErrorReply(error=ErrorBody(code=code, message=message)).model_dump(), status_code=status
    )


def _container(request: Request | WebSocket) -> Container:
    container: Container = request.app.state.container
    return container


def public_base_url(request: Request, container: Container) -> str:
    if container.settings.public_url is not None:
        return str(container.settings.public_url).rstrip("/")
    return str(request.base_url).rstrip("/")


router = APIRouter(prefix="/api/v1")


@router.post("/rooms", status_code=201, response_model=RoomCreated)
async def create_room(request: Request) -> RoomCreated:
    """Create a meeting room with a fresh, readable slug."""
    container = _container(request)
    room = await container.room_repository.create()
    return RoomCreated(
        slug=room.slug,
        url=f"{public_base_url(request, container)}/{room.slug}",
        created_at=room.created_at,
    )


@router.get(
    "/rooms/{slug}",
    response_model=RoomStatus,
    responses={404: {"model": ErrorReply, "description": "no such room, or not a room link"}},
)
async def get_room(slug: str, request: Request) -> RoomStatus | JSONResponse:
    """Tell whether a room exists and how many people are in it now."""
    container = _container(request)
    normalised = normalise_slug(slug)
    if normalised is None:
        return error_response(
            404, "invalid_room_link", "a room code looks like abc-defg-hij (10 letters)"
        )
    room = await container.room_repository.get(normalised)
    if room is None:
        return error_response(404, "room_not_found", f"there is no room {normalised}")
    return RoomStatus(
        slug=room.slug,
        created_at=room.created_at,
        participant_count=container.room_service.participant_count(room.slug),
    )


@router.websocket("/rooms/{slug}/ws")
async def room_socket(websocket: WebSocket, slug: str) -> None:
    """The participant's signaling connection: docs/protocol.md."""
    container = _container(websocket)
    await RoomConnection(
        websocket, slug, container.room_service, container.settings, container.metrics
    ).run()
