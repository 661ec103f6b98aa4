"""Room-level invitations: a link that opens a trusted or restricted room without a role."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.auth.signin import audit_events
from tests.oidc.provider import TestProvider
from tests.rooms.people import Browser
from tests.support import RunningServer
from visio.rooms.repository import RoomRepository
from visio.storage.database import create_engine, migrate, session_factory


def invite(owner: Browser, slug: str, **body: object) -> str:
    response = owner.http.post(f"/api/v1/rooms/{slug}/invitations", json=body)
    assert response.status_code == 201, response.text
    url = response.json()["url"]
    assert urlparse(url).path == f"/{slug}"
    return parse_qs(urlparse(url).query)["invitation"][0]


def test_invitation_opens_a_restricted_room_to_a_guest(
    browsers: dict[str, Browser], guest: Browser, oidc_server: tuple[RunningServer, TestProvider]
) -> None:
    """With the invitation a guest goes straight in; without it they wait in the lobby."""
    slug = browsers["pierre"].create_room(access="restricted")
    token = invite(browsers["pierre"], slug, label="Prestataire")
    assert token.startswith("vi_")
    waiting = guest.socket(slug)
    assert waiting.join("Sans invitation")["type"] == "lobby.waiting"
    waiting.close()
    invited = guest.socket(slug)
    joined = invited.join("Invitée", invitation=token)
    assert joined["type"] == "joined" and joined["participant"]["identity"] == "guest"
    invited.close()
    created = [
        e for e in audit_events(*oidc_server, "room.invitation_created") if e["target"] == slug
    ]
    assert len(created) == 1 and created[0]["details"]["label"] == "Prestataire"
    assert token not in str(audit_events(*oidc_server, "room.invitation_created"))


def test_invitation_opens_only_its_own_room(browsers: dict[str, Browser], guest: Browser) -> None:
    """An invitation to one room does nothing for another."""
    first = browsers["pierre"].create_room(access="restricted")
    second = browsers["pierre"].create_room(access="restricted")
    token = invite(browsers["pierre"], first)
    socket = guest.socket(second)
    assert socket.join("Curieux", invitation=token)["type"] == "lobby.waiting"
    socket.close()


def test_revoked_invitation_no_longer_opens_the_room(
    browsers: dict[str, Browser], guest: Browser
) -> None:
    """Revoking an invitation closes its link at once; the list never shows secrets."""
    owner = browsers["pierre"]
    slug = owner.create_room(access="trusted")
    token = invite(owner, slug)
    listed = owner.http.get(f"/api/v1/rooms/{slug}/invitations").json()["invitations"]
    assert len(listed) == 1 and listed[0]["revoked"] is False and token not in str(listed)
    assert (
        owner.http.delete(f"/api/v1/rooms/{slug}/invitations/{listed[0]['id']}").status_code == 204
    )
    assert (
        owner.http.delete(f"/api/v1/rooms/{slug}/invitations/{listed[0]['id']}").status_code == 404
    )
    socket = guest.socket(slug)
    assert socket.join("Trop tard", invitation=token)["type"] == "lobby.waiting"
    socket.close()


@pytest.mark.parametrize(("who", "status"), [("jean", 403), ("lucie", 403), (None, 401)])
def test_only_owners_and_administrators_invite(
    browsers: dict[str, Browser], guest: Browser, who: str | None, status: int
) -> None:
    """A member, a signed-in stranger and a guest cannot create invitations."""
    owner = browsers["pierre"]
    slug = owner.create_room(access="restricted")
    assert (
        owner.http.put(
            f"/api/v1/rooms/{slug}/roles/jean.moulin@culture.gouv.fr", json={"role": "member"}
        ).status_code
        == 200
    )
    asker = browsers[who] if who else guest
    assert asker.http.post(f"/api/v1/rooms/{slug}/invitations", json={}).status_code == status
    assert asker.http.get(f"/api/v1/rooms/{slug}/invitations").status_code == status


async def test_expired_invitations_are_not_valid(tmp_path: Path) -> None:
    """An invitation past its expiry opens nothing."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'visio.db'}")
    try:
        await migrate(engine)
        rooms = RoomRepository(session_factory(engine))
        room = await rooms.create(access="restricted")
        _, live = await rooms.create_invitation(room, None, None, timedelta(hours=1))
        _, expired = await rooms.create_invitation(room, None, None, timedelta(seconds=-1))
        assert await rooms.invitation_valid(room, live)
        assert not await rooms.invitation_valid(room, expired)
        assert not await rooms.invitation_valid(room, "vi_made-up")
    finally:
        await engine.dispose()


def test_room_socket_refuses_pages_of_other_sites(
    oidc_server: tuple[RunningServer, TestProvider],
) -> None:
    """A WebSocket opened by a page of another origin is refused; Visio's own pages are not."""
    server = oidc_server[0]
    slug = server.create_room()
    with pytest.raises(InvalidStatus):
        connect(
            f"{server.ws_base}/api/v1/rooms/{slug}/ws", origin="https://evil.example"
        ).__enter__()
    with connect(f"{server.ws_base}/api/v1/rooms/{slug}/ws", origin=server.url) as ws:
        ws.send('{"type": "ping", "id": 1}')
        assert '"pong"' in ws.recv(timeout=5)
