"""Meetings on a cluster (tests/cluster/lab): real HAProxy, app servers, Janus, Redis and
PostgreSQL, each node with its own address; real Chromium participants; nodes killed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Playwright, expect, sync_playwright

from tests.cluster.lab.bed import (
    HOST_ADDRESS,
    bed_unavailable_reason,
    start_cluster,
)
from tests.cluster.lab.scenario import (
    CHAT_LINE,
    assert_everyone_sees_everyone,
    carrying_janus,
    join_through_balancer,
    lose_owner_then_janus,
    write_tones,
)
from tests.e2e.browser import Participants
from tests.e2e.test_chat_ui import open_chat, texts

pytestmark = pytest.mark.browser

BOUND_SECONDS = 20.0
"""Media must come back by itself, nobody clicking, within this bound even on a busy 2-core
machine. The goal (5 s) is measured by ``bench/node_loss.py`` (docs/benchmarks.md): on a quiet
machine here this test saw 2.4-4.0 s after the app server's loss and 2.0-3.2 s after the
Janus's; asserting 5 s here would fail whenever the machine is loaded, not when Visio is."""


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    reason = bed_unavailable_reason()
    if reason:
        pytest.fail(reason)
    with sync_playwright() as driver:
        yield driver


@pytest.fixture
def crowd(playwright: Playwright, tmp_path: Path) -> Iterator[Participants]:
    people = Participants(playwright, write_tones(tmp_path / "tones"))
    yield people
    people.close()


@pytest.mark.timeout(600)
def test_two_people_meet_through_haproxy_with_janus_on_its_own_node(
    tmp_path: Path, crowd: Participants
) -> None:
    """One app server and one Janus, each on its own address, behind HAProxy: two browsers see
    and hear each other, their media goes to Janus's node, and the app server knows each
    browser's own address (X-Forwarded-For from HAProxy, trusted)."""
    with start_cluster(tmp_path / "bed", app_servers=1, janus=1) as bed:
        slug = bed.create_room()
        people = [join_through_balancer(crowd, slug, name) for name in ("Alice", "Bob")]
        assert_everyone_sees_everyone(people)
        assert carrying_janus(bed, people) == "janus1"
        assert bed.socket_servers(slug) == ["app1", "app1"]
        log = bed.app("app1").server.log()
        assert f'{HOST_ADDRESS}:0 - "WebSocket /api/v1/rooms/{slug}/ws' in log, log[-3000:]


@pytest.mark.timeout(900)  # three Chromiums and seven servers on two busy cores
def test_meeting_survives_losing_its_app_server_then_its_janus(
    tmp_path: Path, crowd: Participants
) -> None:
    """Three people in one room, their sockets spread over both app servers. The app server
    that owns the room is killed, then the Janus that carries it: each time every browser
    receives everyone's video and audio again without a click (goal 5 s: see BOUND_SECONDS), and the room still
    has its people (by name, no ghost), the raised hand and the chat; someone who joins
    afterwards finds all of it."""
    with start_cluster(tmp_path / "bed", app_servers=2, janus=2) as bed:
        slug = bed.create_room()
        people, app_loss, janus_loss = lose_owner_then_janus(bed, crowd, slug)
        print(f"media back after the app server's loss: {app_loss.seconds}")
        print(f"media back after the Janus's loss: {janus_loss.seconds}")

        late = join_through_balancer(crowd, slug, "Dave")
        late.wait_for_remote_names({person.name for person in people})
        open_chat(late)
        expect(texts(late).filter(has_text=CHAT_LINE)).to_have_count(1)
        expect(
            late.page.locator(
                f'[data-testid="tile"][data-participant-id="{people[0].participant_id}"]'
                '[data-source="camera"]'
            )
        ).to_have_attribute("data-hand", "up")
        assert app_loss.worst <= BOUND_SECONDS, app_loss
        assert janus_loss.worst <= BOUND_SECONDS, janus_loss
