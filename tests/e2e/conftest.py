"""Browser tests: real Janus, real headless Chromium with fake camera and microphone.

They must run inside scripts/in-netns (Janus cannot use loopback for ICE, and media tests must not
touch the machine's real network); `./scripts/test` does that.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Playwright, expect, sync_playwright

from tests.e2e.browser import Participants, write_tone
from tests.e2e.network_cut import unavailable_reason
from tests.e2e.network_profile import NetworkProfile
from tests.redis_server import start_redis
from tests.support import RunningServer, in_media_namespace, start_server, wait_until
from tests.turn.coturn import RunningCoturn, coturn_unavailable, start_coturn

pytestmark = pytest.mark.browser

# Playwright's default of 5 s for expect() fails tests on a busy machine, not slow features.
# Timing is measured in bench/, never asserted here.
expect.set_options(timeout=30_000)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    # Module scope: Playwright's sync API keeps an event loop running while it is open, which
    # would stop the asyncio tests of later modules from running theirs.
    if not in_media_namespace():
        pytest.fail(
            "browser tests need the private network namespace: run them through "
            "./scripts/test or scripts/in-netns .venv/bin/pytest"
        )
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def tones(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A distinct tone for each participant's fake microphone, so we hear who is who."""
    folder = tmp_path_factory.mktemp("tones")
    return {
        name: write_tone(folder / f"{name}.wav", freq)
        for name, freq in (("alice", 440.0), ("bob", 660.0), ("carol", 990.0))
    }


@pytest.fixture(scope="module")
def media_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    server = start_server(tmp_path_factory.mktemp("visio-e2e"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def captioning_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """`visio serve` with one embedded speech worker (the packaged Whisper models)."""
    # DEBUG: the speech worker's own INFO lines (a summary of each stream's RTP and of the
    # audio it could not caption) reach the server log, for a failing test to show.
    server = start_server(
        tmp_path_factory.mktemp("visio"), speech_embedded_workers="1", log_level="DEBUG"
    )
    try:
        wait_until(
            lambda: re.search(r"^visio_speech_workers 1", server.metrics(), re.MULTILINE),
            timeout=120,
            message=lambda: f"the embedded speech worker never connected:\n{server.log()[-3000:]}",
        )
    except BaseException:
        server.stop()
        raise
    yield server
    server.stop()


@pytest.fixture(scope="module")
def coturn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCoturn]:
    """Visio's coturn for the locked-down network tests, publishing its usage on a Redis of its
    own (VISIO_TURN_STATS_REDIS_URL, for the server's /metrics)."""
    reason = coturn_unavailable()
    if reason:
        pytest.fail(reason)
    redis = start_redis(tmp_path_factory.mktemp("turn-stats-redis"))
    running = start_coturn(tmp_path_factory.mktemp("coturn"), stats_redis_url=redis.url)
    yield running
    running.stop()
    redis.stop()


@pytest.fixture(scope="module")
def turn_server(
    tmp_path_factory: pytest.TempPathFactory, coturn: RunningCoturn
) -> Iterator[RunningServer]:
    """`visio serve` that gives browsers that coturn's TURN URLs."""
    server = start_server(tmp_path_factory.mktemp("visio-turn"), **coturn.settings)
    yield server
    server.stop()


@pytest.fixture
def profile(tmp_path: Path) -> Iterator[NetworkProfile]:
    """A cgroup for the test's browsers whose network nftables can lock down."""
    reason = unavailable_reason()
    if reason:
        pytest.fail(reason)
    with NetworkProfile(tmp_path) as network:
        yield network


@pytest.fixture
def participants(
    playwright: Playwright, tones: dict[str, Path], request: pytest.FixtureRequest
) -> Iterator[Participants]:
    crowd = Participants(playwright, tones)
    yield crowd
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        crowd.screenshot_all(Path("test-artifacts") / request.node.name)
    crowd.close()


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    setattr(item, f"rep_{report.when}", report)
