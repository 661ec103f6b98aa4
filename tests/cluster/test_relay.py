"""Sockets on an app server that does not own their room reach it through Redis (the relay)."""

from __future__ import annotations

import json
import re

import pytest

from tests.cluster.conftest import Cluster
from tests.support import wait_until

pytestmark = pytest.mark.postgres


def test_relay_people_on_both_servers_see_each_other_join_chat_and_leave(nodes: Cluster) -> None:
    """Alice on the owner and Bob on the other server are in one meeting: join, chat, leave."""
    slug = nodes.a.create_room()
    alice = nodes.socket("a", slug)
    assert alice.join("Alice")["type"] == "joined"
    assert nodes.owner(slug) == "a"
    bob = nodes.socket("b", slug)
    joined = bob.join("Bob")
    assert joined["type"] == "joined", joined
    assert [p["name"] for p in joined["participants"]] == ["Alice"]
    assert alice.expect("participant.joined")["participant"]["name"] == "Bob"
    bob.send(type="chat.send", id="c1", text="bonjour depuis b")
    assert alice.expect("chat.message")["message"]["text"] == "bonjour depuis b"
    assert bob.expect("chat.message", reply_to="c1")["message"]["name"] == "Bob"
    alice.send(type="chat.send", id="c2", text="bien reçu")
    assert bob.expect("chat.message")["message"]["text"] == "bien reçu"
    bob.send(type="leave")
    assert bob.expect_closed() == 1000
    left = alice.expect("participant.left")
    assert (left["participant_id"], left["reason"]) == (bob.id, "left")
    alice.close()
    wait_until(lambda: nodes.owner(slug) is None, 10, "the lease outlived the meeting")


def test_relay_keeps_the_order_of_each_connections_frames(nodes: Cluster) -> None:
    """Fifty pings sent back to back through the relay come back as fifty pongs, in order."""
    slug = nodes.a.create_room()
    owner = nodes.socket("a", slug)
    owner.join("Owner")
    relayed = nodes.socket("b", slug)
    relayed.join("Relayed")
    for number in range(50):
        relayed.send(type="ping", id=f"p{number}")
    answers = [relayed.expect("pong")["reply_to"] for _ in range(50)]
    assert answers == [f"p{number}" for number in range(50)]
    relayed.close()
    owner.close()


def test_relay_a_frame_over_the_limit_is_refused_by_the_owner(nodes: Cluster) -> None:
    """A frame over the protocol's size limit gets message_too_large, and the socket lives on."""
    slug = nodes.a.create_room()
    owner = nodes.socket("a", slug)
    owner.join("Owner")
    relayed = nodes.socket("b", slug)
    relayed.join("Relayed")
    relayed.send(type="chat.send", id="big", text="x" * 70_000)
    assert relayed.expect("error")["code"] == "message_too_large"
    relayed.send(type="ping", id="after")
    assert relayed.expect("pong")["reply_to"] == "after"
    relayed.close()
    owner.close()


def test_relay_a_flood_meets_the_owners_rate_limit(nodes: Cluster) -> None:
    """Three hundred frames at once through the relay: each is answered (pong or rate_limited,
    from the owner or, past twice its limit, from the edge), and the socket works afterwards."""
    slug = nodes.a.create_room()
    owner = nodes.socket("a", slug)
    owner.join("Owner")
    relayed = nodes.socket("b", slug)
    relayed.join("Relayed")
    for number in range(300):
        relayed.send(type="ping", id=f"f{number}")
    codes: list[str] = []
    pongs = 0
    while pongs + len(codes) < 300:
        message = relayed.expect_any({"pong", "error"})
        if message["type"] == "error":
            codes.append(message["code"])
        else:
            pongs += 1
    assert "rate_limited" in codes
    assert pongs < 300
    wait_until(lambda: relayed.outcome(type="ping") == "ok", 15, "the socket stayed limited")
    relayed.close()
    owner.close()


def test_relay_a_client_cannot_speak_for_an_app_server(nodes: Cluster) -> None:
    """A client that sends what looks like a relay envelope is refused as a bad message: its
    frames travel as opaque text, and only app servers publish on Redis."""
    slug = nodes.a.create_room()
    owner = nodes.socket("a", slug)
    owner.join("Owner")
    relayed = nodes.socket("b", slug)
    relayed.join("Relayed")
    forged = {
        "k": "open",
        "c": "forged",
        "e": "b",
        "s": slug,
        "v": {"user": {"id": 1, "provider": "x", "subject": "admin"}, "site_admin": True},
    }
    relayed.ws.send(json.dumps(forged))
    assert relayed.expect("error")["code"] in {"invalid_message", "unknown_type"}
    relayed.send(type="ping", id="still")
    assert relayed.expect("pong")["reply_to"] == "still"
    owner.send(type="ping", id="quiet")
    assert owner.expect("pong")["reply_to"] == "quiet"  # nobody new joined before the pong
    relayed.close()
    owner.close()


def test_relay_round_trips_are_measured_in_metrics(nodes: Cluster) -> None:
    """The edge's /metrics has the relay round-trip histogram once it has relayed a socket."""
    slug = nodes.a.create_room()
    owner = nodes.socket("a", slug)
    owner.join("Owner")
    relayed = nodes.socket("b", slug)
    relayed.join("Relayed")

    def count() -> float:
        found = re.search(r"^visio_relay_round_trip_seconds_count (\S+)$", nodes.b.metrics(), re.M)
        return float(found.group(1)) if found else 0.0

    wait_until(lambda: count() >= 2, 10, "no relay round trip measured")
    relayed.close()
    owner.close()


def _connections(nodes: Cluster, node: str) -> list[dict[str, str]]:
    """Redis's CLIENT LIST entries of one app server (its client names itself ``visio:<id>``)."""
    client = nodes.redis.client()
    try:
        listed = client.client_list()
    finally:
        client.close()
    return [entry for entry in listed if entry.get("name") == f"visio:{node}"]


def test_relay_each_app_server_holds_one_small_pool_of_redis_connections(nodes: Cluster) -> None:
    """After a relayed meeting that used every Redis user (placement, relay, rate limits, socket
    places, the role memory, the chat mirror), each app server holds one pub/sub connection
    and a few pooled ones from its one client, not a pool per user."""
    slug = nodes.a.create_room()
    alice = nodes.socket("a", slug)
    alice.join("Alice")
    people = [nodes.socket(node, slug) for node in ("b", "a", "b")]
    for number, person in enumerate(people):
        assert person.join(f"P{number}")["type"] == "joined"
        person.send(type="chat.send", id=f"c{number}", text="bonjour")
        person.send(type="hand", id=f"h{number}", raised=True)
    for person in people:
        person.close()
    for _ in people:
        alice.expect("participant.left")
    for node in ("a", "b"):
        held = _connections(nodes, node)
        subscribed = [entry for entry in held if int(entry.get("sub", "0")) > 0]
        print(f"node {node}: {len(held)} Redis connections, {len(subscribed)} subscribed")
        assert len(subscribed) == 1, held
        assert len(held) <= 6, held
    alice.close()
