"""Reactions: one of a fixed set, shown to everyone present, rate-limited per participant."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.rooms.test_signaling_hostile_input import call, join, socket_to
from tests.support import RunningServer
from visio.rooms.participant import Outbox, Participant
from visio.rooms.protocol import ProtocolError, parse_client_message
from visio.rooms.reactions import REACTION_BURST, REACTION_NAMES, ParticipantReactions
from visio.rooms.room import Room


class Clock:
    """A monotonic clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def frames(participant: Participant) -> list[dict[str, Any]]:
    """Every message queued for ``participant`` so far."""
    out: list[dict[str, Any]] = []
    while not participant.outbox.frames.empty():
        frame = participant.outbox.frames.get_nowait()
        assert frame is not None
        out.append(json.loads(frame))
    return out


def meeting(*names: str) -> tuple[Room, list[Participant]]:
    room = Room("abc-defg-hij")
    people = [Participant(name=name, audio=True, video=True, outbox=Outbox()) for name in names]
    for person in people:
        room.participants[person.id] = person
    return room, people


def test_reaction_parses_every_name_of_the_set() -> None:
    """Each of the six reactions is a valid message, with or without a request id."""
    assert set(REACTION_NAMES) == {"thumbs_up", "clap", "laugh", "heart", "party", "surprised"}
    for name in REACTION_NAMES:
        message = parse_client_message(json.dumps({"type": "reaction", "id": 7, "reaction": name}))
        assert message.type == "reaction" and message.reaction == name  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "reaction", "reaction": "poop"},
        {"type": "reaction", "reaction": "👍"},
        {"type": "reaction", "reaction": "THUMBS_UP"},
        {"type": "reaction", "reaction": ""},
        {"type": "reaction", "reaction": 1},
        {"type": "reaction"},
        {"type": "reaction", "reaction": "clap", "participant_id": "someone-else"},
    ],
)
def test_reaction_outside_the_set_is_refused(frame: dict[str, Any]) -> None:
    """An unknown name, an emoji, a wrong type or an extra field is an invalid message."""
    with pytest.raises(ProtocolError) as refused:
        parse_client_message(json.dumps(frame))
    assert refused.value.error.code == "invalid_message"


def test_reaction_goes_to_everyone_present_sender_included() -> None:
    """The sender and each other participant get the reaction with the sender's id."""
    room, (ada, bob, eve) = meeting("Ada", "Bob", "Eve")
    ParticipantReactions().react(room, bob, "clap")
    expected = {"type": "reaction", "participant_id": bob.id, "reaction": "clap"}
    for person in (ada, bob, eve):
        assert frames(person) == [expected]


def test_reactions_over_the_burst_are_refused_then_allowed_again() -> None:
    """Six at once pass, the seventh is rate_limited (nobody sees it); a second later three more pass."""
    clock = Clock()
    room, (ada, bob) = meeting("Ada", "Bob")
    reactions = ParticipantReactions(rate_per_second=3, burst=REACTION_BURST, clock=clock)
    for _ in range(REACTION_BURST):
        reactions.react(room, ada, "heart")
    with pytest.raises(ProtocolError) as refused:
        reactions.react(room, ada, "heart", reply_to="r7")
    assert refused.value.error.code == "rate_limited"
    assert refused.value.error.reply_to == "r7"
    assert not refused.value.error.fatal
    assert len(frames(bob)) == REACTION_BURST

    clock.now += 1.0
    for _ in range(3):
        reactions.react(room, ada, "party")
    with pytest.raises(ProtocolError):
        reactions.react(room, ada, "party")
    assert len(frames(bob)) == 3


def test_rate_limit_is_per_participant() -> None:
    """One participant's flood does not use up another's reactions."""
    clock = Clock()
    room, (ada, bob) = meeting("Ada", "Bob")
    ada_reactions = ParticipantReactions(clock=clock)
    bob_reactions = ParticipantReactions(clock=clock)
    for _ in range(REACTION_BURST):
        ada_reactions.react(room, ada, "laugh")
    with pytest.raises(ProtocolError):
        ada_reactions.react(room, ada, "laugh")
    bob_reactions.react(room, bob, "surprised")
    assert frames(ada)[-1] == {
        "type": "reaction",
        "participant_id": bob.id,
        "reaction": "surprised",
    }


def test_signaling_reaction_reaches_both_and_a_flood_is_limited_not_closed(
    shared_server: RunningServer,
) -> None:
    """Over the socket: Bob sees Ada's reaction and so does Ada; 20 at once get rate_limited
    errors, the socket stays open, and Bob saw no more than the burst plus the refill."""
    slug = shared_server.create_room()
    with socket_to(shared_server, slug) as ada, socket_to(shared_server, slug) as bob:
        ada_id = join(ada, "Ada")["participant"]["id"]
        assert join(bob, "Bob")["type"] == "joined"
        assert json.loads(ada.recv(timeout=5))["type"] == "participant.joined"

        ada.send(json.dumps({"type": "reaction", "reaction": "thumbs_up"}))
        expected = {"type": "reaction", "participant_id": ada_id, "reaction": "thumbs_up"}
        assert json.loads(bob.recv(timeout=5)) == expected
        assert json.loads(ada.recv(timeout=5)) == expected

        assert call(ada, {"type": "reaction", "id": "x", "reaction": "poop"})["code"] == (
            "invalid_message"
        )

        for index in range(20):
            ada.send(json.dumps({"type": "reaction", "id": index, "reaction": "clap"}))
        ada.send(json.dumps({"type": "ping", "id": "after"}))
        seen_by_ada = read_until_pong(ada, "after")
        limited = [m for m in seen_by_ada if m["type"] == "error"]
        shown = [m for m in seen_by_ada if m["type"] == "reaction"]
        assert limited and {m["code"] for m in limited} == {"rate_limited"}
        assert not any(m.get("fatal") for m in limited)
        assert len(shown) + len(limited) == 20
        assert REACTION_BURST - 1 <= len(shown) < 20  # the burst less the thumbs up, plus refill

        # Ada's pong came after all her reactions were sent on, so Bob's pong comes after them too.
        bob.send(json.dumps({"type": "ping", "id": "bob"}))
        seen_by_bob = read_until_pong(bob, "bob")
        assert [m for m in seen_by_bob if m["type"] == "reaction"] == shown


def read_until_pong(ws: Any, request_id: str) -> list[dict[str, Any]]:
    """Every message before the pong answering ``request_id``."""
    seen: list[dict[str, Any]] = []
    while True:
        message = json.loads(ws.recv(timeout=5))
        if message == {"type": "pong", "reply_to": request_id}:
            return seen
        seen.append(message)
