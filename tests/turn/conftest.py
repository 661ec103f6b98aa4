from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.turn.coturn import RunningCoturn, coturn_unavailable, start_coturn


@pytest.fixture(scope="module")
def coturn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCoturn]:
    reason = coturn_unavailable()
    if reason:
        pytest.fail(reason)
    running = start_coturn(tmp_path_factory.mktemp("coturn"))
    yield running
    running.stop()
