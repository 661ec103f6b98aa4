"""Someone who lingers on the pre-join screen past the server's join timeout still joins at once.

The web app opens the room socket while the pre-join screen shows; the server closes sockets
that have not joined in time (code 4002, not fatal), and the app reconnects by itself.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import Participants
from tests.support import RunningServer, start_server

JOIN_TIMEOUT_S = 2
COUNT_CLOSES = """
window.socketCloses = [];
const PageWebSocket = window.WebSocket;
window.WebSocket = class extends PageWebSocket {
  constructor(...args) {
    super(...args);
    this.addEventListener('close', (event) => window.socketCloses.push(event.code));
  }
};
"""


@pytest.fixture(scope="module")
def impatient_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    server = start_server(
        tmp_path_factory.mktemp("visio-prejoin-wait"),
        protocol_join_timeout_seconds=str(JOIN_TIMEOUT_S),
    )
    yield server
    server.stop()


def test_prejoin_screen_left_open_past_the_join_timeout_still_joins(
    participants: Participants, impatient_server: RunningServer
) -> None:
    """The early socket is closed and reopened while the person reads; joining then works."""
    server = impatient_server
    slug = server.create_room()
    alice = participants.join(server.url, slug, "Alice")
    person = participants.open(f"{server.url}/{slug}", "Bob", init_script=COUNT_CLOSES)
    page = person.page
    expect(page.get_by_test_id("name-input")).to_be_visible(timeout=30_000)
    # Bob reads the page until the server has closed the early socket (4002) and it reopened.
    page.wait_for_function("() => window.socketCloses.includes(4002)", timeout=60_000)
    page.get_by_test_id("name-input").fill("Bob")
    page.get_by_test_id("join").click()
    page.wait_for_function("() => !!window.visio?.session?.participantId", timeout=20_000)
    alice.wait_for_remote_names({"Bob"})
