"""Two Janus instances under one app server: a meeting is placed on the lighter one, and when its
Janus dies the meeting's media comes back on the other with nobody clicking anything.

How long it takes is printed (kill → video flowing both ways again, sampled every 0.5 s).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.browser import Participants
from tests.media.janus_instances import (
    JanusInstances,
    janus_figures,
    room_instance,
    start_janus_instances,
)
from tests.rooms.test_moderation import Member
from tests.support import RunningServer, start_server, wait_until

TONES = {"Alice": 440.0, "Bob": 660.0}

COUNT_MEDIA_RESETS = """(() => {
  const Native = window.WebSocket;
  window.mediaResets = 0;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (event) => {
        if (typeof event.data === 'string' && event.data.includes('"media.reset"')) {
          window.mediaResets += 1;
        }
      });
    }
  };
})();"""
"""Counts the media.reset messages the page receives (the server's signal to republish)."""


@pytest.fixture
def janus(tmp_path: Path) -> Iterator[JanusInstances]:
    instances = start_janus_instances(tmp_path / "janus", 2)
    yield instances
    instances.stop()


@pytest.fixture
def pooled_server(janus: JanusInstances, tmp_path: Path) -> Iterator[RunningServer]:
    server = start_server(tmp_path / "visio", **janus.server_settings())
    try:
        wait_until(
            lambda: (
                janus_figures(server.metrics(), "visio_janus_up") == dict.fromkeys(janus.urls, 1.0)
            ),
            30,
            lambda: f"not both up: {janus_figures(server.metrics(), 'visio_janus_up')}",
        )
    except BaseException:
        server.stop()
        raise
    yield server
    server.stop()


def test_janus_failover_media_comes_back_on_the_other_janus_with_no_click(
    pooled_server: RunningServer, janus: JanusInstances, participants: Participants
) -> None:
    """Alice and Bob meet on the first Janus; a new room then goes to the other (it forwards no
    stream). The first Janus is SIGKILLed: their room moves, their browsers republish by
    themselves, video and sound flow again, and the people and Bob's raised hand are unchanged."""
    server = pooled_server
    first, second = sorted(janus.urls)
    before = janus_figures(server.metrics(), "visio_janus_rooms")
    slug = server.create_room()
    alice = participants.join(server.url, slug, "Alice", init_script=COUNT_MEDIA_RESETS)
    bob = participants.join(server.url, slug, "Bob", init_script=COUNT_MEDIA_RESETS)
    alice_id, bob_id = alice.participant_id, bob.participant_id
    bob.wait_video_flowing(alice_id)
    alice.wait_video_flowing(bob_id)
    assert room_instance(server.url, before) == first
    streams = wait_until(
        lambda: janus_figures(server.metrics(), "visio_janus_forwarded_streams").get(first, 0) >= 4,
        30,
        lambda: f"streams: {janus_figures(server.metrics(), 'visio_janus_forwarded_streams')}",
    )
    assert streams

    before = janus_figures(server.metrics(), "visio_janus_rooms")
    carol = Member(server, server.create_room(), "Carol")
    assert room_instance(server.url, before) == second, "the lighter Janus takes the new room"

    hand = bob.page.get_by_test_id("toggle-hand")
    hand.click()
    bob_tile = alice.page.locator(
        f'[data-testid="tile"][data-participant-id="{bob_id}"][data-source="camera"]'
    )
    expect(bob_tile).to_have_attribute("data-hand", "up")

    killed_at = time.monotonic()
    janus.by_url(first).kill()
    for person in (alice, bob):  # the old connections are closed: what flows now is new media
        person.page.wait_for_function("() => window.mediaResets >= 1", timeout=30_000)
    bob.wait_video_flowing(alice_id, timeout=30)
    alice.wait_video_flowing(bob_id, timeout=30)
    restored_in = time.monotonic() - killed_at
    print(f"\nJanus SIGKILLed → video flowing both ways on the other Janus: {restored_in:.2f} s")
    alice.wait_audio_tone(bob_id, TONES["Bob"])
    bob.wait_audio_tone(alice_id, TONES["Alice"])

    assert (alice.participant_id, bob.participant_id) == (alice_id, bob_id)
    expect(bob_tile).to_have_attribute("data-hand", "up")
    expect(hand).to_have_attribute("aria-pressed", "true")
    metrics = server.metrics()
    assert janus_figures(metrics, "visio_janus_rooms") == {first: 0.0, second: 2.0}
    assert "visio_janus_room_moves_total 1.0" in metrics
    assert janus_figures(metrics, "visio_janus_up") == {first: 0.0, second: 1.0}
    assert httpx.get(f"{server.url}/readyz", timeout=5).json()["janus_down"] == [first]
    carol.close()
