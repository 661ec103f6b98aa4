"""Active speaker on the server: Janus's talk detection becomes the room's ``speaking`` messages.

Two people publish from Chromium (one fake microphone reads aloud, the other plays silence); a
third person on a bare WebSocket publishes nothing and reads what the server says.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Playwright, expect
from websockets.sync.client import ClientConnection, connect

from tests.e2e.browser import Participants
from tests.e2e.voices import write_silence, write_speech
from tests.support import RunningServer


@pytest.fixture
def voices(playwright: Playwright, tmp_path: Path) -> Iterator[Participants]:
    crowd = Participants(
        playwright,
        {
            "speaker": write_speech(tmp_path / "speaker.wav"),
            "quiet": write_silence(tmp_path / "quiet.wav"),
        },
    )
    yield crowd
    crowd.close()


def observe(server: RunningServer, slug: str) -> tuple[ClientConnection, dict[str, Any]]:
    """Join without microphone or camera, and never publish: only listen to the room."""
    ws = connect(f"{server.ws_base}/api/v1/rooms/{slug}/ws").__enter__()
    ws.send(
        json.dumps(
            {"type": "join", "version": 1, "name": "Observer", "audio": False, "video": False}
        )
    )
    return ws, next_message(ws, "joined")


HEARD: list[dict[str, Any]] = []
"""Every ``speaking`` message the observers read, for the checks on who was never speaking."""


def next_message(
    ws: ClientConnection, kind: str, timeout: float = 60, **match: Any
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message: dict[str, Any] = json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
        if message["type"] == "speaking":
            HEARD.append(message)
        if message["type"] == kind and all(message.get(k) == v for k, v in match.items()):
            return message
    raise AssertionError(f"no {kind} {match} in {timeout} s")


def speaking_messages(ws: ClientConnection, seconds: float) -> list[dict[str, Any]]:
    """Every ``speaking`` message of the next ``seconds``."""
    seen = []
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            message = json.loads(ws.recv(timeout=left))
        except TimeoutError:
            break
        if message["type"] == "speaking":
            seen.append(message)
    return seen


def test_speaking_follows_the_microphone_janus_hears(
    media_server: RunningServer, voices: Participants
) -> None:
    """The reader is announced speaking, the silent one never; muting ends it at once, and a
    newcomer's ``joined`` lists who speaks now."""
    slug = media_server.create_room()
    ws, _ = observe(media_server, slug)
    speaker = voices.join(media_server.url, slug, "Speaker")
    quiet = voices.join(media_server.url, slug, "Quiet")
    speaker_id, quiet_id = speaker.participant_id, quiet.participant_id

    next_message(ws, "speaking", participant_id=speaker_id, speaking=True)
    late, joined = observe(media_server, slug)
    assert speaker_id in joined["speaking"]
    assert quiet_id not in joined["speaking"]

    speaker.page.get_by_test_id("toggle-mic").click()
    expect(speaker.page.get_by_test_id("toggle-mic")).to_have_attribute("aria-pressed", "false")
    next_message(ws, "speaking", participant_id=speaker_id, speaking=False)
    # Janus still hears the last packets it averaged; the room must not say so while muted.
    muted = speaking_messages(ws, 3)
    assert not [m for m in muted if m["participant_id"] == speaker_id and m["speaking"]]

    speaker.page.get_by_test_id("toggle-mic").click()
    next_message(ws, "speaking", participant_id=speaker_id, speaking=True)
    heard = HEARD + speaking_messages(late, 2)
    assert not [m for m in heard if m["participant_id"] == quiet_id]
    ws.close()
    late.close()
