"""Background tasks: failures are logged, not lost."""

from __future__ import annotations

import asyncio
import logging

import pytest

from visio.tasks import BackgroundTasks


async def test_a_failing_background_task_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    """An exception in fire-and-forget work reaches the log with its owner's name."""

    async def broken() -> None:
        raise KeyError("lost participant")

    logged = asyncio.Event()

    class Signal(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            logged.set()

    tasks = BackgroundTasks("room service")
    signal = Signal(logging.ERROR)
    logging.getLogger("visio.tasks").addHandler(signal)
    try:
        with caplog.at_level(logging.ERROR, logger="visio.tasks"):
            tasks.spawn(broken())
            await asyncio.wait_for(logged.wait(), 10)
    finally:
        logging.getLogger("visio.tasks").removeHandler(signal)
    assert "room service: background task failed" in caplog.text
    assert "lost participant" in caplog.text


async def test_cancel_all_stops_what_is_still_running() -> None:
    """cancel_all cancels the tasks still running."""
    started = asyncio.Event()

    async def forever() -> None:
        started.set()
        await asyncio.sleep(3600)

    tasks = BackgroundTasks("test")
    tasks.spawn(forever())
    await started.wait()
    tasks.cancel_all()
    await asyncio.sleep(0)
    assert not tasks._tasks or all(t.cancelled() or t.cancelling() for t in tasks._tasks)
