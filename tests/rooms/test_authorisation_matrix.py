"""The authorisation matrix: every kind of person against every room action, REST and protocol.

The room is ``trusted`` (anyone signed in enters, guests knock), owned by pierre, with marie as
administrator and jean as member; lucie is signed in and holds no role. Over REST the lobby-
waiting and removed people are guests (REST knows no lobby); over the protocol they really are
waiting in the lobby or were removed. The owner is in the meeting in every protocol case, so the
interim "earliest participant moderates" rule never applies here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.oidc.provider import TestProvider
from tests.rooms.people import EMAILS, Browser, RoomSocket
from tests.support import RunningServer

PEOPLE = ("owner", "administrator", "member", "stranger", "guest", "lobby_waiting", "removed")
USER_OF = {"owner": "pierre", "administrator": "marie", "member": "jean", "stranger": "lucie"}

# fmt: off
REST = {
    #                owner  administrator  member        stranger      guest / waiting / removed
    "get":           (200,  200,           200,          200,          200),
    "rename":        (200,  200,           "forbidden",  "forbidden",  "not_signed_in"),
    "change_access": (200,  200,           "forbidden",  "forbidden",  "not_signed_in"),
    "grant_role":    (200,  200,           "forbidden",  "forbidden",  "not_signed_in"),
    "list_roles":    (200,  200,           200,          "forbidden",  "not_signed_in"),
    "invite":        (201,  201,           "forbidden",  "forbidden",  "not_signed_in"),
    "list_invites":  (200,  200,           "forbidden",  "forbidden",  "not_signed_in"),
    "list_recordings": (200, 200,          "forbidden",  "forbidden",  "not_signed_in"),
    "list_webhooks": (200,  200,           "forbidden",  "forbidden",  "not_signed_in"),
}

PROTOCOL = {
    #                owner            administrator    member           stranger         guest (admitted) lobby_waiting    removed
    "join":         ("joined",        "joined",        "joined",        "joined",        "lobby.waiting", "lobby.waiting", "lobby.waiting"),
    "moderate":     ("ok",            "ok",            "forbidden",     "forbidden",     "forbidden",     "in_lobby",      "in_lobby"),
    "lock":         ("ok",            "ok",            "forbidden",     "forbidden",     "forbidden",     "in_lobby",      "in_lobby"),
    "end":          ("meeting_ended", "meeting_ended", "forbidden",     "forbidden",     "forbidden",     "in_lobby",      "in_lobby"),
    "admit":        ("ok",            "ok",            "forbidden",     "forbidden",     "forbidden",     "in_lobby",      "in_lobby"),
    "captions.set": ("ok",            "ok",            "forbidden",     "forbidden",     "forbidden",     "in_lobby",      "in_lobby"),
    "captions.translation": ("ok",    "ok",            "ok",            "ok",            "ok",            "in_lobby",      "in_lobby"),
    "recording.start": ("ok",         "ok",            "forbidden",     "forbidden",     "forbidden",     "in_lobby",      "in_lobby"),
    "recording.stop": ("ok",          "ok",            "forbidden",     "forbidden",     "forbidden",     "in_lobby",      "in_lobby"),
}
# fmt: on

MESSAGES: dict[str, dict[str, Any]] = {
    "moderate": {"type": "moderate", "action": "mute"},
    "lock": {"type": "room.lock", "locked": True},
    "end": {"type": "room.end"},
    "admit": {"type": "lobby.admit", "all": True},
    "captions.set": {"type": "captions.set", "enabled": False},
    "captions.translation": {"type": "captions.translation", "enabled": True},
    "recording.start": {"type": "recording.start", "video": False},
    "recording.stop": {"type": "recording.stop"},
}


def _rest_cases() -> Iterator[Any]:
    for action, row in REST.items():
        for person in PEOPLE:
            expected = row[min(PEOPLE.index(person), 4)]
            yield pytest.param(action, person, expected, id=f"{action}-{person}")


def _protocol_cases() -> Iterator[Any]:
    for action, row in PROTOCOL.items():
        for person, expected in zip(PEOPLE, row, strict=True):
            yield pytest.param(action, person, expected, id=f"{action}-{person}")


@pytest.fixture
def trusted_room(browsers: dict[str, Browser]) -> str:
    pierre = browsers["pierre"]
    slug = pierre.create_room(name="Matrix", access="trusted")
    for user, role in (("marie", "administrator"), ("jean", "member")):
        response = pierre.http.put(
            f"/api/v1/rooms/{slug}/roles/{EMAILS[user]}", json={"role": role}
        )
        assert response.status_code == 200, response.text
    return slug


@pytest.fixture
def browser_of(
    browsers: dict[str, Browser], oidc_server: tuple[RunningServer, TestProvider]
) -> Iterator[Callable[[str], Browser]]:
    """The browser of a person in the table: signed in, or a fresh guest browser."""
    guests: list[Browser] = []

    def browser(person: str) -> Browser:
        if person in USER_OF:
            return browsers[USER_OF[person]]
        guests.append(Browser(oidc_server[0], oidc_server[1], None))
        return guests[-1]

    yield browser
    for guest in guests:
        guest.close()


def _rest_call(http: httpx.Client, action: str, slug: str) -> httpx.Response:
    base = f"/api/v1/rooms/{slug}"
    if action == "get":
        return http.get(base)
    if action == "rename":
        return http.patch(base, json={"name": "Renamed"})
    if action == "change_access":
        return http.patch(base, json={"access": "public"})
    if action == "grant_role":
        return http.put(f"{base}/roles/{EMAILS['lucie']}", json={"role": "member"})
    if action == "invite":
        return http.post(f"{base}/invitations", json={"label": "matrix"})
    if action == "list_invites":
        return http.get(f"{base}/invitations")
    if action == "list_recordings":
        return http.get(f"{base}/recordings")
    if action == "list_webhooks":
        return http.get(f"{base}/webhooks")
    return http.get(f"{base}/roles")


@pytest.mark.parametrize(("action", "person", "expected"), list(_rest_cases()))
def test_authorisation_matrix_rest(
    action: str,
    person: str,
    expected: int | str,
    trusted_room: str,
    browser_of: Callable[[str], Browser],
) -> None:
    """Each REST action on a room: allowed (status) or refused with the right error code."""
    browser = browser_of(person)
    response = _rest_call(browser.http, action, trusted_room)
    if isinstance(expected, int):
        assert response.status_code == expected, response.text
    else:
        assert response.json()["error"]["code"] == expected, response.text
        assert response.status_code == {"forbidden": 403, "not_signed_in": 401}[expected]


def _enter_as(
    person: str,
    slug: str,
    owner: RoomSocket,
    browser_of: Callable[[str], Browser],
) -> tuple[RoomSocket, dict[str, Any]]:
    """Put ``person`` in the state the row names; returns their socket and their join answer."""
    if person == "owner":
        return owner, owner.joined
    browser = browser_of(person)
    socket = browser.socket(slug)
    answer = socket.join(person)
    if person == "guest":  # a guest in the meeting: admitted from the lobby by the owner
        knock = owner.expect("lobby.knock")["waiting"]
        owner.send(type="lobby.admit", waiting_id=knock["id"])
        socket.expect("joined")
    if person == "removed":  # admitted, removed, then back with the same browser
        knock = owner.expect("lobby.knock")["waiting"]
        owner.send(type="lobby.admit", waiting_id=knock["id"])
        removed_id = socket.expect("joined")["participant"]["id"]
        owner.send(type="moderate", action="remove", participant_id=removed_id)
        assert socket.expect("error")["code"] == "removed"
        socket.close()
        socket = browser.socket(slug)
        answer = socket.join(person)
    return socket, answer


@pytest.mark.parametrize(("action", "person", "expected"), list(_protocol_cases()))
def test_authorisation_matrix_protocol(
    action: str,
    person: str,
    expected: str,
    trusted_room: str,
    browsers: dict[str, Browser],
    browser_of: Callable[[str], Browser],
) -> None:
    """Each room-protocol action: allowed, or refused with the right error code."""
    owner = browsers["pierre"].socket(trusted_room)
    owner.joined = owner.join("Owner")
    assert owner.joined["type"] == "joined" and owner.joined["participant"]["moderator"]
    socket, answer = _enter_as(person, trusted_room, owner, browser_of)
    try:
        if action == "join":
            assert answer["type"] == expected, answer
            return
        assert socket.outcome(**MESSAGES[action]) == expected
    finally:
        socket.close()
        owner.close()
