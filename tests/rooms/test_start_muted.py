"""People who join a large meeting arrive muted (``VISIO_ROOM_MUTED_ABOVE``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.rooms.people import RoomSocket
from tests.support import RunningServer, start_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(Path(tmp_path_factory.mktemp("visio-muted")), room_muted_above="2")
    yield running
    running.stop()


def test_start_muted_from_the_participant_past_the_threshold(server: RunningServer) -> None:
    """With VISIO_ROOM_MUTED_ABOVE=2 the first two arrive as they wish, the third muted; once
    people left, a newcomer is not."""
    slug = server.create_room()
    sockets = [RoomSocket(server, slug, "") for _ in range(3)]
    try:
        replies = [socket.join(f"Person {n}") for n, socket in enumerate(sockets, 1)]
        assert [reply["start_muted"] for reply in replies] == [False, False, True]
        for leaving in sockets[1:]:
            leaving.close()
            sockets[0].expect("participant.left", participant_id=leaving.id)
        del sockets[1:]
        sockets.append(RoomSocket(server, slug, ""))
        assert sockets[-1].join("Person 4")["start_muted"] is False  # two people once in
    finally:
        for socket in sockets:
            socket.close()
