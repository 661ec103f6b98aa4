"""Moderation over the room protocol: mute, camera off, remove, promote, lock, end."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.sync.client import connect

from tests.captions.test_subtitles_server import wait_for
from tests.rooms.people import RoomSocket
from tests.support import RunningServer


class Member(RoomSocket):
    """Someone in the room over the raw protocol, with no cookies (a guest)."""

    def __init__(self, server: RunningServer, slug: str, name: str) -> None:
        super().__init__(server, slug, "")
        self.joined = self.join(name)
        assert self.joined["type"] == "joined", self.joined
        self.id = self.joined["participant"]["id"]


@pytest.fixture
def room(shared_server: RunningServer) -> Iterator[tuple[RunningServer, str]]:
    yield shared_server, shared_server.create_room()


def meeting(room: tuple[RunningServer, str], *names: str) -> list[Member]:
    server, slug = room
    return [Member(server, slug, name) for name in names]


@pytest.mark.parametrize(
    "message",
    [
        {"type": "moderate", "action": "mute"},
        {"type": "moderate", "action": "remove", "participant_id": "p_x"},
        {"type": "moderate", "action": "promote", "participant_id": "p_x"},
        {"type": "room.lock", "locked": True},
        {"type": "room.end"},
    ],
)
def test_moderation_is_refused_to_non_moderators(
    room: tuple[RunningServer, str], message: dict[str, Any]
) -> None:
    """Only a moderator may moderate: everyone else gets forbidden, and nothing happens."""
    _moderator, guest = meeting(room, "Mod", "Guest")
    guest.send(id="m", **message)
    error = guest.expect("error")
    assert (error["code"], error["reply_to"]) == ("forbidden", "m")
    guest.send(type="ping", id="still")
    assert guest.expect("pong")["reply_to"] == "still"


def test_moderator_mutes_one_participant(room: tuple[RunningServer, str]) -> None:
    """The muted person is asked to mute, and everyone sees them muted."""
    mod, alice, bob = meeting(room, "Mod", "Alice", "Bob")
    mod.send(type="moderate", action="mute", participant_id=alice.id)
    assert alice.expect("moderated") == {"type": "moderated", "action": "mute", "by": mod.id}
    updated = bob.expect("participant.updated")
    assert updated["participant"]["id"] == alice.id and updated["participant"]["audio"] is False


def test_moderator_mutes_everyone_else(room: tuple[RunningServer, str]) -> None:
    """Mute all reaches every participant who is not a moderator."""
    mod, alice, bob = meeting(room, "Mod", "Alice", "Bob")
    mod.send(type="moderate", action="mute")
    for member in (alice, bob):
        assert member.expect("moderated")["action"] == "mute"
    mod.send(type="ping", id="after")
    replies = []
    while True:
        reply = json.loads(mod.ws.recv(timeout=5))
        replies.append(reply["type"])
        if reply["type"] == "pong":
            break
    assert "moderated" not in replies, "the moderator is not muted by mute-all"


def test_moderator_removes_a_participant(room: tuple[RunningServer, str]) -> None:
    """The removed person is told why and disconnected; the others see them removed."""
    mod, alice, bob = meeting(room, "Mod", "Alice", "Bob")
    mod.send(type="moderate", action="remove", participant_id=alice.id)
    error = alice.expect("error")
    assert (error["code"], error["fatal"]) == ("removed", True)
    assert alice.expect_closed() == 4000
    left = bob.expect("participant.left")
    assert (left["participant_id"], left["reason"]) == (alice.id, "removed")


def test_stand_in_moderator_cannot_promote(room: tuple[RunningServer, str]) -> None:
    """The earliest guest moderates while nobody with a role is there, but makes no moderators
    (a stand-in could otherwise arm a second socket of their own against the owner)."""
    mod, alice = meeting(room, "Mod", "Alice")
    assert mod.outcome(type="moderate", action="promote", participant_id=alice.id) == "forbidden"


def test_locked_room_sends_newcomers_to_the_lobby(room: tuple[RunningServer, str]) -> None:
    """Nobody new gets straight into a locked room: they wait until a moderator decides."""
    server, slug = room
    (mod,) = meeting(room, "Mod")
    mod.send(type="room.lock", locked=True)
    assert mod.expect("room.state") == {"type": "room.state", "locked": True, "set_by": mod.id}
    with connect(f"{server.ws_base}/api/v1/rooms/{slug}/ws") as ws:
        ws.send(
            json.dumps({"type": "join", "version": 1, "name": "Late", "audio": True, "video": True})
        )
        assert wait_for(ws, "lobby.waiting")["reason"] == "locked"
        knock = mod.expect("lobby.knock")["waiting"]
        assert (knock["name"], knock["identity"]) == ("Late", "guest")
        mod.send(type="lobby.deny", waiting_id=knock["id"])
        error = wait_for(ws, "error")
        assert (error["code"], error["fatal"]) == ("denied", True)
    mod.send(type="room.lock", locked=False)
    assert Member(server, slug, "Late").joined["locked"] is False


def test_moderator_ends_the_meeting_for_everyone(room: tuple[RunningServer, str]) -> None:
    """Ending the meeting tells everyone and closes every connection."""
    members = meeting(room, "Mod", "Alice", "Bob")
    members[0].send(type="room.end")
    for member in members:
        assert member.expect("error")["code"] == "meeting_ended"
        member.expect_closed()


def test_moderating_an_unknown_participant_is_a_clear_error(
    room: tuple[RunningServer, str],
) -> None:
    """Acting on someone who is not in the room gets participant_not_found."""
    (mod,) = meeting(room, "Mod")
    mod.send(type="moderate", action="remove", participant_id="p_nobody")
    assert mod.expect("error")["code"] == "participant_not_found"


def test_raised_hands_are_seen_and_a_moderator_lowers_them(room: tuple[RunningServer, str]) -> None:
    """Raising a hand shows to everyone with its time; a moderator lowers it; others cannot."""
    mod, alice, bob = meeting(room, "Mod", "Alice", "Bob")
    alice.send(type="hand", raised=True)
    raised = mod.expect("participant.updated")["participant"]
    assert raised["id"] == alice.id and raised["hand_raised_at"] is not None
    bob.send(type="moderate", action="lower_hand", participant_id=alice.id, id="b")
    assert bob.expect("error")["code"] == "forbidden"
    mod.send(type="moderate", action="lower_hand", participant_id=alice.id)
    assert alice.expect("moderated") == {"type": "moderated", "action": "lower_hand", "by": mod.id}
    lowered = bob.expect("participant.updated", timeout=5)["participant"]
    assert lowered["id"] == alice.id and lowered.get("hand_raised_at") is None


def test_a_removal_outlives_a_server_restart(tmp_path: Any) -> None:
    """Someone removed stays out (in the lobby) after the app server restarts."""
    from pathlib import Path

    from tests.support import start_server

    server = start_server(Path(str(tmp_path)) / "visio")
    try:
        slug = server.create_room()
        mod = Member(server, slug, "Mod")
        guest_ws = connect(f"{server.ws_base}/api/v1/rooms/{slug}/ws").__enter__()
        cookie = guest_ws.response.headers["set-cookie"].split(";")[0]
        guest_ws.send(
            json.dumps({"type": "join", "version": 1, "name": "G", "audio": True, "video": True})
        )
        guest_id = wait_for(guest_ws, "joined")["participant"]["id"]
        mod.send(type="moderate", action="remove", participant_id=guest_id)
        assert wait_for(guest_ws, "error")["code"] == "removed"
        server.restart()
        Member(server, slug, "Mod again")
        with connect(
            f"{server.ws_base}/api/v1/rooms/{slug}/ws", additional_headers={"Cookie": cookie}
        ) as again:
            again.send(
                json.dumps(
                    {"type": "join", "version": 1, "name": "G", "audio": True, "video": True}
                )
            )
            assert wait_for(again, "lobby.waiting")["reason"] == "removed"
    finally:
        server.stop()
