"""Recording over the room protocol and the REST API, on a real server (real Janus, real OIDC
sign-in): who may start and stop it, what everyone is told, who may read, play and delete the
recordings, and HTTP Range for players. The raw tracks are real Janus recordings of two
participants (tests/recording/fixtures), placed where Janus writes, since these sockets carry
no media."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.auth.signin import audit_events
from tests.auth.test_auth_api_tokens import integrator, make_token, refusal
from tests.oidc.provider import TestProvider
from tests.recording.media import recording_rows
from tests.recording.test_recording_processing import ALICE, BOB
from tests.rooms.people import EMAILS, Browser, RoomSocket
from tests.rooms.test_moderation import Member
from tests.support import RunningServer, start_server, wait_until


@pytest.fixture
def room(shared_server: RunningServer) -> Iterator[tuple[RunningServer, str]]:
    yield shared_server, shared_server.create_room()


def start(moderator: RoomSocket, video: bool = False) -> dict[str, Any]:
    moderator.send(type="recording.start", id="rs", video=video)
    return moderator.expect_any({"recording.state", "error"})


# ---- the room protocol ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "message", [{"type": "recording.start", "video": True}, {"type": "recording.stop"}]
)
def test_recording_is_refused_to_non_moderators(
    room: tuple[RunningServer, str], message: dict[str, Any]
) -> None:
    """Only a moderator starts or stops recording: anyone else gets forbidden, nothing starts."""
    server, slug = room
    moderator, guest = Member(server, slug, "Mod"), Member(server, slug, "Guest")
    assert guest.outcome(**message) == "forbidden"
    assert not httpx.get(f"{server.url}/api/v1/rooms/{slug}").json()["recording"]
    assert moderator.outcome(type="ping") == "ok"


@pytest.mark.parametrize(
    "message",
    [
        {"type": "recording.start"},
        {"type": "recording.start", "video": "true"},
        {"type": "recording.start", "video": 1},
        {"type": "recording.start", "video": None},
        {"type": "recording.start", "video": True, "folder": "/etc"},
        {"type": "recording.stop", "recording_id": "../../x"},
    ],
)
def test_recording_messages_that_are_not_well_formed_are_refused(
    room: tuple[RunningServer, str], message: dict[str, Any]
) -> None:
    """Missing or mistyped fields, and fields the protocol does not have, are invalid."""
    server, slug = room
    moderator = Member(server, slug, "Mod")
    assert moderator.outcome(**message) == "invalid_message"
    assert not httpx.get(f"{server.url}/api/v1/rooms/{slug}").json()["recording"]


def test_everyone_present_and_everyone_arriving_is_told_of_the_recording(
    room: tuple[RunningServer, str],
) -> None:
    """Start: everyone gets recording.state with who started it; the pre-join call and a late
    joiner's joined say so; stop: everyone is told, and the pre-join call says no more."""
    server, slug = room
    alice, bob = Member(server, slug, "Alice"), Member(server, slug, "Bob")
    assert alice.joined["recording"] == {"active": False, "video": False}
    state = start(alice, video=True)
    assert state["type"] == "recording.state" and state["active"] and state["video"]
    assert state["started_by"] == "Alice" and state["started_at"]
    assert bob.expect("recording.state") == state
    assert httpx.get(f"{server.url}/api/v1/rooms/{slug}").json()["recording"] is True
    again = start(alice, video=False)  # already recording: nothing changes
    assert again == state

    carol = Member(server, slug, "Carol")
    assert carol.joined["recording"] == {k: v for k, v in state.items() if k != "type"}

    alice.send(type="recording.stop", id="stop")
    stopped = {"type": "recording.state", "active": False, "video": False}
    assert alice.expect("recording.state") == stopped
    assert bob.expect("recording.state") == stopped
    assert carol.expect("recording.state") == stopped
    assert httpx.get(f"{server.url}/api/v1/rooms/{slug}").json()["recording"] is False


def test_starting_recordings_over_and_over_is_limited(room: tuple[RunningServer, str]) -> None:
    """Three starts in a row are fine; a fourth soon after is rate_limited and starts nothing."""
    server, slug = room
    alice = Member(server, slug, "Alice")
    for _ in range(3):
        assert start(alice)["active"]
        alice.send(type="recording.stop")
        alice.expect("recording.state", active=False)
    refused = start(alice)
    assert (refused["type"], refused["code"]) == ("error", "rate_limited")
    assert not httpx.get(f"{server.url}/api/v1/rooms/{slug}").json()["recording"]


def test_losing_janus_stops_the_recording_and_keeps_what_it_wrote(server: RunningServer) -> None:
    """Janus dies mid-recording: everyone is told the recording stopped, and it is processed
    (here it ends failed: these sockets published nothing)."""
    slug = server.create_room()
    alice, bob = Member(server, slug, "Alice"), Member(server, slug, "Bob")
    assert start(alice)["active"]
    bob.expect("recording.state", active=True)
    server.kill_janus()
    assert bob.expect("recording.state", timeout=30) == {
        "type": "recording.state",
        "active": False,
        "video": False,
    }
    row = wait_until(
        lambda: next((r for r in recording_rows(server) if r["status"] == "failed"), None),
        60,
        lambda: f"not processed: {recording_rows(server)}",
    )
    assert row["error"].startswith("no audio was recorded")


def test_a_recording_stops_by_itself_at_the_longest_allowed(tmp_path: Path) -> None:
    """With VISIO_RECORDING_MAX_HOURS reached, the recording stops and everyone is told."""
    server = start_server(tmp_path / "visio", recording_max_hours="0.0005")  # 1.8 s
    try:
        slug = server.create_room()
        alice = Member(server, slug, "Alice")
        assert start(alice)["active"]
        assert alice.expect("recording.state", timeout=30)["active"] is False
        assert httpx.get(f"{server.url}/api/v1/rooms/{slug}").json()["recording"] is False
        alice.close()
    finally:
        server.stop()


def test_a_recording_interrupted_by_a_restart_is_processed_after_it(server: RunningServer) -> None:
    """The server stops while a meeting is recorded: at its next start the recording is
    processed from what Janus wrote, not lost."""
    slug = server.create_room()
    alice = Member(server, slug, "Alice")
    assert start(alice)["active"]
    row = next(r for r in recording_rows(server) if r["status"] == "recording")
    raw = server.data_dir / "recordings" / row["id"] / "raw"
    for track in (ALICE, BOB):
        shutil.copy(track, raw / track.name)
    alice.close()
    server.process.kill()  # no graceful stop: as a crash
    server.process.wait()
    server.restart()

    def processed() -> dict[str, Any] | None:
        now = next(r for r in recording_rows(server) if r["id"] == row["id"])
        return now if now["status"] in ("ready", "failed") else None

    done = wait_until(processed, 120, lambda: f"not processed: {recording_rows(server)}")
    assert done["status"] == "ready", done["error"]
    assert done["ended_at"] is not None and 8 < done["duration_s"] < 9.5


# ---- the REST API ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def recorded(
    browsers: dict[str, Browser], oidc_server: tuple[RunningServer, TestProvider]
) -> Iterator[dict[str, Any]]:
    """Pierre's room with one processed recording; Lucie is a member of the room and Jean an
    administrator of it; Marie holds no role."""
    server = oidc_server[0]
    pierre = browsers["pierre"]
    slug = pierre.create_room()
    for user, role in (("lucie", "member"), ("jean", "administrator")):
        granted = pierre.http.put(f"/api/v1/rooms/{slug}/roles/{EMAILS[user]}", json={"role": role})
        assert granted.status_code == 200, granted.text
    socket = pierre.socket(slug)
    assert socket.join("Pierre")["type"] == "joined"
    participant = Browser(server, oidc_server[1], None)
    guest = participant.socket(slug)
    assert guest.join("Invité")["type"] == "joined"
    assert start(socket)["active"]
    listed = pierre.http.get(f"/api/v1/rooms/{slug}/recordings").json()
    assert [r["status"] for r in listed] == ["recording"]
    recording_id = listed[0]["id"]
    raw = server.data_dir / "recordings" / recording_id / "raw"
    for track in (ALICE, BOB):
        shutil.copy(track, raw / track.name)
    socket.send(type="recording.stop")
    socket.expect("recording.state", active=False)

    def ready() -> dict[str, Any] | None:
        found: dict[str, Any] = pierre.http.get(f"/api/v1/recordings/{recording_id}").json()
        return found if found["status"] in ("ready", "failed") else None

    info = wait_until(ready, 120, "the recording was not processed")
    yield {"slug": slug, "info": info, "participant": participant, "server": server}
    socket.close()
    guest.close()
    participant.close()


def test_owner_lists_reads_and_plays_the_room_recordings(
    recorded: dict[str, Any], browsers: dict[str, Browser]
) -> None:
    """The owner sees the recording with its fields; the file is Ogg Opus, served whole."""
    info, pierre = recorded["info"], browsers["pierre"]
    assert info["status"] == "ready", info
    assert info["room_slug"] == recorded["slug"] and info["kind"] == "audio"
    assert info["media_type"] == "audio/ogg" and 8 < info["duration_s"] < 9.5
    assert info["started_at"] and info["ended_at"] and info["size_bytes"] > 1000
    assert set(info) == {
        "id", "room_slug", "kind", "status", "started_at", "ended_at", "duration_s",
        "size_bytes", "media_type",
    }  # fmt: skip
    assert pierre.http.get(f"/api/v1/rooms/{recorded['slug']}/recordings").json() == [info]
    media = pierre.http.get(f"/api/v1/recordings/{info['id']}/media")
    assert media.status_code == 200 and media.headers["content-type"] == "audio/ogg"
    assert len(media.content) == info["size_bytes"] and media.content[:4] == b"OggS"
    assert media.headers["accept-ranges"] == "bytes"
    assert media.headers["content-disposition"].startswith("inline")
    download = pierre.http.get(f"/api/v1/recordings/{info['id']}/media", params={"download": 1})
    assert download.headers["content-disposition"].startswith("attachment; filename=")
    assert recorded["slug"] in download.headers["content-disposition"]


def test_media_answers_range_requests_so_players_can_seek(
    recorded: dict[str, Any], browsers: dict[str, Browser]
) -> None:
    """A Range request gets 206 with exactly those bytes; one past the end gets 416."""
    info, pierre = recorded["info"], browsers["pierre"]
    url = f"/api/v1/recordings/{info['id']}/media"
    whole = pierre.http.get(url).content
    part = pierre.http.get(url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 100-199/{info['size_bytes']}"
    assert part.content == whole[100:200]
    tail = pierre.http.get(url, headers={"Range": "bytes=-50"})
    assert tail.status_code == 206 and tail.content == whole[-50:]
    beyond = pierre.http.get(url, headers={"Range": f"bytes={info['size_bytes'] + 10}-"})
    assert beyond.status_code == 416


def test_room_administrators_read_recordings_too(
    recorded: dict[str, Any], browsers: dict[str, Browser]
) -> None:
    """Jean administers the room: he lists and reads its recordings."""
    jean, info = browsers["jean"], recorded["info"]
    assert jean.http.get(f"/api/v1/rooms/{recorded['slug']}/recordings").json() == [info]
    assert jean.http.get(f"/api/v1/recordings/{info['id']}/media").status_code == 200


@pytest.mark.parametrize("who", ["participant", "guest", "outsider", "member"])
def test_nobody_else_reads_or_deletes_recordings(
    recorded: dict[str, Any],
    browsers: dict[str, Browser],
    guest: Browser,
    who: str,
) -> None:
    """A guest who took part, a browser without a session, a signed-in person without a role
    and a member of the room are refused the list; for them the recording does not exist."""
    slug, rid = recorded["slug"], recorded["info"]["id"]
    if who == "participant":  # the guest who was in the recorded meeting, with its cookie
        http = recorded["participant"].http
    elif who == "guest":
        http = guest.http
    else:
        http = browsers["marie" if who == "outsider" else "lucie"].http
    expected_list = 401 if who in ("participant", "guest") else 403
    assert http.get(f"/api/v1/rooms/{slug}/recordings").status_code == expected_list
    for path in (f"/api/v1/recordings/{rid}", f"/api/v1/recordings/{rid}/media"):
        assert http.get(path).status_code == (401 if expected_list == 401 else 404)
    assert http.delete(f"/api/v1/recordings/{rid}").status_code in (401, 403, 404)
    assert browsers["pierre"].http.get(f"/api/v1/recordings/{rid}").status_code == 200


def test_api_tokens_read_recordings_only_with_their_scope(
    recorded: dict[str, Any], browsers: dict[str, Browser]
) -> None:
    """A token of Pierre's with recordings:read lists and downloads but does not delete; one
    with rooms:read only is refused and told which scope it lacks; a token of Marie's (no role
    in the room) reads nothing, and deletes nothing even with recordings:write."""
    server, slug, rid = recorded["server"], recorded["slug"], recorded["info"]["id"]
    with integrator(server, make_token(browsers["pierre"], "rooms:read")["secret"]) as other:
        assert refusal(other.get(f"/api/v1/rooms/{slug}/recordings")) == (
            403,
            "insufficient_scope",
        )
        assert refusal(other.get(f"/api/v1/recordings/{rid}/media"))[0] == 403
    with integrator(server, make_token(browsers["pierre"], "recordings:read")["secret"]) as reader:
        assert [r["id"] for r in reader.get(f"/api/v1/rooms/{slug}/recordings").json()] == [rid]
        assert reader.get(f"/api/v1/recordings/{rid}/media").status_code == 200
        assert refusal(reader.delete(f"/api/v1/recordings/{rid}")) == (403, "insufficient_scope")
    marie_token = make_token(browsers["marie"], "recordings:read", "recordings:write")["secret"]
    with integrator(server, marie_token) as marie:
        assert marie.get(f"/api/v1/rooms/{slug}/recordings").status_code == 403
        assert marie.delete(f"/api/v1/recordings/{rid}").status_code == 404
    assert browsers["pierre"].http.get(f"/api/v1/recordings/{rid}").status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/recordings/rec_AAAAAAAAAAAAAAAAAAAAAA",
        "/api/v1/recordings/1",
        "/api/v1/recordings/rec_..%2F..%2Fvisio.db",
        "/api/v1/recordings/rec_AAAAAAAAAAAAAAAAAAAAAA/media",
    ],
)
def test_unknown_or_malformed_recording_ids_name_nothing(
    path: str, browsers: dict[str, Browser]
) -> None:
    """An id that is not one of ours is a 404 or 422, never a file."""
    response = browsers["pierre"].http.get(path)
    assert response.status_code in (404, 422), response.text


def failed_recording(owner: Browser) -> tuple[str, RoomSocket, str]:
    """A new room of ``owner``'s recorded and stopped with no media, so its recording ends
    ``failed``: the room, the owner's socket still in it, the recording id."""
    slug = owner.create_room()
    socket = owner.socket(slug)
    socket.join("Pierre")
    assert start(socket)["active"]
    rid = owner.http.get(f"/api/v1/rooms/{slug}/recordings").json()[0]["id"]
    socket.send(type="recording.stop")
    socket.expect("recording.state", active=False)
    wait_until(
        lambda: owner.http.get(f"/api/v1/recordings/{rid}").json()["status"] == "failed",
        60,
        "a recording without media did not fail",
    )
    return slug, socket, rid


def test_owner_deletes_a_recording_with_its_files_and_the_trail_keeps_it(
    browsers: dict[str, Browser], oidc_server: tuple[RunningServer, TestProvider]
) -> None:
    """Deleting needs the CSRF token; then the row and the folder go, and the audit trail says
    who deleted which recording."""
    server, provider = oidc_server
    pierre = browsers["pierre"]
    slug, socket, rid = failed_recording(pierre)
    folder = server.data_dir / "recordings" / rid
    assert folder.exists()
    without_csrf = httpx.delete(
        f"{server.url}/api/v1/recordings/{rid}", headers={"Cookie": pierre.cookie_header()}
    )
    assert refusal(without_csrf) == (403, "csrf_failed")
    assert pierre.http.delete(f"/api/v1/recordings/{rid}").status_code == 204
    assert not folder.exists()
    assert pierre.http.get(f"/api/v1/recordings/{rid}").status_code == 404
    assert pierre.http.get(f"/api/v1/rooms/{slug}/recordings").json() == []
    deleted = audit_events(server, provider, "recording.deleted")[-1]
    assert deleted["target"] == slug and deleted["details"]["recording"] == rid
    assert deleted["actor_user_id"] is not None
    socket.close()


def test_a_token_with_recordings_write_deletes_a_recording_as_its_owner(
    browsers: dict[str, Browser], oidc_server: tuple[RunningServer, TestProvider]
) -> None:
    """An integrator's token with recordings:write deletes (no CSRF: it sends no cookie); the
    folder goes and the audit trail names the token's owner."""
    server, provider = oidc_server
    pierre = browsers["pierre"]
    _, socket, rid = failed_recording(pierre)
    with integrator(server, make_token(pierre, "recordings:write")["secret"]) as program:
        assert program.delete(f"/api/v1/recordings/{rid}").status_code == 204
    assert not (server.data_dir / "recordings" / rid).exists()
    assert pierre.http.get(f"/api/v1/recordings/{rid}").status_code == 404
    deleted = audit_events(server, provider, "recording.deleted")[-1]
    assert deleted["details"]["recording"] == rid
    assert deleted["actor_user_id"] == pierre.http.get("/api/v1/me").json()["user"]["id"]
    socket.close()
