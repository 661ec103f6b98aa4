"""Where a room lives among app servers: its lease in Redis, node loss, Redis restarts and outages."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import httpx
import pytest
from websockets.sync.client import connect

from tests.cluster.conftest import Cluster
from tests.rooms.people import RoomSocket
from tests.support import VISIO, RunningServer, wait_until

pytestmark = pytest.mark.postgres


def _meeting(nodes: Cluster) -> tuple[str, RoomSocket, RoomSocket]:
    """Alice on node a (which then owns the room) and Bob relayed from node b."""
    slug = nodes.a.create_room()
    alice = nodes.socket("a", slug)
    assert alice.join("Alice")["type"] == "joined"
    bob = nodes.socket("b", slug)
    assert bob.join("Bob")["type"] == "joined"
    alice.expect("participant.joined")
    return slug, alice, bob


def _mirrored(nodes: Cluster, slug: str) -> list[str]:
    """The texts of the room's chat as mirrored in Redis, oldest first."""
    client = nodes.redis.client()
    try:
        items = client.lrange(f"visio:room:{slug}:chat", 0, -1)
    finally:
        client.close()
    return [json.loads(item)["text"] for item in items]


def test_placement_a_meeting_over_on_purpose_forgets_its_mirrored_chat(nodes: Cluster) -> None:
    """Everyone leaves: the next meeting in the room starts with an empty chat, everywhere."""
    slug, alice, bob = _meeting(nodes)
    bob.send(type="chat.send", id="c", text="à bientôt")
    alice.expect("chat.message")
    wait_until(lambda: _mirrored(nodes, slug) == ["à bientôt"], 10, "chat not mirrored")
    bob.send(type="leave")
    alice.send(type="leave")
    wait_until(lambda: _mirrored(nodes, slug) == [], 10, "the mirrored chat outlived the meeting")
    again = nodes.socket("b", slug)
    assert again.join("Carol")["chat"] == []
    again.close()


def _heartbeat(nodes: Cluster, node: str) -> dict[str, int] | None:
    client = nodes.redis.client()
    try:
        raw = client.get(f"visio:node:{node}")
    finally:
        client.close()
    return json.loads(raw) if raw else None


def test_placement_first_socket_claims_the_room_with_a_renewed_lease(nodes: Cluster) -> None:
    """The first server a socket lands on owns the room; its lease (at most 3 s) is renewed
    while the meeting lasts and released when it ends; each node's heartbeat carries its load."""
    slug = nodes.b.create_room()
    assert nodes.owner(slug) is None
    carol = nodes.socket("b", slug)
    carol.join("Carol")
    assert nodes.owner(slug) == "b"
    assert 0 < nodes.lease_ms(slug) <= 3000
    renewed = 0
    last = nodes.lease_ms(slug)
    deadline = time.monotonic() + 10
    while renewed < 2 and time.monotonic() < deadline:
        now = nodes.lease_ms(slug)
        renewed += now > last
        last = now
        time.sleep(0.05)
    assert renewed >= 2, "the lease was not renewed"
    assert nodes.owner(slug) == "b"
    wait_until(
        lambda: (_heartbeat(nodes, "b") or {}).get("participants", 0) >= 1,
        5,
        lambda: f"b's heartbeat says {_heartbeat(nodes, 'b')}",
    )
    assert _heartbeat(nodes, "a") is not None
    dave = nodes.socket("a", slug)
    dave.join("Dave")
    assert nodes.owner(slug) == "b", "a relayed socket does not move the room"
    dave.close()
    carol.send(type="leave")
    assert carol.expect_closed() == 1000
    wait_until(lambda: nodes.owner(slug) is None, 5, "the lease was not released")


def test_placement_kill_the_owner_relayed_people_reconnect_through_the_other_server(
    nodes: Cluster,
) -> None:
    """kill -9 the owner: its relayed sockets are told 1012 within about 2 s, and rejoining
    through the other server works at once; the room is built afresh there."""
    slug, alice, bob = _meeting(nodes)
    alice.send(type="chat.send", id="k", text="gardé 🗳️ <b>")
    alice.send(type="chat.send", id="d", text="effacé")
    bob.expect("chat.message")
    erased = bob.expect("chat.message")["message"]["id"]
    alice.send(type="chat.delete", id="x", message_id=erased)
    bob.expect("chat.deleted")
    wait_until(lambda: _mirrored(nodes, slug) == ["gardé 🗳️ <b>"], 10, "chat not mirrored")
    killed_at = time.monotonic()
    nodes.a.process.send_signal(signal.SIGKILL)
    assert bob.expect_closed() == 1012
    told = time.monotonic() - killed_at
    assert told < 3.5, f"the relayed socket heard of the owner's death after {told:.1f} s"
    again = nodes.socket("b", slug)
    rejoined = again.join("Bob")
    took = time.monotonic() - killed_at
    assert rejoined["type"] == "joined", rejoined
    assert rejoined["participants"] == []
    # The chat so far came with the room (what was deleted stays deleted).
    assert [message["text"] for message in rejoined["chat"]] == ["gardé 🗳️ <b>"]
    assert nodes.owner(slug) == "b"
    carol = nodes.socket("b", slug)
    assert carol.join("Carol")["type"] == "joined"
    assert again.expect("participant.joined")["participant"]["name"] == "Carol"
    carol.send(type="chat.send", id="c", text="on continue")
    assert again.expect("chat.message")["message"]["text"] == "on continue"
    print(f"kill -9 to 1012: {told:.2f} s; kill -9 to rejoined: {took:.2f} s")
    again.close()
    carol.close()


class _PatientSocket(RoomSocket):
    """A room socket that sends no keepalive pings: its server may be paused for a while."""

    def __init__(self, server: RunningServer, slug: str) -> None:
        url = f"{server.ws_base}/api/v1/rooms/{slug}/ws"
        self.ws = connect(url, ping_interval=None).__enter__()
        self.id = None
        self._ids = 0
        self.joined = {}


def test_placement_owner_restarted_with_the_same_id_is_told_from_its_dead_run(
    nodes: Cluster,
) -> None:
    """The owner dies and is back under the same node id before the edge looked (the edge was
    paused, as on a busy machine): the edge tells the new run from the dead one, whose sockets
    it cannot serve, closes Bob's relayed socket with 1012, and Bob comes back as himself, in
    the room with Alice, now owned by the new run."""
    slug = nodes.a.create_room()
    alice = nodes.socket("a", slug)
    assert alice.join("Alice")["type"] == "joined"
    bob = _PatientSocket(nodes.b, slug)
    token = bob.join("Bob")["resume_token"]
    alice.expect("participant.joined")
    edge = nodes.b.process
    edge.send_signal(signal.SIGSTOP)
    try:
        nodes.a.process.send_signal(signal.SIGKILL)
        nodes.a.process.wait()
        alice.close()
        nodes.start("a")
        alice = nodes.socket("a", slug)
        assert alice.join("Alice")["type"] == "joined"
        assert nodes.owner(slug) == "a"
    finally:
        edge.send_signal(signal.SIGCONT)
    resumed_at = time.monotonic()
    assert bob.expect_closed() == 1012
    told = time.monotonic() - resumed_at
    again = nodes.socket("b", slug)
    back = again.join("Bob", resume=token)
    assert back["type"] == "joined", back
    assert back["participant"]["id"] == bob.id
    assert [p["name"] for p in back["participants"]] == ["Alice"]
    assert alice.expect("participant.joined")["participant"]["id"] == bob.id
    again.send(type="chat.send", id="c", text="de retour")
    assert alice.expect("chat.message")["message"]["text"] == "de retour"
    print(f"edge resumed to 1012: {told:.2f} s")
    again.close()
    alice.close()


def test_placement_graceful_stop_moves_people_at_once(nodes: Cluster) -> None:
    """SIGTERM on the owner: its own and its relayed sockets get 1012, the lease is released
    (no wait for it to run out) and the room is taken over by the next socket."""
    slug, alice, bob = _meeting(nodes)
    nodes.a.stop()
    assert alice.expect_closed() == 1012
    assert bob.expect_closed() == 1012
    assert nodes.owner(slug) is None, "the stopping owner kept its lease"
    again = nodes.socket("b", slug)
    assert again.join("Bob")["type"] == "joined"
    assert nodes.owner(slug) == "b"
    again.close()


def test_placement_redis_restart_the_meeting_goes_on_and_leases_come_back(
    nodes: Cluster,
) -> None:
    """Redis restarts empty: people on the owner notice nothing, the lease is re-asserted by
    the owner, and the relayed socket (whose messages may have been lost) reconnects."""
    slug, alice, bob = _meeting(nodes)
    nodes.redis.restart()
    wait_until(lambda: nodes.owner(slug) == "a", 10, "the owner did not re-assert its lease")
    assert bob.expect_closed() == 1012
    wait_until(nodes.linked, 15, "the nodes did not link up with Redis again")
    again = nodes.socket("b", slug)
    rejoined = again.join("Bob")
    assert rejoined["type"] == "joined", rejoined
    assert [p["name"] for p in rejoined["participants"]] == ["Alice"]
    again.send(type="chat.send", id="c", text="toujours là")
    assert alice.expect("chat.message")["message"]["text"] == "toujours là"
    alice.send(type="ping", id="alive")
    assert alice.expect("pong")["reply_to"] == "alive"
    again.close()
    alice.close()


def test_placement_redis_down_meetings_go_on_new_rooms_wait_then_work(nodes: Cluster) -> None:
    """Redis down: a meeting in progress goes on, and a newcomer to it on its owner gets in;
    a new room's join is told it waits, and goes through when Redis is back."""
    slug = nodes.a.create_room()
    alice = nodes.socket("a", slug)
    alice.join("Alice")
    fresh = nodes.b.create_room()
    nodes.redis.kill()
    ready = httpx.get(f"{nodes.a.url}/readyz", timeout=10)
    assert (ready.status_code, ready.json()["redis"]) == (200, False)
    alice.send(type="chat.send", id="c", text="Redis est parti")
    assert alice.expect("chat.message", reply_to="c")["message"]["text"] == "Redis est parti"
    carol = nodes.socket("a", slug)
    assert carol.join("Carol")["type"] == "joined"
    waiting = nodes.socket("b", fresh)
    waiting.send(type="join", id="join", version=1, name="Eve", audio=True, video=True)
    told = waiting.expect("error")
    assert (told["code"], told["fatal"]) == ("service_unavailable", False)
    assert "Redis" in told["message"]
    nodes.redis.start()
    joined = waiting.expect("joined", timeout=15)
    assert joined["reply_to"] == "join"
    assert nodes.owner(fresh) == "b"
    wait_until(lambda: nodes.owner(slug) == "a", 10, "the owner did not re-assert its lease")
    for person in (alice, carol, waiting):
        person.close()


def test_placement_redis_down_too_long_the_socket_is_told_to_retry(nodes: Cluster) -> None:
    """While Redis stays down, a socket for a room nobody here holds is closed with 1013
    ("try again later") after being told why, never left hanging."""
    fresh = nodes.b.create_room()
    nodes.redis.kill()
    waiting = nodes.socket("b", fresh)
    assert waiting.expect("error", timeout=5)["code"] == "service_unavailable"
    started = time.monotonic()
    with pytest.raises(Exception) as closed:
        while True:
            waiting.ws.recv(timeout=20)
    assert getattr(getattr(closed.value, "rcvd", None), "code", None) == 1013, closed.value
    assert time.monotonic() - started < 15


def test_placement_readiness_and_check_report_redis(nodes: Cluster) -> None:
    """/readyz says Redis answers; `visio check` has a Redis line, ok here, ERR when it is
    down, without printing the URL."""
    assert httpx.get(f"{nodes.b.url}/readyz", timeout=10).json()["redis"] is True

    def check(url: str) -> str:
        env = {k: v for k, v in os.environ.items() if not k.startswith("VISIO_")}
        env |= {"VISIO_REDIS_URL": url, "VISIO_NODE_ID": "checker"}
        env["VISIO_DATA_DIR"] = str(nodes.folder / "check")
        done = subprocess.run(
            [str(VISIO), "check"], env=env, capture_output=True, text=True, timeout=120
        )
        return next(line for line in done.stdout.splitlines() if "Redis" in line)

    assert check(nodes.redis.url).startswith("ok   Redis answers (version 7")
    unused = nodes.redis.url.rsplit(":", 1)[0] + ":1/0"
    line = check(unused.replace("redis://", "redis://:hunter2@"))
    assert line.startswith("ERR  Redis at VISIO_REDIS_URL does not answer")
    assert "hunter2" not in line
