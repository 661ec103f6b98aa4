"""Owners stay in charge of their rooms: nobody below them removes them, stand-in moderators
cannot promote or open closed rooms, and owners let removed people back from "My rooms".

Regression tests for issue 7, finding 2: a guest who moderated an owner-less public room
promoted a second socket of their own, which then removed the owner for good.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.oidc.provider import TestProvider
from tests.rooms.people import EMAILS, Browser, RoomSocket
from tests.support import RunningServer


@pytest.fixture
def stranger(oidc_server: tuple[RunningServer, TestProvider]) -> Iterator[Browser]:
    browser = Browser(oidc_server[0], oidc_server[1], None)
    yield browser
    browser.close()


def joined(socket: RoomSocket, name: str) -> RoomSocket:
    socket.joined = socket.join(name)
    assert socket.joined["type"] == "joined", socket.joined
    return socket


def test_stand_in_guest_cannot_arm_a_second_socket_against_the_owner(
    browsers: dict[str, Browser], stranger: Browser
) -> None:
    """The attack as found: the stand-in's promotion is refused, and the owner stays in."""
    pierre = browsers["pierre"]
    slug = pierre.create_room(name="Public", access="public")
    first = joined(stranger.socket(slug), "Mallory")
    second = joined(stranger.socket(slug), "Mallory again")
    assert first.joined["participant"]["moderator"] is True
    assert first.outcome(type="moderate", action="promote", participant_id=second.id) == (
        "forbidden"
    )
    owner = joined(pierre.socket(slug), "Pierre")
    assert first.expect("participant.updated", timeout=10)["participant"]["moderator"] is False
    for socket in (first, second):
        assert socket.outcome(type="moderate", action="remove", participant_id=owner.id) == (
            "forbidden"
        )
    assert owner.outcome(type="ping") == "ok"
    for socket in (first, second, owner):
        socket.close()


def test_administrator_cannot_remove_an_owner_and_owner_can_let_people_back(
    browsers: dict[str, Browser],
) -> None:
    """An administrator is refused removing the owner; the owner removes the administrator,
    sees the removal in "My rooms" (REST), undoes it, and the administrator walks back in."""
    pierre, marie = browsers["pierre"], browsers["marie"]
    slug = pierre.create_room(name="Ranks", access="restricted")
    response = pierre.http.put(
        f"/api/v1/rooms/{slug}/roles/{EMAILS['marie']}", json={"role": "administrator"}
    )
    assert response.status_code == 200, response.text
    owner = joined(pierre.socket(slug), "Pierre")
    admin = joined(marie.socket(slug), "Marie")
    assert admin.outcome(type="moderate", action="remove", participant_id=owner.id) == "forbidden"
    owner.send(type="moderate", action="remove", participant_id=admin.id)
    assert admin.expect("error")["code"] == "removed"
    admin.close()

    assert marie.http.get(f"/api/v1/rooms/{slug}/removals").status_code == 403
    removals = pierre.http.get(f"/api/v1/rooms/{slug}/removals").json()["removals"]
    assert [(r["name"], r["removed_by"]) for r in removals] == [("Marie", EMAILS["pierre"])]

    back = marie.socket(slug)
    assert back.join("Marie")["type"] == "lobby.waiting"
    back.close()
    undo = pierre.http.delete(f"/api/v1/rooms/{slug}/removals/{removals[0]['id']}")
    assert undo.status_code == 204, undo.text
    assert pierre.http.get(f"/api/v1/rooms/{slug}/removals").json()["removals"] == []
    assert pierre.http.delete(f"/api/v1/rooms/{slug}/removals/{removals[0]['id']}").status_code == (
        404
    )
    again = joined(marie.socket(slug), "Marie")
    again.close()
    owner.close()


def test_stand_in_moderator_cannot_open_a_trusted_room(
    browsers: dict[str, Browser], stranger: Browser
) -> None:
    """With no owner or administrator present, the earliest person moderates but cannot let a
    guest into a room meant for signed-in people."""
    pierre, lucie = browsers["pierre"], browsers["lucie"]
    slug = pierre.create_room(name="Trusted", access="trusted")
    stand_in = joined(lucie.socket(slug), "Lucie")
    assert stand_in.joined["participant"]["moderator"] is True
    guest = stranger.socket(slug)
    assert guest.join("Guest")["type"] == "lobby.waiting"
    knock = stand_in.expect("lobby.knock")["waiting"]
    assert stand_in.outcome(type="lobby.admit", waiting_id=knock["id"]) == "forbidden"
    owner = joined(pierre.socket(slug), "Pierre")
    owner.send(type="lobby.admit", waiting_id=knock["id"])
    assert guest.expect("joined")["participant"]["name"] == "Guest"
    for socket in (guest, stand_in, owner):
        socket.close()
