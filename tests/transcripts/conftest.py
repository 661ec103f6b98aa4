"""A real `visio serve` with a real OIDC provider and a protocol-level speech worker, and a
factory that writes transcript turns into the server's own database."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from tests.captions.protocol_worker import ProtocolWorker
from tests.oidc.provider import TestProvider, visio_with_provider
from tests.rooms.people import Browser
from tests.support import RunningServer
from visio.storage.database import create_engine, session_factory
from visio.transcripts.store import TranscriptStore, Turn

SECRET = "worker-secret-for-tests-0123456789"
ADMIN_EMAIL = "rssi@numerique.gouv.fr"


@pytest.fixture(scope="module")
def oidc_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[RunningServer, TestProvider]]:
    with visio_with_provider(
        tmp_path_factory.mktemp("visio-transcripts"),
        admins=ADMIN_EMAIL,
        speech_worker_secret=SECRET,
    ) as pair:
        yield pair


@pytest.fixture(scope="module")
def server(oidc_server: tuple[RunningServer, TestProvider]) -> RunningServer:
    return oidc_server[0]


@pytest.fixture(scope="module")
def worker(server: RunningServer) -> Iterator[ProtocolWorker]:
    """A speech worker (protocol only): transcripts may start while one is connected."""
    connected = ProtocolWorker(f"{server.ws_base}/api/v1/speech/workers/ws", SECRET)
    yield connected
    connected.close()


@pytest.fixture(scope="module")
def browsers(oidc_server: tuple[RunningServer, TestProvider]) -> Iterator[dict[str, Browser]]:
    """Signed-in browsers: pierre, marie, jean, lucie and the site administrator."""
    server, provider = oidc_server
    opened = {
        user: Browser(server, provider, user) for user in ("pierre", "marie", "jean", "lucie")
    }
    opened["admin"] = Browser(server, provider, "admin")
    yield opened
    for browser in opened.values():
        browser.close()


@pytest.fixture
def guest(oidc_server: tuple[RunningServer, TestProvider]) -> Iterator[Browser]:
    browser = Browser(oidc_server[0], oidc_server[1], None)
    yield browser
    browser.close()


def add_turns(
    server: RunningServer,
    transcript_id: int,
    said: list[tuple[str, str]],
    participants: list[str] | None = None,
) -> None:
    """Write turns (speaker, text) into a transcript of the running server, a second apart
    from its start: a factory for what the speech workers would have said. Each turn is of its
    own participant (``p_1``, ``p_2``...) unless ``participants`` names them."""

    async def write() -> None:
        engine = create_engine(f"sqlite+aiosqlite:///{server.data_dir / 'visio.db'}")
        try:
            store = TranscriptStore(session_factory(engine))
            found = await store.get(transcript_id)
            assert found is not None
            for n, (speaker, words) in enumerate(said, start=1):
                start: datetime = found.started_at + timedelta(seconds=2 * n)
                await store.add_turn(
                    transcript_id,
                    Turn(
                        participants[n - 1] if participants else f"p_{n}",
                        speaker,
                        None,
                        start,
                        start + timedelta(seconds=1),
                        words,
                        "fr",
                    ),
                )
        finally:
            await engine.dispose()

    asyncio.run(write())


def relabel(server: RunningServer, transcript_id: int, labels: dict[int, str]) -> None:
    """Give turns new speaker labels in the running server's database, as the shared-device
    step does after diarization (``TranscriptStore.relabel``)."""

    async def write() -> None:
        engine = create_engine(f"sqlite+aiosqlite:///{server.data_dir / 'visio.db'}")
        try:
            await TranscriptStore(session_factory(engine)).relabel(transcript_id, labels)
        finally:
            await engine.dispose()

    asyncio.run(write())
