"""The lobby and joining with identity, over the room protocol."""

from __future__ import annotations

from tests.auth.signin import audit_events
from tests.oidc.provider import TestProvider
from tests.rooms.people import EMAILS, Browser
from tests.support import RunningServer


def test_lobby_guest_knocks_on_trusted_room_and_is_admitted(
    browsers: dict[str, Browser],
    guest: Browser,
    oidc_server: tuple[RunningServer, TestProvider],
) -> None:
    """The moderator sees the knock, admits; the guest joins, marked as a guest; audited."""
    slug = browsers["pierre"].create_room(access="trusted")
    owner = browsers["pierre"].socket(slug)
    me = owner.join("Pierre")["participant"]
    assert (me["identity"], me["role"], me["moderator"]) == ("signed_in", "owner", True)
    visitor = guest.socket(slug)
    assert visitor.join("Invité") == {
        "type": "lobby.waiting",
        "reply_to": "join",
        "reason": "trusted",
    }
    knock = owner.expect("lobby.knock")["waiting"]
    assert (knock["name"], knock["identity"], knock["reason"]) == ("Invité", "guest", "trusted")
    owner.send(type="lobby.admit", waiting_id=knock["id"])
    joined = visitor.expect("joined", reply_to="join")
    assert joined["participant"]["identity"] == "guest"
    assert [p["id"] for p in joined["participants"]] == [me["id"]]
    left = owner.expect("lobby.left")
    assert (left["waiting_id"], left["reason"], left["by"]) == (knock["id"], "admitted", me["id"])
    arrived = owner.expect("participant.joined")["participant"]
    assert (arrived["name"], arrived["identity"], arrived["moderator"]) == (
        "Invité",
        "guest",
        False,
    )
    admitted = [e for e in audit_events(*oidc_server, "room.lobby_admitted") if e["target"] == slug]
    assert [(e["actor"], e["details"]["subject_identity"]) for e in admitted] == [
        (EMAILS["pierre"], "guest")
    ]
    visitor.close()
    owner.close()


def test_lobby_waiting_person_who_leaves_disappears_from_the_list(
    browsers: dict[str, Browser], guest: Browser
) -> None:
    """Closing the tab while waiting: the moderators get lobby.left with reason left."""
    slug = browsers["pierre"].create_room(access="trusted")
    owner = browsers["pierre"].socket(slug)
    owner.join("Pierre")
    visitor = guest.socket(slug)
    visitor.join("Invité")
    knock = owner.expect("lobby.knock")["waiting"]
    visitor.close()
    assert owner.expect("lobby.left") == {
        "type": "lobby.left",
        "waiting_id": knock["id"],
        "reason": "left",
    }
    owner.close()


def test_lobby_moderator_arriving_later_gets_the_list_and_denies_everyone(
    browsers: dict[str, Browser],
    guest: Browser,
    oidc_server: tuple[RunningServer, TestProvider],
) -> None:
    """People knock before any moderator is there; the owner arrives, sees them, denies all."""
    slug = browsers["pierre"].create_room(access="restricted")
    stranger = browsers["lucie"].socket(slug)
    assert stranger.join("Lucie")["reason"] == "restricted"
    visitor = guest.socket(slug)
    assert visitor.join("Invité")["reason"] == "restricted"
    owner = browsers["pierre"].socket(slug)
    owner.join("Pierre")
    waiting = owner.expect("lobby.list")["waiting"]
    assert [(w["name"], w["identity"]) for w in waiting] == [
        ("Lucie", "signed_in"),
        ("Invité", "guest"),
    ]
    owner.send(type="lobby.deny", all=True)
    for person in (stranger, visitor):
        error = person.expect("error")
        assert (error["code"], error["fatal"]) == ("denied", True)
    denied = [e for e in audit_events(*oidc_server, "room.lobby_denied") if e["target"] == slug]
    assert sorted(e["details"]["subject_identity"] for e in denied) == ["guest", "signed_in"]
    for socket in (stranger, visitor, owner):
        socket.close()


def test_lobby_member_of_restricted_room_enters_straight(browsers: dict[str, Browser]) -> None:
    """A role in a restricted room is the key: a member joins without waiting."""
    pierre = browsers["pierre"]
    slug = pierre.create_room(access="restricted")
    pierre.http.put(f"/api/v1/rooms/{slug}/roles/{EMAILS['jean']}", json={"role": "member"})
    member = browsers["jean"].socket(slug)
    joined = member.join("Jean")
    assert joined["type"] == "joined"
    assert (joined["participant"]["role"], joined["participant"]["moderator"]) == ("member", True)
    member.close()


def test_lobby_removed_person_waits_until_readmitted(browsers: dict[str, Browser]) -> None:
    """Someone removed comes back with the same link: the lobby; once readmitted, they are in."""
    slug = browsers["pierre"].create_room()
    owner = browsers["pierre"].socket(slug)
    owner.join("Pierre")
    marie = browsers["marie"].socket(slug)
    marie_id = marie.join("Marie")["participant"]["id"]
    owner.send(type="moderate", action="remove", participant_id=marie_id)
    assert marie.expect("error")["code"] == "removed"
    marie.close()
    again = browsers["marie"].socket(slug)
    assert again.join("Marie")["reason"] == "removed"
    knock = owner.expect("lobby.knock")["waiting"]
    owner.send(type="lobby.admit", waiting_id=knock["id"])
    assert again.expect("joined")["participant"]["identity"] == "signed_in"
    again.close()
    back = browsers["marie"].socket(slug)
    assert back.join("Marie")["type"] == "joined"
    back.close()
    owner.close()


def test_lobby_interim_moderator_steps_down_for_the_owner(
    browsers: dict[str, Browser], guest: Browser
) -> None:
    """In a public room the earliest guest moderates until the owner arrives, and again after."""
    slug = browsers["pierre"].create_room()
    first = guest.socket(slug)
    assert first.join("Premier")["participant"]["moderator"] is True
    owner = browsers["pierre"].socket(slug)
    owner.join("Pierre")
    stepped_down = first.expect("participant.updated")["participant"]
    assert (stepped_down["id"], stepped_down["moderator"]) == (first.id, False)
    assert first.outcome(type="room.lock", locked=True) == "forbidden"
    owner.close()
    assert first.expect("participant.updated", timeout=10)["participant"]["moderator"] is True
    first.close()
