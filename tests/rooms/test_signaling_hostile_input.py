"""The room WebSocket facing malformed, unknown, out-of-order, oversized and abusive input."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.support import RunningServer


@contextmanager
def socket_to(server: RunningServer, slug: str) -> Iterator[ClientConnection]:
    with connect(f"{server.ws_base}/api/v1/rooms/{slug}/ws", max_size=2**24) as ws:
        yield ws


def call(ws: ClientConnection, message: dict[str, Any] | str | bytes) -> dict[str, Any]:
    ws.send(message if isinstance(message, str | bytes) else json.dumps(message))
    reply: dict[str, Any] = json.loads(ws.recv(timeout=5))
    return reply


def join(ws: ClientConnection, name: str = "Ada") -> dict[str, Any]:
    return call(
        ws, {"type": "join", "id": "j", "version": 1, "name": name, "audio": True, "video": True}
    )


def assert_alive(ws: ClientConnection) -> None:
    assert call(ws, {"type": "ping", "id": "alive"}) == {"type": "pong", "reply_to": "alive"}


@pytest.fixture
def room(shared_server: RunningServer) -> str:
    return shared_server.create_room()


def test_signaling_join_answers_with_participant_and_limits(
    shared_server: RunningServer, room: str
) -> None:
    """join is answered by joined, naming the participant and the protocol limits."""
    with socket_to(shared_server, room) as ws:
        reply = join(ws, "  Ada Lovelace  ")
        assert reply["type"] == "joined"
        assert reply["reply_to"] == "j"
        assert reply["participant"]["name"] == "Ada Lovelace"
        assert reply["participants"] == []
        assert reply["limits"]["max_message_bytes"] == 65536


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("not json", "invalid_json"),
        ("[1, 2]", "invalid_json"),
        ('"a string"', "invalid_json"),
        ("{}", "invalid_message"),
        ('{"type": 42}', "invalid_message"),
        ('{"type": "teleport"}', "unknown_type"),
        ('{"type": "join", "version": 1}', "invalid_message"),
        (
            '{"type": "join", "version": 1, "name": "", "audio": true, "video": true}',
            "invalid_message",
        ),
        (
            '{"type": "join", "version": 1, "name": "x", "audio": "yes", "video": true}',
            "invalid_message",
        ),
        (
            '{"type": "join", "version": 1, "name": "a\\u0000b", "audio": true, "video": true}',
            "invalid_message",
        ),
        ('{"type": "ping", "extra": 1}', "invalid_message"),
        ("[" * 100000 + "]" * 100000, "message_too_large"),
    ],
)
def test_signaling_malformed_frames_get_named_errors(
    shared_server: RunningServer, room: str, frame: str, code: str
) -> None:
    """Each malformed frame gets an error naming the problem, and the socket stays usable."""
    with socket_to(shared_server, room) as ws:
        reply = call(ws, frame)
        assert reply["type"] == "error"
        assert reply["code"] == code
        assert reply["fatal"] is False
        assert reply["message"]
        assert_alive(ws)


def test_signaling_invalid_message_details_name_the_fields(
    shared_server: RunningServer, room: str
) -> None:
    """invalid_message lists each bad field, and echoes the request id."""
    with socket_to(shared_server, room) as ws:
        reply = call(
            ws, {"type": "join", "id": 7, "version": 1, "name": "x", "audio": 1, "bogus": 0}
        )
        assert reply["reply_to"] == 7
        fields = {d["field"] for d in reply["details"]}
        assert {"audio", "video", "bogus"} <= fields


def test_signaling_binary_frames_are_refused(shared_server: RunningServer, room: str) -> None:
    """A binary frame gets binary_not_supported."""
    with socket_to(shared_server, room) as ws:
        assert call(ws, b"\x00\x01")["code"] == "binary_not_supported"
        assert_alive(ws)


def test_signaling_messages_before_join_are_out_of_order(
    shared_server: RunningServer, room: str
) -> None:
    """Anything but join (or ping) before join gets not_joined."""
    with socket_to(shared_server, room) as ws:
        reply = call(ws, {"type": "media.state", "id": "m", "audio": False, "video": False})
        assert (reply["code"], reply["reply_to"]) == ("not_joined", "m")
        assert join(ws)["type"] == "joined"


def test_signaling_second_join_is_refused(shared_server: RunningServer, room: str) -> None:
    """join is accepted once per connection."""
    with socket_to(shared_server, room) as ws:
        join(ws)
        assert join(ws)["code"] == "already_joined"
        assert_alive(ws)


def test_signaling_answer_without_offer_is_out_of_order(
    shared_server: RunningServer, room: str
) -> None:
    """subscriber.answer with no offer pending gets out_of_order."""
    with socket_to(shared_server, room) as ws:
        join(ws)
        assert call(ws, {"type": "subscriber.answer", "sdp": "v=0\r\n"})["code"] == "out_of_order"
        assert_alive(ws)


def test_signaling_unusable_sdp_is_refused_by_media_engine(
    shared_server: RunningServer, room: str
) -> None:
    """A publish whose SDP Janus cannot parse gets media_error, and a later publish still works."""
    with socket_to(shared_server, room) as ws:
        join(ws)
        reply = call(ws, {"type": "publish", "id": 1, "sdp": "v=0\r\nnonsense", "tracks": []})
        assert (reply["code"], reply["reply_to"]) == ("media_error", 1)
        assert_alive(ws)


def test_signaling_oversized_frame_is_refused(shared_server: RunningServer, room: str) -> None:
    """A frame over the size limit gets message_too_large; the connection carries on."""
    with socket_to(shared_server, room) as ws:
        join(ws)
        reply = call(ws, json.dumps({"type": "ping", "id": "x" * 70000}))
        assert reply["code"] == "message_too_large"
        assert_alive(ws)


def test_signaling_flood_is_rate_limited(shared_server: RunningServer, room: str) -> None:
    """Past the burst, messages get rate_limited instead of being processed."""
    with socket_to(shared_server, room) as ws:
        for i in range(100):
            ws.send(json.dumps({"type": "ping", "id": i}))
        replies = [json.loads(ws.recv(timeout=5)) for _ in range(100)]
        codes = [r.get("code", r["type"]) for r in replies]
        assert codes.count("pong") >= 60
        assert "rate_limited" in codes


def test_signaling_unsupported_version_closes_with_reason(
    shared_server: RunningServer, room: str
) -> None:
    """A client of another protocol version is told so, then the socket closes."""
    with socket_to(shared_server, room) as ws:
        reply = call(ws, {"type": "join", "version": 2, "name": "x", "audio": True, "video": True})
        assert reply["code"] == "unsupported_version"
        assert reply["fatal"] is True
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4000


def test_signaling_unknown_room_is_fatal(shared_server: RunningServer) -> None:
    """Joining a room that does not exist gets room_not_found and the socket closes."""
    with socket_to(shared_server, "zzz-zzzz-zzz") as ws:
        reply = join(ws)
        assert (reply["code"], reply["fatal"]) == ("room_not_found", True)
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=5)


def test_signaling_others_see_join_state_and_leave(shared_server: RunningServer, room: str) -> None:
    """A second participant is announced, their mute is seen, and their leaving too."""
    with socket_to(shared_server, room) as alice:
        join(alice, "Alice")
        with socket_to(shared_server, room) as bob:
            joined = join(bob, "Bob")
            assert [p["name"] for p in joined["participants"]] == ["Alice"]
            announced = json.loads(alice.recv(timeout=5))
            assert announced["type"] == "participant.joined"
            assert announced["participant"]["name"] == "Bob"
            bob.send(json.dumps({"type": "media.state", "audio": False, "video": True}))
            updated = json.loads(alice.recv(timeout=5))
            assert updated["type"] == "participant.updated"
            assert (updated["participant"]["audio"], updated["participant"]["video"]) == (
                False,
                True,
            )
            bob.send(json.dumps({"type": "leave"}))
            with pytest.raises(ConnectionClosed) as closed:
                bob.recv(timeout=5)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1000
        left = json.loads(alice.recv(timeout=5))
        assert left == {
            "type": "participant.left",
            "participant_id": joined["participant"]["id"],
            "reason": "left",
        }


def test_signaling_dropped_connection_leaves_the_room(
    shared_server: RunningServer, room: str
) -> None:
    """A participant whose socket drops without leave is removed as disconnected."""
    with socket_to(shared_server, room) as alice:
        join(alice, "Alice")
        with socket_to(shared_server, room) as bob:
            join(bob, "Bob")
            alice.recv(timeout=5)
        left = json.loads(alice.recv(timeout=5))
        assert (left["type"], left["reason"]) == ("participant.left", "disconnected")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
message_like = st.fixed_dictionaries(
    {
        "type": st.sampled_from(
            [
                "join",
                "publish",
                "trickle",
                "media.state",
                "subscriber.answer",
                "ice.restart",
                "leave",
                "ping",
                "x",
            ]
        )
    },
    optional={
        "id": json_values,
        "version": json_values,
        "name": json_values,
        "audio": json_values,
        "video": json_values,
        "sdp": json_values,
        "tracks": json_values,
        "target": json_values,
        "candidate": json_values,
    },
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(messages=st.lists(message_like | json_values, min_size=1, max_size=5))
def test_signaling_survives_arbitrary_messages(
    shared_server: RunningServer, messages: list[Any]
) -> None:
    """Any sequence of JSON values never kills the server: the connection answers or closes cleanly."""
    slug = shared_server.create_room()
    with socket_to(shared_server, slug) as ws:
        for message in messages:
            if isinstance(message, dict) and message.get("type") == "leave":
                continue
            ws.send(json.dumps(message))
        try:
            assert_alive_or_closed(ws)
        except ConnectionClosed as closed:
            assert closed.rcvd is not None and closed.rcvd.code in (1000, 4000)
    with socket_to(shared_server, shared_server.create_room()) as fresh:
        assert join(fresh)["type"] == "joined"


def assert_alive_or_closed(ws: ClientConnection) -> None:
    ws.send(json.dumps({"type": "ping", "id": "final"}))
    while True:
        reply = json.loads(ws.recv(timeout=10))
        assert reply["type"] in {
            "error",
            "pong",
            "joined",
            "publish.answer",
            "subscriber.offer",
            "trickle",
        }
        if reply["type"] == "error":
            assert reply["code"] != "internal", reply
        if reply.get("reply_to") == "final" and reply["type"] == "pong":
            return
