"""REST routes for rooms: thin handlers that parse, delegate and shape the reply."""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Request, Response, WebSocket
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool

from visio.audit import Origin
from visio.auth.dependencies import (
    RolesWriter,
    RoomsReader,
    RoomsWriter,
    SignedInRoomsReader,
    origin_of,
)
from visio.auth.sessions import SESSION_COOKIE
from visio.container import Container
from visio.edge.urls import public_base_url
from visio.errors import ApiProblem, ErrorReply
from visio.rooms.administration import GROUP_PREFIX
from visio.rooms.protocol import Role
from visio.rooms.repository import Access, Invitation, RoleHolder, StoredRoom
from visio.rooms.signaling import (
    CLOSE_TOO_MANY_SOCKETS,
    GUEST_COOKIE,
    RoomConnection,
    Visitor,
)
from visio.rooms.slugs import normalise_slug
from visio.storage.models import MAX_ROW_ID
from visio.text import one_line

RoomName = Annotated[str, AfterValidator(one_line(120))]
InvitationLabel = Annotated[str, AfterValidator(one_line(100))]
DatabaseId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]
RoleHolderReference = Annotated[str, AfterValidator(one_line(320))]
"""A user id, the e-mail someone signed in with, or ``group:<name>``."""
GUEST_COOKIE_MAX_AGE = 365 * 24 * 3600


class RoomCreated(BaseModel):
    slug: str
    url: str
    created_at: datetime


class RoomCreate(BaseModel):
    """What a new room starts with; everything is optional."""

    model_config = ConfigDict(extra="forbid")
    name: RoomName | None = None
    access: Access = "public"


class RoomChange(BaseModel):
    """Fields to change; those left out stay as they are."""

    model_config = ConfigDict(extra="forbid")
    name: RoomName | None = None
    access: Access | None = None
    keep_chat: StrictBool | None = None
    """Store the meetings' chat and show it to members in the next meetings (turning it off
    forgets what was kept)."""


class RoomStatus(BaseModel):
    slug: str
    created_at: datetime
    participant_count: int
    name: str | None = None
    access: Access = "public"
    my_role: Role | None = None
    """The caller's role in the room (None for guests and people without one)."""
    keep_chat: bool = False
    recording: bool = False
    """The meeting is being recorded now (the pre-join screen says so before capturing)."""
    transcribing: bool = False
    """Whether the meeting going on now is being transcribed (the pre-join screen says so
    before anyone's media is captured)."""


class MyRoom(BaseModel):
    slug: str
    name: str | None
    access: Access
    created_at: datetime
    my_role: Role
    keep_chat: bool = False


class MyRooms(BaseModel):
    rooms: list[MyRoom]


class RoleGrant(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Role


class RoomRole(BaseModel):
    user_id: int
    role: Role
    full_name: str
    email: str | None
    granted_at: datetime


class GroupRole(BaseModel):
    """A directory group's role in a room: every member of the group holds it."""

    group: str
    role: Role
    granted_at: datetime


class RoomRoles(BaseModel):
    roles: list[RoomRole]
    group_roles: list[GroupRole] = []


def _container(request: Request | WebSocket) -> Container:
    container: Container = request.app.state.container
    return container


def _same_origin(websocket: WebSocket, container: Container) -> bool:
    """Browsers send the page's origin with a WebSocket handshake; it must be Visio's own.
    Clients that are not browsers send none and are let through (cookies are not theirs)."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True
    if container.settings.public_url is not None:
        public = container.settings.public_url
        expected = {
            f"{public.scheme}://{public.host}"
            + (f":{public.port}" if public.port and public.port not in (80, 443) else "")
        }
    else:
        host = websocket.headers.get("host", "")
        expected = {f"http://{host}", f"https://{host}"}
    return origin.rstrip("/") in expected


logger = logging.getLogger(__name__)


def room_slug(slug: str) -> str:
    """The room code in the path, checked before anything else (authentication included): a
    path that cannot name a room costs no database work and no audit record."""
    normalised = normalise_slug(slug)
    if normalised is None:
        raise ApiProblem(
            404, "invalid_room_link", "a room code looks like abc-defg-hij (10 letters)"
        )
    return normalised


RoomSlug = Annotated[str, Depends(room_slug)]
"""A route's ``slug`` path parameter, declared first so that it is checked first."""

router = APIRouter(prefix="/api/v1", tags=["rooms"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorReply, "description": "not signed in"},
    403: {"model": ErrorReply, "description": "refused (CSRF, or the room's policy)"},
    404: {"model": ErrorReply, "description": "no such room, or not a room link"},
}


def _status(room: StoredRoom, role: Role | None, container: Container) -> RoomStatus:
    return RoomStatus(
        slug=room.slug,
        created_at=room.created_at,
        participant_count=container.room_service.participant_count(room.slug),
        name=room.name,
        access=room.access,
        my_role=role,
        keep_chat=room.keep_chat,
        recording=container.room_service.recording(room.slug).active,
        transcribing=container.room_service.transcribing(room.slug),
    )


def _role(holder: RoleHolder) -> RoomRole:
    return RoomRole(
        user_id=holder.user_id,
        role=holder.role,
        full_name=holder.full_name,
        email=holder.email,
        granted_at=holder.granted_at,
    )


def _ensure_guest_cookie(request: Request, response: Response, container: Container) -> None:
    """Give a browser its guest identity (used to keep removed guests out) if it has none."""
    if request.cookies.get(GUEST_COOKIE) or request.cookies.get(SESSION_COOKIE):
        return
    response.set_cookie(
        GUEST_COOKIE,
        secrets.token_urlsafe(24),
        max_age=GUEST_COOKIE_MAX_AGE,
        path="/",
        secure=container.settings.secure_cookies,
        httponly=True,
        samesite="lax",
    )


@router.post(
    "/rooms",
    status_code=201,
    response_model=RoomCreated,
    responses={k: v for k, v in _ERRORS.items() if k != 404},
)
async def create_room(
    request: Request,
    session: RoomsWriter,
    body: Annotated[RoomCreate | None, Body()] = None,
) -> RoomCreated:
    """Create a meeting room with a fresh, readable slug; a signed-in creator owns it.

    ``VISIO_ROOM_CREATION`` decides who may create rooms (everyone, signed-in people, admins)."""
    container = _container(request)
    client = request.client.host if request.client else "unknown"
    if not await container.rate_limits.room_creation.allow(client):
        raise ApiProblem(
            429, "rate_limited", "too many rooms created from your address; wait a minute"
        )
    body = body or RoomCreate()
    room = await container.room_administration.create(
        session.user if session else None, body.name, body.access, origin_of(request)
    )
    return RoomCreated(
        slug=room.slug,
        url=f"{public_base_url(request, container.settings)}/{room.slug}",
        created_at=room.created_at,
    )


@router.get("/me/rooms", response_model=MyRooms, responses={401: _ERRORS[401]})
async def my_rooms(request: Request, session: SignedInRoomsReader) -> MyRooms:
    """The rooms where the signed-in person holds a role, newest first."""
    rooms = await _container(request).room_administration.mine(session.user)
    return MyRooms(
        rooms=[
            MyRoom(
                slug=room.slug,
                name=room.name,
                access=room.access,
                created_at=room.created_at,
                my_role=role,
                keep_chat=room.keep_chat,
            )
            for room, role in rooms
        ]
    )


@router.get("/rooms/{slug}", response_model=RoomStatus, responses={404: _ERRORS[404]})
async def get_room(
    slug: RoomSlug, request: Request, response: Response, session: RoomsReader
) -> RoomStatus:
    """Tell whether a room exists, how it is reached and how many people are in it now."""
    container = _container(request)
    room, role = await container.room_administration.describe(
        session.user if session else None, slug
    )
    _ensure_guest_cookie(request, response, container)
    return _status(room, role, container)


@router.patch("/rooms/{slug}", response_model=RoomStatus, responses=_ERRORS)
async def change_room(
    slug: RoomSlug, body: RoomChange, request: Request, session: RoomsWriter
) -> RoomStatus:
    """Rename a room, change its access level or whether it keeps its chat (owners and
    administrators of the room)."""
    container = _container(request)
    room, role = await container.room_administration.update(
        session.user if session else None,
        slug,
        body.name,
        body.access,
        origin_of(request),
        keep_chat=body.keep_chat,
    )
    return _status(room, role, container)


@router.get("/rooms/{slug}/roles", response_model=RoomRoles, responses=_ERRORS)
async def list_roles(slug: RoomSlug, request: Request, session: RoomsReader) -> RoomRoles:
    """Who holds which role in the room (for people who hold one themselves)."""
    holders, groups = await _container(request).room_administration.roles(
        session.user if session else None, slug
    )
    return RoomRoles(
        roles=[_role(h) for h in holders],
        group_roles=[
            GroupRole(group=g.group, role=g.role, granted_at=g.granted_at) for g in groups
        ],
    )


@router.put("/rooms/{slug}/roles/{user}", response_model=RoomRole | GroupRole, responses=_ERRORS)
async def grant_role(
    slug: RoomSlug,
    user: RoleHolderReference,
    body: RoleGrant,
    request: Request,
    session: RolesWriter,
) -> RoomRole | GroupRole:
    """Give someone (a user id, or the e-mail they signed in with) a role in the room, or every
    member of a directory group (``group:<name>``)."""
    directory = _container(request).room_administration
    who = session.user if session else None
    if user.startswith(GROUP_PREFIX):
        group = await directory.grant_group(who, slug, user, body.role, origin_of(request))
        return GroupRole(group=group.group, role=group.role, granted_at=group.granted_at)
    return _role(await directory.grant(who, slug, user, body.role, origin_of(request)))


@router.delete("/rooms/{slug}/roles/{user}", status_code=204, responses=_ERRORS)
async def revoke_role(
    slug: RoomSlug,
    user: RoleHolderReference,
    request: Request,
    session: RolesWriter,
) -> Response:
    """Take someone's (or a ``group:<name>``'s) role in the room away (a room keeps at least
    one owner)."""
    directory = _container(request).room_administration
    who = session.user if session else None
    if user.startswith(GROUP_PREFIX):
        await directory.revoke_group(who, slug, user, origin_of(request))
    else:
        await directory.revoke(who, slug, user, origin_of(request))
    return Response(status_code=204)


class InvitationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: InvitationLabel | None = None
    valid_for_hours: Annotated[int, Field(ge=1, le=24 * 90)] = 24 * 7


class InvitationInfo(BaseModel):
    id: int
    label: str | None
    created_at: datetime
    expires_at: datetime
    revoked: bool


class InvitationCreated(InvitationInfo):
    url: str
    """The link to send: whoever opens it may enter the room (shown once)."""


class InvitationList(BaseModel):
    invitations: list[InvitationInfo]


def _invitation(invitation: Invitation) -> InvitationInfo:
    return InvitationInfo(
        id=invitation.id,
        label=invitation.label,
        created_at=invitation.created_at,
        expires_at=invitation.expires_at,
        revoked=invitation.revoked,
    )


@router.post(
    "/rooms/{slug}/invitations",
    status_code=201,
    response_model=InvitationCreated,
    responses=_ERRORS,
)
async def create_invitation(
    slug: RoomSlug,
    request: Request,
    session: RolesWriter,
    body: Annotated[InvitationCreate | None, Body()] = None,
) -> InvitationCreated:
    """A room-level invitation: a link that lets its holder into a trusted or restricted room
    without a role (not into a locked meeting, nor back after a removal)."""
    container = _container(request)
    body = body or InvitationCreate()
    invitation, token = await container.room_administration.invite(
        session.user if session else None,
        slug,
        body.label,
        timedelta(hours=body.valid_for_hours),
        origin_of(request),
    )
    room = await container.room_administration.find(slug)
    return InvitationCreated(
        **_invitation(invitation).model_dump(),
        url=f"{public_base_url(request, container.settings)}/{room.slug}?invitation={token}",
    )


@router.get("/rooms/{slug}/invitations", response_model=InvitationList, responses=_ERRORS)
async def list_invitations(
    slug: RoomSlug, request: Request, session: RoomsReader
) -> InvitationList:
    """The room's invitations (never their secrets)."""
    found = await _container(request).room_administration.invitations(
        session.user if session else None, slug
    )
    return InvitationList(invitations=[_invitation(i) for i in found])


@router.delete("/rooms/{slug}/invitations/{invitation_id}", status_code=204, responses=_ERRORS)
async def revoke_invitation(
    slug: RoomSlug, invitation_id: DatabaseId, request: Request, session: RolesWriter
) -> Response:
    """Revoke an invitation: its link stops working at once."""
    await _container(request).room_administration.revoke_invitation(
        session.user if session else None, slug, invitation_id, origin_of(request)
    )
    return Response(status_code=204)


class RemovalInfo(BaseModel):
    id: str
    """What identifies the removed person here (a user, or a guest's browser)."""
    name: str | None
    """The name they had in the meeting."""
    removed_by: str | None
    removed_at: datetime


class RemovalList(BaseModel):
    removals: list[RemovalInfo]


@router.get("/rooms/{slug}/removals", response_model=RemovalList, responses=_ERRORS)
async def list_removals(slug: RoomSlug, request: Request, session: RoomsReader) -> RemovalList:
    """People removed from the room's meetings, who wait in the lobby if they come back (owners
    only)."""
    found = await _container(request).room_administration.removals(
        session.user if session else None, slug
    )
    return RemovalList(
        removals=[
            RemovalInfo(
                id=r.visitor_key, name=r.name, removed_by=r.removed_by, removed_at=r.removed_at
            )
            for r in found
        ]
    )


@router.delete("/rooms/{slug}/removals/{removal_id}", status_code=204, responses=_ERRORS)
async def undo_removal(
    slug: RoomSlug,
    removal_id: Annotated[str, Path(max_length=80, pattern=r"^(user|guest):[A-Za-z0-9]+$")],
    request: Request,
    session: RolesWriter,
) -> Response:
    """Let a removed person back into the room's meetings (owners only)."""
    await _container(request).room_administration.undo_removal(
        session.user if session else None, slug, removal_id, origin_of(request)
    )
    return Response(status_code=204)


@router.websocket("/rooms/{slug}/ws")
async def room_socket(websocket: WebSocket, slug: str) -> None:
    """The participant's signaling connection: docs/protocol.md."""
    container = _container(websocket)
    if not _same_origin(websocket, container):
        # A page of another site must not open a socket that rides on this site's cookies.
        await websocket.close(code=4403)
        return
    address = websocket.client.host if websocket.client else "unknown"
    place = await container.rate_limits.room_sockets.acquire(address)
    if place is None:
        logger.warning("room sockets: %s holds too many open sockets; refused one", address)
        await websocket.close(code=CLOSE_TOO_MANY_SOCKETS)
        return
    try:
        await _serve_room_socket(websocket, slug, container)
    finally:
        await container.rate_limits.room_sockets.release(place)


async def _serve_room_socket(websocket: WebSocket, slug: str, container: Container) -> None:
    session_token = websocket.cookies.get(SESSION_COOKIE)
    session = await container.sessions.get(session_token) if session_token else None
    guest_token = websocket.cookies.get(GUEST_COOKIE)
    new_guest_cookie: str | None = None
    if session is None and not guest_token:
        guest_token = new_guest_cookie = secrets.token_urlsafe(24)
    visitor = Visitor(
        user=session.user if session else None,
        site_admin=bool(session and container.auth.is_admin(session.user)),
        guest_token=guest_token if session is None else None,
        origin=Origin(
            ip=websocket.client.host if websocket.client else None,
            user_agent=websocket.headers.get("user-agent"),
        ),
    )
    headers: list[tuple[bytes, bytes]] = []
    if new_guest_cookie is not None:
        secure = "; Secure" if container.settings.secure_cookies else ""
        headers.append(
            (
                b"set-cookie",
                f"{GUEST_COOKIE}={new_guest_cookie}; Max-Age={GUEST_COOKIE_MAX_AGE}; Path=/; "
                f"HttpOnly; SameSite=Lax{secure}".encode(),
            )
        )
    if container.cluster is not None:
        await container.cluster.serve(websocket, slug, visitor, headers)
        return
    await RoomConnection(
        websocket,
        slug,
        visitor,
        container.room_service,
        container.settings,
        container.metrics,
        container.rate_limits.joins,
    ).run(headers)
