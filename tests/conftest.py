from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import RunningServer, start_server


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """One real `visio serve` (with its embedded Janus) shared by a test module."""
    server = start_server(tmp_path_factory.mktemp("visio"))
    yield server
    server.stop()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RunningServer]:
    """A real `visio serve` of this test's own."""
    running = start_server(tmp_path / "visio")
    yield running
    running.stop()
