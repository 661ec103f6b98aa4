"""The meeting's chat over the room protocol: sending, checking, limiting, deleting, history."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.auth.signin import audit_events
from tests.oidc.provider import TestProvider
from tests.rooms.people import Browser, RoomSocket
from tests.rooms.test_moderation import Member, meeting
from tests.support import RunningServer, wait_until


@pytest.fixture
def room(shared_server: RunningServer) -> Iterator[tuple[RunningServer, str]]:
    yield shared_server, shared_server.create_room()


def say(member: RoomSocket, text: str, request_id: str = "c") -> dict[str, Any]:
    """Send a chat message; return the sender's own copy (or the error it got)."""
    member.send(type="chat.send", id=request_id, text=text)
    return member.expect_any({"chat.message", "error"}, reply_to=request_id)


def meeting_over(server: RunningServer, which: str) -> None:
    """Wait until no meeting is live on the server (the room's next join starts a new one)."""
    wait_until(lambda: "visio_rooms_live 0.0" in server.metrics(), 15, f"{which} did not end")


def test_chat_message_reaches_everyone_the_sender_with_reply_to(
    room: tuple[RunningServer, str],
) -> None:
    """Alice's message reaches Bob and comes back to her, with her name, an id and a time."""
    alice, bob = meeting(room, "Alice", "Bob")
    mine = say(alice, "  Bonjour à tous\nsecond line  ")
    message = mine["message"]
    assert mine["type"] == "chat.message"
    assert (message["participant_id"], message["name"]) == (alice.id, "Alice")
    assert message["text"] == "Bonjour à tous\nsecond line"
    assert message["id"].startswith("m_") and message["sent_at"]
    theirs = bob.expect("chat.message")
    assert theirs == {"type": "chat.message", "message": message}


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "must not be empty"),
        ("   \n\t  ", "must not be empty"),
        ("x" * 2001, "at most 2000 characters"),
        ("bell\x07", "control characters"),
        ("nul\x00", "NUL"),
        ("\ud800", "lone surrogate"),
        ("zero\u200bwidth", "invisible formatting"),
        ("rtl \u202eoverride", "invisible formatting"),
        ("line\u2028separator", "line or paragraph separators"),
    ],
)
def test_chat_refuses_text_that_is_not_a_message(
    room: tuple[RunningServer, str], text: str, problem: str
) -> None:
    """Empty, too long or hidden-character text is refused with a reason; nobody receives it."""
    alice, bob = meeting(room, "Alice", "Bob")
    error = say(alice, text)
    assert (error["type"], error["code"]) == ("error", "invalid_message")
    assert problem in error["details"][0]["problem"] and error["details"][0]["field"] == "text"
    say(alice, "after")
    assert bob.expect("chat.message")["message"]["text"] == "after"


@pytest.mark.parametrize(
    "text",
    [
        "x" * 2000,
        "😀" * 2000,
        "مرحبا بالجميع",
        "שלום לכולם",
        "👩\u200d💻 family 👨\u200d👩\u200d👧",
        "tab\tand\nnewlines",
        "<img src=x onerror=alert(1)> <b>x</b>",
    ],
)
def test_chat_accepts_any_unicode_people_write(room: tuple[RunningServer, str], text: str) -> None:
    """Up to 2000 characters of any script, emoji (joined ones too), tabs and newlines pass
    untouched; markup is only text."""
    alice, bob = meeting(room, "Alice", "Bob")
    assert say(alice, text)["message"]["text"] == text
    assert bob.expect("chat.message")["message"]["text"] == text


def test_chat_huge_frame_is_refused_as_too_large(room: tuple[RunningServer, str]) -> None:
    """A message bigger than the frame limit never reaches the parser; the socket carries on."""
    (alice,) = meeting(room, "Alice")
    alice.send(type="chat.send", id="big", text="x" * 70_000)
    assert alice.expect("error")["code"] == "message_too_large"
    assert say(alice, "still here")["type"] == "chat.message"


def test_chat_rate_limit_refuses_the_sixth_quick_message_without_disconnecting(
    room: tuple[RunningServer, str],
) -> None:
    """Five messages in a burst pass; the sixth is rate_limited; the socket stays open and
    others can still talk."""
    alice, bob = meeting(room, "Alice", "Bob")
    for n in range(5):
        alice.send(type="chat.send", id=f"c{n}", text=f"message {n}")
    alice.send(type="chat.send", id="c5", text="one too many")
    for n in range(5):
        assert alice.expect("chat.message", reply_to=f"c{n}")["message"]["text"] == f"message {n}"
    error = alice.expect("error", reply_to="c5")
    assert error["code"] == "rate_limited" and not error.get("fatal")
    assert say(bob, "my turn", "b")["type"] == "chat.message"
    alice.send(type="ping", id="alive")
    assert alice.expect("pong")["reply_to"] == "alive"
    # The limit refills (one a second): Alice can write again.
    assert wait_until(
        lambda: say(alice, "later", "again")["type"] == "chat.message",
        10,
        "the chat limit never refilled",
    )


def test_chat_late_joiner_reads_this_meetings_history(room: tuple[RunningServer, str]) -> None:
    """Someone who arrives later gets the messages so far in joined.chat, oldest first."""
    alice, bob = meeting(room, "Alice", "Bob")
    first = say(alice, "first")["message"]
    second = say(bob, "second", "b")["message"]
    server, slug = room
    carol = Member(server, slug, "Carol")
    assert carol.joined["chat"] == [first, second]


def test_chat_non_moderator_cannot_delete(room: tuple[RunningServer, str]) -> None:
    """Bob (no moderator) may not delete Alice's message, not even his own: forbidden."""
    alice, bob = meeting(room, "Alice", "Bob")
    message = say(alice, "keep me")["message"]
    own = say(bob, "mine", "b")["message"]
    for message_id in (message["id"], own["id"]):
        bob.send(type="chat.delete", id="d", message_id=message_id)
        error = bob.expect("error", reply_to="d")
        assert error["code"] == "forbidden"
    server, slug = room
    assert Member(server, slug, "Carol").joined["chat"] == [message, own]


def test_chat_moderator_deletes_a_message_for_everyone(room: tuple[RunningServer, str]) -> None:
    """The moderator's deletion reaches everyone and late joiners no longer get the message;
    an unknown id is chat_message_not_found."""
    mod, bob = meeting(room, "Mod", "Bob")
    gone = say(bob, "oops", "b")["message"]
    kept = say(bob, "fine", "b2")["message"]
    mod.send(type="chat.delete", id="d", message_id=gone["id"])
    deleted = {"type": "chat.deleted", "message_id": gone["id"], "deleted_by": mod.id}
    assert mod.expect("chat.deleted") == deleted
    assert bob.expect("chat.deleted") == deleted
    mod.send(type="chat.delete", id="again", message_id=gone["id"])
    assert mod.expect("error", reply_to="again")["code"] == "chat_message_not_found"
    server, slug = room
    assert Member(server, slug, "Carol").joined["chat"] == [kept]


def test_chat_delete_needs_a_message_id_shape(room: tuple[RunningServer, str]) -> None:
    """A message id that is not one the server makes is invalid_message."""
    (mod,) = meeting(room, "Mod")
    mod.send(type="chat.delete", id="d", message_id="../../etc")
    assert mod.expect("error", reply_to="d")["code"] == "invalid_message"


def test_chat_kept_history_is_shown_to_members_not_guests(
    browsers: dict[str, Browser], guest: Browser, oidc_server: tuple[RunningServer, TestProvider]
) -> None:
    """A room that keeps its chat shows the last meeting's messages to its members (by role)
    when the next meeting starts; a guest only reads the new meeting's; a moderator's deletion
    removes a kept message for good and is audited."""
    server, provider = oidc_server
    pierre, marie = browsers["pierre"], browsers["marie"]
    slug = pierre.create_room()
    changed = pierre.http.patch(f"/api/v1/rooms/{slug}", json={"keep_chat": True})
    assert changed.status_code == 200 and changed.json()["keep_chat"] is True
    mine = pierre.http.get("/api/v1/me/rooms").json()["rooms"]
    assert next(r for r in mine if r["slug"] == slug)["keep_chat"] is True
    refused = marie.http.patch(f"/api/v1/rooms/{slug}", json={"keep_chat": False})
    assert refused.status_code == 403

    first = pierre.socket(slug)
    assert first.join("Pierre")["type"] == "joined"
    kept = say(first, "notes from Monday")["message"]
    dropped = say(first, "delete me", "c2")["message"]
    first.close()
    meeting_over(server, "the first meeting")

    owner = pierre.socket(slug)
    # Kept messages say they come from an earlier meeting (the web app shows a divider).
    earlier = [{**kept, "earlier": True}, {**dropped, "earlier": True}]
    assert kept["earlier"] is False
    assert owner.join("Pierre")["chat"] == earlier
    visitor = guest.socket(slug)
    assert visitor.join("Guest")["chat"] == []
    # A guest cannot delete what they cannot see, even by guessing its id.
    new = say(visitor, "hello from the guest", "g")["message"]
    owner.send(type="chat.delete", id="d", message_id=dropped["id"])
    assert owner.expect("chat.deleted")["message_id"] == dropped["id"]
    [event] = [
        e
        for e in audit_events(server, provider, "room.chat_message_deleted")
        if e["target"] == slug
    ]
    assert event["details"]["message"] == dropped["id"]
    owner.close()
    visitor.close()
    meeting_over(server, "the second meeting")

    again = pierre.socket(slug)
    history = again.join("Pierre")["chat"]
    assert [(m["text"], m["earlier"]) for m in history] == [
        (kept["text"], True),
        (new["text"], True),
    ]
    again.close()
    # Turning keeping off forgets what was kept.
    assert pierre.http.patch(f"/api/v1/rooms/{slug}", json={"keep_chat": False}).status_code == 200
    meeting_over(server, "the third meeting")
    last = pierre.socket(slug)
    assert last.join("Pierre")["chat"] == []
    last.close()


def test_chat_is_not_kept_by_default(
    browsers: dict[str, Browser], oidc_server: tuple[RunningServer, TestProvider]
) -> None:
    """Without keep_chat, the next meeting starts with an empty chat, even for the owner."""
    server = oidc_server[0]
    pierre = browsers["pierre"]
    slug = pierre.create_room()
    first = pierre.socket(slug)
    first.join("Pierre")
    say(first, "ephemeral")
    first.close()
    meeting_over(server, "the meeting")
    second = pierre.socket(slug)
    assert second.join("Pierre")["chat"] == []
    second.close()
