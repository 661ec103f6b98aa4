"""Subtitles on the server side: who may turn them on, and audio reaching workers only while on."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect

from tests.captions.protocol_worker import ProtocolWorker
from tests.support import RunningServer, start_server, wait_until

SECRET = "worker-secret-for-tests-0123456789"


def join(server: RunningServer, slug: str, name: str) -> tuple[ClientConnection, dict[str, Any]]:
    ws = connect(f"{server.ws_base}/api/v1/rooms/{slug}/ws").__enter__()
    ws.send(json.dumps({"type": "join", "version": 1, "name": name, "audio": True, "video": True}))
    return ws, wait_for(ws, "joined")


def wait_for(ws: ClientConnection, kind: str, timeout: float = 15, **match: Any) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message: dict[str, Any] = json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
        if message["type"] == kind and all(message.get(k) == v for k, v in match.items()):
            return message
    raise AssertionError(f"no {kind} message")


def worker_url(server: RunningServer) -> str:
    return f"{server.ws_base}/api/v1/speech/workers/ws"


@pytest.fixture(scope="module")
def speech_server(tmp_path_factory: pytest.TempPathFactory) -> Any:
    server = start_server(tmp_path_factory.mktemp("visio"), speech_worker_secret=SECRET)
    yield server
    server.stop()


def test_speech_worker_without_the_secret_is_refused(speech_server: RunningServer) -> None:
    """A worker that does not present the shared secret cannot connect."""
    with pytest.raises(InvalidStatus):
        ProtocolWorker(worker_url(speech_server), "wrong-secret")
    with pytest.raises(InvalidStatus):
        connect(worker_url(speech_server))


def test_metrics_show_each_speech_workers_dropped_audio_and_backlog(
    speech_server: RunningServer,
) -> None:
    """What a worker says of its load in its pong (audio dropped, backlog, failed decodes) is in
    /metrics by worker; a bare pong, as older workers send, keeps the last figures."""
    worker = ProtocolWorker(worker_url(speech_server), SECRET, worker_id="busy-worker")
    try:
        load = {
            "dropped_seconds": 12.5,
            "backlog_seconds": 3.25,
            "decode_errors": 2,
            "streams": 4,
            "rtp_packets": 5000,
            "rtp_lost": 17,
            "rtp_rejected": 3,
            "silent_streams": 1,
        }
        worker.ws.send(json.dumps({"type": "pong", "load": load}))
        worker.ws.send(json.dumps({"type": "pong"}))
        deadline = time.monotonic() + 10
        text = ""
        while time.monotonic() < deadline:
            text = httpx.get(f"{speech_server.url}/metrics").text
            if 'worker="busy-worker"' in text:
                break
            time.sleep(0.1)
        assert 'visio_speech_worker_dropped_audio_seconds_total{worker="busy-worker"} 12.5' in text
        assert 'visio_speech_worker_backlog_seconds{worker="busy-worker"} 3.25' in text
        assert 'visio_speech_worker_decode_errors_total{worker="busy-worker"} 2.0' in text
        assert 'visio_speech_worker_rtp_packets_total{worker="busy-worker"} 5000.0' in text
        assert 'visio_speech_worker_rtp_lost_packets_total{worker="busy-worker"} 17.0' in text
        assert 'visio_speech_worker_rtp_rejected_packets_total{worker="busy-worker"} 3.0' in text
        assert 'visio_speech_worker_silent_streams{worker="busy-worker"} 1.0' in text
    finally:
        worker.close()


def undelivered(server: RunningServer) -> float:
    for line in httpx.get(f"{server.url}/metrics").text.splitlines():
        if line.startswith("visio_captions_undelivered_total "):
            return float(line.split()[1])
    raise AssertionError("visio_captions_undelivered_total not in /metrics")


def test_captions_for_a_stream_nobody_has_are_counted_and_logged_once(
    speech_server: RunningServer,
) -> None:
    """A worker's captions for a stream the server does not know (stopped, or moved to another
    worker) reach nobody: /metrics counts each, the log says so once for the stream."""
    worker = ProtocolWorker(worker_url(speech_server), SECRET, worker_id="late-worker")
    try:
        before = undelivered(speech_server)
        for kind in ("partial", "final"):
            worker.send_caption("room/p_gone/0123", "words nobody will read", kind=kind)
        wait_until(
            lambda: undelivered(speech_server) == before + 2,
            timeout=15,
            message=lambda: f"undelivered captions: {undelivered(speech_server)}, was {before}",
        )
        lines = [line for line in speech_server.log().splitlines() if "room/p_gone/0123" in line]
        assert len(lines) == 1 and "WARNING" in lines[0], lines
        assert "words nobody" not in speech_server.log(), "caption text is never logged"
    finally:
        worker.close()


def test_first_participant_moderates_and_hands_over_on_leaving(
    speech_server: RunningServer,
) -> None:
    """The earliest participant is moderator; when they leave the next one becomes moderator."""
    slug = speech_server.create_room()
    first, joined_first = join(speech_server, slug, "First")
    second, joined_second = join(speech_server, slug, "Second")
    assert joined_first["participant"]["moderator"] is True
    assert joined_second["participant"]["moderator"] is False
    first.send(json.dumps({"type": "leave"}))
    updated = wait_for(second, "participant.updated")
    assert updated["participant"]["id"] == joined_second["participant"]["id"]
    assert updated["participant"]["moderator"] is True
    second.close()


def test_only_a_moderator_can_turn_subtitles_on(speech_server: RunningServer) -> None:
    """A participant who is not moderator gets forbidden."""
    slug = speech_server.create_room()
    first, _ = join(speech_server, slug, "First")
    second, _ = join(speech_server, slug, "Second")
    second.send(json.dumps({"type": "captions.set", "id": 1, "enabled": True, "language": "en"}))
    error = wait_for(second, "error")
    assert (error["code"], error["reply_to"]) == ("forbidden", 1)
    first.close()
    second.close()


def test_subtitles_need_a_speech_worker(speech_server: RunningServer) -> None:
    """With no worker connected, turning subtitles on says they are unavailable."""
    slug = speech_server.create_room()
    moderator, joined = join(speech_server, slug, "Mod")
    assert joined["captions"] == {"enabled": False, "language": "auto"}
    moderator.send(json.dumps({"type": "captions.set", "enabled": True, "language": "fr"}))
    assert wait_for(moderator, "error")["code"] == "captions_unavailable"
    moderator.close()


def test_subtitles_on_forward_each_microphone_and_off_stops_it(
    speech_server: RunningServer, participants: Any
) -> None:
    """On: every speaker's microphone reaches a worker as Opus RTP and captions come back under
    their name. Off: the streams stop and no more audio leaves Janus."""
    worker = ProtocolWorker(worker_url(speech_server), SECRET)
    try:
        slug = speech_server.create_room()
        moderator, _ = join(speech_server, slug, "Mod")
        alice = participants.join(speech_server.url, slug, "Alice")
        bob = participants.join(speech_server.url, slug, "Bob")
        bob.wait_video_flowing(alice.participant_id)
        alice.wait_video_flowing(bob.participant_id)
        assert worker.active_streams() == [], "no audio leaves Janus while subtitles are off"

        moderator.send(json.dumps({"type": "captions.set", "enabled": True, "language": "en"}))
        state = wait_for(moderator, "captions.state")
        assert state["captions"]["enabled"] is True and state["captions"]["language"] == "en"
        streams = worker.wait_for_streams(2)
        assert {s.language for s in streams} == {"en"}
        for stream in streams:
            assert {pt for _, pt, _ in stream.packets} == {111}, "Opus with payload type 111"
            assert stream.srtp_key, "audio for recognition is encrypted by default"
            assert stream.authenticated >= len(stream.packets) - 2, "SRTP with the stream's key"
        by_participant = {
            pid: s
            for s in streams
            for pid in (alice.participant_id, bob.participant_id)
            if pid in s.stream_id
        }
        assert set(by_participant) == {alice.participant_id, bob.participant_id}

        worker.send_caption(by_participant[bob.participant_id].stream_id, "bonjour tout le monde")
        caption = wait_for(moderator, "caption")
        assert caption["participant_id"] == bob.participant_id
        assert caption["text"] == "bonjour tout le monde" and caption["kind"] == "final"

        moderator.send(json.dumps({"type": "captions.set", "enabled": False}))
        assert wait_for(moderator, "captions.state")["captions"]["enabled"] is False
        wait_until(
            lambda: not worker.active_streams(),
            timeout=15,
            message=lambda: f"streams not stopped: {worker.active_streams()}",
        )
        # Packets already on their way may still land: wait for a first gap in the flow.
        worker.wait_quiet(streams, quiet=0.5, timeout=15)
        # A quiet-period observation, not a synchronisation: 2 s in which both microphones
        # still reach Janus (their browsers keep sending) and nothing of it reaches the worker.
        counts = [len(s.packets) for s in streams]
        sent = {p.name: p.published_audio()["packetsSent"] for p in (alice, bob)}
        alice.page.wait_for_timeout(2000)
        assert [len(s.packets) for s in streams] == counts, "audio kept flowing after subtitles off"
        for person in (alice, bob):
            assert person.published_audio()["packetsSent"] > sent[person.name] + 50, (
                f"{person.name}'s microphone stopped sending, so the silence proves nothing"
            )
        moderator.close()
    finally:
        worker.close()


def test_streams_of_a_dead_worker_move_to_another(tmp_path: Path, participants: Any) -> None:
    """A worker that disconnects has its streams taken over by another worker."""
    server = start_server(tmp_path / "visio", speech_worker_secret=SECRET)
    first = ProtocolWorker(worker_url(server), SECRET, worker_id="w1", capacity=1)
    second = ProtocolWorker(worker_url(server), SECRET, worker_id="w2", capacity=1)
    try:
        slug = server.create_room()
        moderator, _ = join(server, slug, "Mod")
        alice = participants.join(server.url, slug, "Alice")
        alice.page.wait_for_function(
            "() => window.visio.session.publisher?.connectionState === 'connected'"
        )
        moderator.send(json.dumps({"type": "captions.set", "enabled": True, "language": "fr"}))
        holder, spare = wait_until(
            lambda: (
                (first, second)
                if first.active_streams()
                else (second, first)
                if second.active_streams()
                else None
            ),
            timeout=20,
            message="no worker was given Alice's stream",
        )
        holder.wait_for_streams(1)
        holder.close()
        moved = spare.wait_for_streams(1)
        assert alice.participant_id in moved[0].stream_id
        moderator.close()
    finally:
        first.close()
        second.close()
        server.stop()


def test_captions_translate_only_while_someone_wants_english(
    speech_server: RunningServer, participants: Any
) -> None:
    """A viewer who asks for English (any participant) gets the room's streams restarted with
    translate, and finals carry the worker's English; when the last one who wanted it leaves,
    the streams go back to no translation."""
    worker = ProtocolWorker(worker_url(speech_server), SECRET)
    try:
        slug = speech_server.create_room()
        moderator, _ = join(speech_server, slug, "Mod")
        viewer, _ = join(speech_server, slug, "Viewer")
        alice = participants.join(speech_server.url, slug, "Alice")
        alice.page.wait_for_function(
            "() => window.visio.session.publisher?.connectionState === 'connected'"
        )
        moderator.send(json.dumps({"type": "captions.set", "enabled": True, "language": "fr"}))
        (plain,) = worker.wait_for_streams(1)
        assert plain.translate is False, "nobody asked for English"

        viewer.send(json.dumps({"type": "captions.translation", "id": 7, "enabled": True}))
        assert wait_for(viewer, "captions.translation", reply_to=7)["enabled"] is True
        (english,) = wait_until(
            lambda: [s for s in worker.active_streams() if s.translate],
            timeout=20,
            message=lambda: f"no stream restarted with translate: {worker.active_streams()}",
        )
        assert plain.stopped and alice.participant_id in english.stream_id
        worker.wait_for_streams(1)

        worker.send_caption(english.stream_id, "bonjour", language="fr", translation="hello")
        caption = wait_for(viewer, "caption")
        assert (caption["text"], caption["translation"]) == ("bonjour", "hello")
        assert caption["participant_id"] == alice.participant_id
        worker.send_caption(english.stream_id, "bon", "partial", language="fr", translation="good")
        partial = wait_for(viewer, "caption")
        assert partial["kind"] == "partial" and "translation" not in partial, "finals only"

        viewer.close()
        wait_until(
            lambda: english.stopped and any(not s.translate for s in worker.active_streams()),
            timeout=20,
            message=lambda: f"still translating after the viewer left: {worker.active_streams()}",
        )
        moderator.close()
    finally:
        worker.close()


def test_captions_go_on_without_english_when_the_worker_cannot_translate(
    speech_server: RunningServer, participants: Any
) -> None:
    """A worker that refuses ``translate`` (an English-only model) still captions the speaker:
    a viewer's wish for English never costs the room its captions."""
    worker = ProtocolWorker(
        worker_url(speech_server), SECRET, worker_id="en-only", translates=False
    )
    try:
        slug = speech_server.create_room()
        moderator, _ = join(speech_server, slug, "Mod")
        moderator.send(json.dumps({"type": "captions.translation", "id": 1, "enabled": True}))
        assert wait_for(moderator, "captions.translation", reply_to=1)["enabled"] is True
        alice = participants.join(speech_server.url, slug, "Alice")
        alice.page.wait_for_function(
            "() => window.visio.session.publisher?.connectionState === 'connected'"
        )
        moderator.send(json.dumps({"type": "captions.set", "enabled": True, "language": "fr"}))
        (stream,) = worker.wait_for_streams(1)
        assert worker.refused_translation and stream.translate is False
        worker.send_caption(stream.stream_id, "bonjour", language="fr")
        caption = wait_for(moderator, "caption")
        assert caption["text"] == "bonjour" and "translation" not in caption
        moderator.close()
    finally:
        worker.close()


def test_a_viewer_whose_connection_dropped_gets_the_finals_it_missed(
    speech_server: RunningServer, participants: Any
) -> None:
    """The finals shown while a viewer's socket was down come to it when it resumes (with
    those it had: it keeps what it lacks); someone who joins afresh gets none of what was said
    before they came. Segment ids stay unique when a speaker's stream is restarted."""
    worker = ProtocolWorker(worker_url(speech_server), SECRET)
    try:
        slug = speech_server.create_room()
        moderator, _ = join(speech_server, slug, "Mod")
        viewer, joined = join(speech_server, slug, "Viewer")
        alice = participants.join(speech_server.url, slug, "Alice")
        alice.page.wait_for_function(
            "() => window.visio.session.publisher?.connectionState === 'connected'"
        )
        moderator.send(json.dumps({"type": "captions.set", "enabled": True, "language": "en"}))
        (stream,) = worker.wait_for_streams(1)

        worker.send_caption(stream.stream_id, "before the drop")
        before = wait_for(viewer, "caption", text="before the drop")
        viewer.socket.shutdown(socket.SHUT_RDWR)  # the network went away: no close frame
        wait_for(moderator, "participant.left", participant_id=joined["participant"]["id"])
        worker.send_caption(stream.stream_id, "while you were away")
        wait_for(moderator, "caption", text="while you were away")

        again = connect(f"{speech_server.ws_base}/api/v1/rooms/{slug}/ws").__enter__()
        again.send(
            json.dumps(
                {
                    "type": "join",
                    "version": 1,
                    "name": "Viewer",
                    "audio": False,
                    "video": False,
                    "resume": joined["resume_token"],
                }
            )
        )
        rejoined = wait_for(again, "joined")
        assert rejoined["participant"]["id"] == joined["participant"]["id"]
        replayed = [wait_for(again, "caption")["text"], wait_for(again, "caption")["text"]]
        assert replayed == ["before the drop", "while you were away"]

        newcomer, _ = join(speech_server, slug, "Newcomer")
        worker.send_caption(stream.stream_id, "from now on")
        first = wait_for(newcomer, "caption")
        assert first["text"] == "from now on", "a newcomer gets nothing said before they came"
        # The worker calls every segment "s1"; the room's ids carry the stream's own token.
        assert before["segment_id"].endswith(".s1") and len(before["segment_id"]) > len("s1.")
        for ws in (again, newcomer, moderator):
            ws.close()
    finally:
        worker.close()
