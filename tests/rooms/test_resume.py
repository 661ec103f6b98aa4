"""Resume tokens over the room protocol: someone whose socket dropped comes back as themselves."""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.rooms.people import RoomSocket
from tests.support import RunningServer
from visio.rooms.resume import ResumeTokens, load_key


class Guest:
    """One browser without an account: its guest cookie, kept across its sockets."""

    def __init__(self, server: RunningServer, slug: str) -> None:
        self.server = server
        self.slug = slug
        with httpx.Client(base_url=server.url, timeout=15) as http:
            http.get(f"/api/v1/rooms/{slug}")  # the pre-join screen's call sets the cookie
            self.cookies = "; ".join(f"{c.name}={c.value}" for c in http.cookies.jar)
        assert "visio_guest=" in self.cookies

    def socket(self, slug: str | None = None) -> RoomSocket:
        return RoomSocket(self.server, slug or self.slug, self.cookies)

    def enter(self, name: str, **extra: Any) -> tuple[RoomSocket, dict[str, Any]]:
        """A new socket that joins; returns it and the ``joined``."""
        ws = self.socket()
        joined = ws.join(name, **extra)
        assert joined["type"] == "joined", joined
        return ws, joined


def cut(ws: RoomSocket) -> None:
    """The connection drops with no WebSocket close frame (the network went away)."""
    ws.ws.socket.shutdown(socket.SHUT_RDWR)


def resumes(server: RunningServer, outcome: str) -> float:
    match = re.search(
        rf'^visio_resumes_total{{outcome="{outcome}"}} (\S+)$', server.metrics(), re.M
    )
    return float(match.group(1)) if match else 0.0


@pytest.fixture
def slug(shared_server: RunningServer) -> str:
    return shared_server.create_room()


@pytest.fixture
def people(shared_server: RunningServer, slug: str) -> Iterator[list[RoomSocket]]:
    """Sockets a test opens, closed after it."""
    opened: list[RoomSocket] = []
    yield opened
    for ws in opened:
        ws.close()


def test_resume_replaces_a_ghost_without_a_flicker(
    shared_server: RunningServer, slug: str, people: list[RoomSocket]
) -> None:
    """The old socket was never seen to close: the person comes back with the same id, stand-in
    moderator and raised hand; the others see one participant updated, no left and joined."""
    alice = Guest(shared_server, slug)
    old, joined = alice.enter("Alice")
    me = joined["participant"]
    assert me["moderator"] and me["moderator_by"] == "interim"
    token = joined["resume_token"]
    bob_ws, _ = Guest(shared_server, slug).enter("Bob")
    people += [old, bob_ws]
    old.send(type="hand", raised=True)
    assert bob_ws.expect("participant.updated")["participant"]["hand_raised_at"]
    before = resumes(shared_server, "resumed")

    again, rejoined = alice.enter("Alice", resume=token)
    people.append(again)
    back = rejoined["participant"]
    assert (back["id"], back["moderator_by"], back["joined_at"]) == (
        me["id"],
        "interim",
        me["joined_at"],
    )
    assert back["hand_raised_at"]
    assert [p["name"] for p in rejoined["participants"]] == ["Bob"]
    # Bob sees Alice carry on: updated, never left.
    seen = bob_ws.expect_any({"participant.updated", "participant.left", "participant.joined"})
    assert (seen["type"], seen.get("participant", {}).get("id")) == (
        "participant.updated",
        me["id"],
    )
    assert bob_ws.outcome(type="hand", raised=False) == "ok"
    # The ghost's socket is told why and closed.
    replaced = old.expect("error", code="replaced")
    assert replaced["fatal"] is True
    assert old.expect_closed() == 4000
    # A newcomer sees Alice once.
    carol_ws, carol = Guest(shared_server, slug).enter("Carol")
    people.append(carol_ws)
    assert sorted(p["name"] for p in carol["participants"]) == ["Alice", "Bob"]
    assert resumes(shared_server, "resumed") == before + 1


def test_resume_after_a_dropped_connection_gives_the_stand_in_role_back(
    shared_server: RunningServer, slug: str, people: list[RoomSocket]
) -> None:
    """The server saw the socket drop (Bob stood in); Alice resumes: same id, and as the
    earliest present she moderates again, Bob steps down."""
    alice = Guest(shared_server, slug)
    old, joined = alice.enter("Alice")
    bob_ws, _ = Guest(shared_server, slug).enter("Bob")
    people.append(bob_ws)
    cut(old)
    left = bob_ws.expect("participant.left")
    assert (left["participant_id"], left["reason"]) == (joined["participant"]["id"], "disconnected")
    assert bob_ws.expect("participant.updated")["participant"]["moderator_by"] == "interim"

    again, rejoined = alice.enter("Alice", resume=joined["resume_token"])
    people.append(again)
    assert rejoined["participant"]["id"] == joined["participant"]["id"]
    assert rejoined["participant"]["moderator_by"] == "interim"
    assert bob_ws.expect("participant.joined")["participant"]["id"] == joined["participant"]["id"]
    stepped_down = bob_ws.expect("participant.updated", timeout=5)["participant"]
    assert stepped_down["name"] == "Bob" and not stepped_down["moderator"]
    assert again.outcome(type="room.lock", locked=False) == "ok"
    assert bob_ws.outcome(type="room.lock", locked=False) == "forbidden"


def test_leaving_on_purpose_ends_the_token(shared_server: RunningServer, slug: str) -> None:
    """``joined`` carries a token; after ``leave`` it brings nobody back."""
    alice = Guest(shared_server, slug)
    ws, joined = alice.enter("Alice")
    assert re.fullmatch(r"r1\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+", joined["resume_token"])
    bob_ws, _ = Guest(shared_server, slug).enter("Bob")
    ws.send(type="leave")
    assert ws.expect_closed() == 1000
    before = resumes(shared_server, "unknown")
    again, rejoined = alice.enter("Alice", resume=joined["resume_token"])
    assert rejoined["participant"]["id"] != joined["participant"]["id"]
    assert resumes(shared_server, "unknown") == before + 1
    again.close()
    bob_ws.close()


def test_removed_person_cannot_resume(
    shared_server: RunningServer, slug: str, people: list[RoomSocket]
) -> None:
    """Removed by a moderator, the token brings them to the lobby, not back in."""
    mod_ws, _ = Guest(shared_server, slug).enter("Mod")
    people.append(mod_ws)
    eve = Guest(shared_server, slug)
    ws, joined = eve.enter("Eve")
    mod_ws.send(type="moderate", action="remove", participant_id=joined["participant"]["id"])
    assert ws.expect("error")["code"] == "removed"
    before = resumes(shared_server, "removed")
    again = eve.socket()
    people.append(again)
    assert again.join("Eve", resume=joined["resume_token"]) == {
        "type": "lobby.waiting",
        "reply_to": "join",
        "reason": "removed",
    }
    assert resumes(shared_server, "removed") == before + 1


def test_token_for_another_room_is_a_plain_join(
    shared_server: RunningServer, slug: str, people: list[RoomSocket]
) -> None:
    alice = Guest(shared_server, slug)
    ws, joined = alice.enter("Alice")
    people.append(ws)
    other_room = shared_server.create_room()
    before = resumes(shared_server, "other_room")
    elsewhere = alice.socket(other_room)
    people.append(elsewhere)
    reply = elsewhere.join("Alice", resume=joined["resume_token"])
    assert reply["type"] == "joined"
    assert reply["participant"]["id"] != joined["participant"]["id"]
    assert resumes(shared_server, "other_room") == before + 1


def _tokens(server: RunningServer, clock: float | None = None) -> ResumeTokens:
    """Tokens under the server's own key file (how a forger with the key would mint them)."""
    key = load_key(None, server.data_dir.resolve())
    return ResumeTokens(key, 600, clock=(lambda: clock) if clock is not None else time.time)


@pytest.mark.parametrize("kind", ["forged", "expired", "future", "garbage", "truncated"])
def test_bad_tokens_are_plain_joins(
    shared_server: RunningServer, slug: str, people: list[RoomSocket], kind: str
) -> None:
    """Nothing breaks: the person joins as a newcomer, and the refusal is counted."""
    alice = Guest(shared_server, slug)
    ws, joined = alice.enter("Alice")
    people.append(ws)
    good = joined["resume_token"]
    guest_key = None  # a forged token cannot name Alice's cookie digest without the key anyway
    token, outcome = {
        "forged": (good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB"), "invalid"),
        "expired": (
            _tokens(shared_server, time.time() - 3600).mint(
                slug, joined["participant"]["id"], guest_key
            ),
            "expired",
        ),
        "future": (
            _tokens(shared_server, time.time() + 3600).mint(
                slug, joined["participant"]["id"], guest_key
            ),
            "expired",
        ),
        "garbage": ("r1.bm90LWpzb24.c2lnbmF0dXJl", "invalid"),
        "truncated": (good[: len(good) // 2], "invalid"),
    }[kind]
    before = resumes(shared_server, outcome)
    again = alice.socket()
    people.append(again)
    reply = again.join("Alice", resume=token)
    assert reply["type"] == "joined"
    assert reply["participant"]["id"] != joined["participant"]["id"]
    assert resumes(shared_server, outcome) == before + 1


@pytest.mark.parametrize(
    ("token", "code"),
    [
        ("r1.é" + "x" * 40, "invalid_message"),
        ("r1.\u202e.sig", "invalid_message"),
        ("", "invalid_message"),
        ("r1." + "A" * 600, "invalid_message"),
        ("r1." + "A" * 1_000_000, "message_too_large"),
    ],
    ids=["accented", "bidi", "empty", "long", "one-megabyte"],
)
def test_unshaped_tokens_are_clear_errors(
    shared_server: RunningServer, slug: str, token: str, code: str
) -> None:
    """A token that cannot be one is refused at the edge; the socket can still join."""
    ws = Guest(shared_server, slug).socket()
    try:
        assert ws.join("Alice", resume=token)["code"] == code
        reply = ws.join("Alice")
        assert reply["type"] == "joined"
    finally:
        ws.close()


def test_two_sockets_with_one_token_the_newer_wins(
    shared_server: RunningServer, slug: str, people: list[RoomSocket]
) -> None:
    """The same token on two new sockets (a second tab, a retry): the later join holds the
    participant, the earlier socket is told ``replaced``; the room still holds one Alice."""
    alice = Guest(shared_server, slug)
    first, joined = alice.enter("Alice")
    bob_ws, _ = Guest(shared_server, slug).enter("Bob")
    people += [first, bob_ws]
    tab_a, a = alice.enter("Alice", resume=joined["resume_token"])
    tab_b, b = alice.enter("Alice", resume=joined["resume_token"])
    people += [tab_a, tab_b]
    assert a["participant"]["id"] == b["participant"]["id"] == joined["participant"]["id"]
    assert first.expect("error", code="replaced")["fatal"]
    assert tab_a.expect("error", code="replaced")["fatal"]
    assert tab_a.expect_closed() == 4000
    assert tab_b.outcome(type="ping") == "ok"
    carol_ws, carol = Guest(shared_server, slug).enter("Carol")
    people.append(carol_ws)
    assert sorted(p["name"] for p in carol["participants"]) == ["Alice", "Bob"]
    kinds = set()
    bob_ws.send(type="ping", id="last")
    while (message := bob_ws.expect_any({"participant.left", "participant.joined", "pong"}))[
        "type"
    ] != "pong":
        kinds.add((message["type"], message.get("participant", {}).get("name")))
    assert kinds == {("participant.joined", "Carol")}
