"""Resume tokens and roles: a token says who comes back, never what they may do."""

from __future__ import annotations

import socket

from tests.rooms.people import Browser, RoomSocket


def cut(ws: RoomSocket) -> None:
    """The connection drops with no WebSocket close frame (the network went away)."""
    ws.ws.socket.shutdown(socket.SHUT_RDWR)


def test_demoted_stand_in_replaying_an_old_token_stays_a_participant(
    browsers: dict[str, Browser], guest: Browser
) -> None:
    """The token from when the guest stood in as moderator does not give the role back once
    the owner is there."""
    slug = browsers["pierre"].create_room()
    visitor = guest.socket(slug)
    joined = visitor.join("Invité")
    assert joined["participant"]["moderator_by"] == "interim"
    owner = browsers["pierre"].socket(slug)
    owner.join("Pierre")
    stepped_down = visitor.expect("participant.updated")["participant"]
    assert (stepped_down["id"], stepped_down["moderator"]) == (joined["participant"]["id"], False)
    cut(visitor)
    assert owner.expect("participant.left")["participant_id"] == joined["participant"]["id"]

    again = guest.socket(slug)
    back = again.join("Invité", resume=joined["resume_token"])
    assert back["type"] == "joined"
    assert back["participant"]["id"] == joined["participant"]["id"]
    assert not back["participant"]["moderator"]
    assert back["participant"].get("moderator_by") is None
    assert again.outcome(type="room.lock", locked=True) == "forbidden"
    arrived = owner.expect("participant.joined")["participant"]
    assert (arrived["id"], arrived["moderator"]) == (joined["participant"]["id"], False)
    again.close()
    owner.close()


def test_promoted_moderator_and_owner_come_back_as_they_were(
    browsers: dict[str, Browser], guest: Browser
) -> None:
    """A promotion is remembered by the room; the owner's role comes from the database."""
    slug = browsers["pierre"].create_room()
    owner = browsers["pierre"].socket(slug)
    me = owner.join("Pierre")
    visitor = guest.socket(slug)
    joined = visitor.join("Invité")
    owner.send(type="moderate", action="promote", participant_id=joined["participant"]["id"])
    assert visitor.expect("participant.updated")["participant"]["moderator_by"] == "promoted"

    cut(visitor)
    owner.expect("participant.left")
    again = guest.socket(slug)
    back = again.join("Invité", resume=joined["resume_token"])
    assert (back["participant"]["id"], back["participant"]["moderator_by"]) == (
        joined["participant"]["id"],
        "promoted",
    )

    cut(owner)
    again.expect("participant.left")
    owner_again = browsers["pierre"].socket(slug)
    mine = owner_again.join("Pierre", resume=me["resume_token"])["participant"]
    assert (mine["id"], mine["role"], mine["moderator_by"]) == (
        me["participant"]["id"],
        "owner",
        "role",
    )
    again.close()
    owner_again.close()


def test_admitted_guest_comes_back_past_the_lobby_and_the_lock(
    browsers: dict[str, Browser], guest: Browser
) -> None:
    """A guest admitted into a trusted room drops while the meeting is locked: their token
    brings them back in; without it they would knock again. Waiting people get no token."""
    slug = browsers["pierre"].create_room(access="trusted")
    owner = browsers["pierre"].socket(slug)
    owner.join("Pierre")
    visitor = guest.socket(slug)
    waiting = visitor.join("Invité")
    assert waiting["type"] == "lobby.waiting" and "resume_token" not in waiting
    owner.send(type="lobby.admit", waiting_id=owner.expect("lobby.knock")["waiting"]["id"])
    joined = visitor.expect("joined")
    owner.send(type="room.lock", locked=True)
    visitor.expect("room.state")
    cut(visitor)
    owner.expect("participant.left")

    again = guest.socket(slug)
    back = again.join("Invité", resume=joined["resume_token"])
    assert back["type"] == "joined"
    assert back["participant"]["id"] == joined["participant"]["id"]
    again.close()
    # The same guest without the token is a newcomer at a locked meeting.
    plain = guest.socket(slug)
    assert plain.join("Invité") == {"type": "lobby.waiting", "reply_to": "join", "reason": "locked"}
    plain.close()
    owner.close()


def test_a_signed_in_persons_token_does_not_work_for_someone_else(
    browsers: dict[str, Browser], guest: Browser
) -> None:
    """A token of an account is bound to it: a guest presenting it joins as a newcomer."""
    slug = browsers["pierre"].create_room()
    owner = browsers["pierre"].socket(slug)
    me = owner.join("Pierre")
    thief = guest.socket(slug)
    stolen = thief.join("Mallory", resume=me["resume_token"])
    assert stolen["participant"]["id"] != me["participant"]["id"]
    assert not stolen["participant"]["moderator"]
    assert owner.outcome(type="ping") == "ok"
    thief.close()
    owner.close()
