"""Text from clients on the room socket: anything Unicode allows arrives, nothing breaks a room.

Regression tests for issue 7, finding 1 (a lone surrogate in a name left a ghost participant and
broke every later join) and finding 12 (a huge integer and a surrogate in ``id`` got ``internal``).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.sync.client import ClientConnection

from tests.rooms.test_signaling_hostile_input import assert_alive, call, join, socket_to
from tests.support import RunningServer

LONE_SURROGATE_NAME = (
    '{"type": "join", "id": "j", "version": 1, "name": "\\ud800x", "audio": true, "video": true}'
)


def participants_seen_by_newcomer(server: RunningServer, slug: str) -> list[str]:
    with socket_to(server, slug) as ws:
        reply = join(ws, "Newcomer")
        assert reply["type"] == "joined", reply
        return [p["name"] for p in reply["participants"]]


@pytest.fixture
def room(shared_server: RunningServer) -> str:
    return shared_server.create_room()


def test_join_with_a_lone_surrogate_in_the_name_is_refused_and_leaves_no_ghost(
    shared_server: RunningServer, room: str
) -> None:
    """A name holding a lone surrogate gets invalid_message; the next person joins an empty room."""
    with socket_to(shared_server, room) as ws:
        reply = call(ws, LONE_SURROGATE_NAME)
        assert (reply["type"], reply["code"]) == ("error", "invalid_message")
        assert "name" in {d["field"] for d in reply["details"]}
        assert_alive(ws)
    assert participants_seen_by_newcomer(shared_server, room) == []
    assert participants_seen_by_newcomer(shared_server, room) == []


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("a\u0000b", "NUL"),
        ("Ali\u202ece", "bidi"),
        ("Al\u200bice", "zero-width"),
        ("Alice\u2028Bob", "separator"),
        ("\ufeffAlice", "byte order mark"),
        ("Alice\uffff", "noncharacter"),
        ("\u0007bell", "control"),
    ],
)
def test_join_names_with_invisible_or_control_characters_are_refused(
    shared_server: RunningServer, room: str, name: str, problem: str
) -> None:
    """Names must read as what they are: no NUL, controls, bidi overrides or zero-width tricks."""
    with socket_to(shared_server, room) as ws:
        reply = join(ws, name)
        assert (reply["type"], reply["code"]) == ("error", "invalid_message"), problem
        assert_alive(ws)


def test_join_names_in_any_script_and_emoji_are_kept(
    shared_server: RunningServer, room: str
) -> None:
    """Real names in other scripts, combining marks and emoji sequences are accepted, NFC."""
    with socket_to(shared_server, room) as ws:
        reply = join(
            ws,
            "Zoe\u0301 Ng\u00f4 \u674e\u5a1c \u0645\u0631\u064a\u0645 \U0001f468\u200d\U0001f469\u200d\U0001f467",
        )
        assert reply["type"] == "joined", reply
        assert (
            reply["participant"]["name"]
            == "Zo\u00e9 Ng\u00f4 \u674e\u5a1c \u0645\u0631\u064a\u0645 \U0001f468\u200d\U0001f469\u200d\U0001f467"
        )


def test_huge_integer_gets_invalid_json_not_internal(
    shared_server: RunningServer, room: str
) -> None:
    """An integer past Python's 4,300-digit limit is invalid JSON for us, not a server failure."""
    with socket_to(shared_server, room) as ws:
        reply = call(ws, '{"type": "ping", "id": ' + "9" * 5000 + "}")
        assert (reply["type"], reply["code"]) == ("error", "invalid_json")
        assert_alive(ws)


def test_surrogate_in_request_id_gets_invalid_message_not_internal(
    shared_server: RunningServer, room: str
) -> None:
    """A request id holding a lone surrogate is refused; the reply does not echo it."""
    with socket_to(shared_server, room) as ws:
        reply = call(ws, '{"type": "ping", "id": "\\udc00"}')
        assert (reply["type"], reply["code"]) == ("error", "invalid_message")
        assert "reply_to" not in reply
        assert_alive(ws)


def test_surrogate_in_an_unknown_field_name_gets_invalid_message(
    shared_server: RunningServer, room: str
) -> None:
    """An extra field whose name is a lone surrogate is named in the error without breaking it."""
    with socket_to(shared_server, room) as ws:
        reply = call(ws, '{"type": "ping", "id": 1, "\\ud800": 1}')
        assert (reply["code"], reply["reply_to"]) == ("invalid_message", 1)
        assert_alive(ws)


def test_lobby_knock_with_a_lone_surrogate_is_refused_and_leaves_no_ghost(
    shared_server: RunningServer,
) -> None:
    """A locked room's lobby refuses the name too; the moderator sees no knock and stays usable."""
    slug = shared_server.create_room()
    with socket_to(shared_server, slug) as moderator:
        assert join(moderator, "Host")["participant"]["moderator"] is True
        assert call(moderator, {"type": "room.lock", "id": "l", "locked": True})["type"] == (
            "room.state"
        )
        with socket_to(shared_server, slug) as stranger:
            reply = call(stranger, LONE_SURROGATE_NAME)
            assert (reply["type"], reply["code"]) == ("error", "invalid_message")
        with socket_to(shared_server, slug) as knocker:
            assert join(knocker, "Visitor")["type"] == "lobby.waiting"
            knock = json.loads(moderator.recv(timeout=5))
            assert (knock["type"], knock["waiting"]["name"]) == ("lobby.knock", "Visitor")


unicode_text = st.text(st.characters(codec=None, categories=None), max_size=80)
"""Anything a JSON string can carry, lone surrogates included."""

TEXT_FIELDS: list[tuple[str, dict[str, Any]]] = [
    ("name", {"type": "join", "version": 1, "audio": False, "video": False}),
    ("invitation", {"type": "join", "version": 1, "name": "x", "audio": False, "video": False}),
    ("id", {"type": "ping"}),
    ("participant_id", {"type": "moderate", "action": "mute"}),
    ("waiting_id", {"type": "lobby.admit"}),
    ("sdp", {"type": "publish", "tracks": []}),
    ("type", {}),
]


def _frame(field: str, base: dict[str, Any], value: str) -> str:
    message = {**base, field: value}
    if field == "sdp":
        message[field] = "v=0\r\n" + value
    # ensure_ascii escapes lone surrogates as \udXXX, exactly what a hostile client sends
    return json.dumps(message, ensure_ascii=True)


def _never_internal(ws: ClientConnection, frame: str) -> None:
    ws.send(frame)
    ws.send(json.dumps({"type": "ping", "id": "after"}))
    while True:
        reply = json.loads(ws.recv(timeout=10))
        assert not (reply["type"] == "error" and reply["code"] == "internal"), reply
        if reply["type"] == "pong" and reply.get("reply_to") == "after":
            return


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(field=st.sampled_from(TEXT_FIELDS), value=unicode_text)
def test_every_text_field_takes_arbitrary_unicode_without_breaking_the_room(
    shared_server: RunningServer, field: tuple[str, dict[str, Any]], value: str
) -> None:
    """Arbitrary Unicode in any text field: never internal, no ghost, the room still works."""
    name, base = field
    slug = shared_server.create_room()
    with socket_to(shared_server, slug) as host:
        assert join(host, "Host")["type"] == "joined"
        with socket_to(shared_server, slug) as ws:
            if base.get("type") not in ("join", None):
                assert join(ws, "Guest")["type"] == "joined"
            _never_internal(ws, _frame(name, base, value))
            _never_internal(host, _frame(name, base, value))
            seen = participants_seen_by_newcomer(shared_server, slug)
            assert seen[0] == "Host" and len(seen) <= 2, seen
