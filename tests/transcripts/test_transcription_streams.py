"""The transcript on the server side, with real Janus and Chromium and a protocol-level speech
worker: it runs the subtitles' streams even with subtitles off, stores finals (not partials)
under the speaker's name without showing captions to anyone, follows subtitles being turned
on and off, and stops the streams when it stops."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.sync.client import ClientConnection

from tests.captions.conftest import participants, playwright, tones
from tests.captions.protocol_worker import ProtocolWorker
from tests.captions.test_subtitles_server import join, wait_for
from tests.support import RunningServer, start_server, wait_until
from tests.transcripts.conftest import SECRET

__all__ = ["participants", "playwright", "tones"]

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def speech_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    server = start_server(tmp_path_factory.mktemp("visio"), speech_worker_secret=SECRET)
    yield server
    server.stop()


def stored(server: RunningServer, slug: str) -> tuple[str, list[tuple[str, str]]] | None:
    """The room's latest transcript's status and its turns (speaker, text), read from the
    server's database (plain sqlite3: Playwright's sync API holds this thread's event loop)."""
    with contextlib.closing(sqlite3.connect(server.data_dir / "visio.db")) as database:
        found = database.execute(
            "SELECT t.id, t.status FROM transcripts t JOIN rooms r ON r.id = t.room_id "
            "WHERE r.slug = ? ORDER BY t.id DESC LIMIT 1",
            (slug,),
        ).fetchone()
        if found is None:
            return None
        turns = database.execute(
            "SELECT speaker, text FROM transcript_turns WHERE transcript_id = ? "
            "ORDER BY started_at, id",
            (found[0],),
        ).fetchall()
    return str(found[1]), [(str(speaker), str(text)) for speaker, text in turns]


def messages_until_pong(ws: ClientConnection) -> list[dict[str, Any]]:
    """Everything the server sent this socket until it answers a ping sent now."""
    ws.send(json.dumps({"type": "ping", "id": "sync"}))
    seen: list[dict[str, Any]] = []
    while True:
        message: dict[str, Any] = json.loads(ws.recv(timeout=15))
        if message["type"] == "pong" and message.get("reply_to") == "sync":
            return seen
        seen.append(message)


def test_transcript_uses_the_subtitle_streams_and_stores_finals_under_names(
    speech_server: RunningServer, participants: Any
) -> None:
    """Transcript on, subtitles off: both microphones reach the worker; Bob's final is stored
    under his name, his partial is not, and nobody receives a caption. Subtitles on then off
    keep the streams (in the transcript's language); transcript off stops them."""
    worker = ProtocolWorker(f"{speech_server.ws_base}/api/v1/speech/workers/ws", SECRET)
    try:
        slug = speech_server.create_room()
        moderator, _ = join(speech_server, slug, "Mod")
        alice = participants.join(speech_server.url, slug, "Alice")
        bob = participants.join(speech_server.url, slug, "Bob Ørsted 🎤")
        bob.wait_video_flowing(alice.participant_id)
        assert worker.active_streams() == [], "no audio leaves Janus before the transcript"

        moderator.send(json.dumps({"type": "transcription.start", "language": "fr"}))
        assert wait_for(moderator, "transcription.state")["active"] is True
        streams = worker.wait_for_streams(2)
        assert {s.language for s in streams} == {"fr"}
        bob_stream = next(s for s in streams if bob.participant_id in s.stream_id)
        worker.send_caption(bob_stream.stream_id, "on commence", kind="partial", language="fr")
        worker.send_caption(bob_stream.stream_id, "bonjour à tous", language="fr")

        def turns() -> list[tuple[str, str]]:
            found = stored(speech_server, slug)
            return found[1] if found else []

        wait_until(lambda: turns(), timeout=15, message="no turn stored")
        assert turns() == [("Bob Ørsted 🎤", "bonjour à tous")]
        assert not [m for m in messages_until_pong(moderator) if m["type"] == "caption"]

        moderator.send(json.dumps({"type": "captions.set", "enabled": True, "language": "en"}))
        wait_until(
            lambda: (
                {s.language for s in worker.active_streams()} == {"en"}
                and len(worker.active_streams()) == 2
            ),
            timeout=20,
            message=lambda: (
                f"streams: {[(s.stream_id, s.language) for s in worker.active_streams()]}"
            ),
        )
        moderator.send(json.dumps({"type": "captions.set", "enabled": False}))
        wait_until(
            lambda: (
                {s.language for s in worker.active_streams()} == {"fr"}
                and len(worker.active_streams()) == 2
            ),
            timeout=20,
            message=lambda: (
                f"streams: {[(s.stream_id, s.language) for s in worker.active_streams()]}"
            ),
        )

        moderator.send(json.dumps({"type": "transcription.stop"}))
        assert wait_for(moderator, "transcription.state")["active"] is False
        wait_until(
            lambda: not worker.active_streams(),
            timeout=15,
            message=lambda: f"streams not stopped: {worker.active_streams()}",
        )
        # The room says "stopped" at once; the transcript is marked complete once its pending
        # writes are done (under load, a moment later).
        wait_until(
            lambda: (stored(speech_server, slug) or ("",))[0] == "complete",
            timeout=30,
            message=lambda: f"transcript not complete: {stored(speech_server, slug)}",
        )
        moderator.close()
    finally:
        worker.close()
