"""Run an embedded Janus as a child process and bring it back when it dies."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from pathlib import Path

logger = logging.getLogger(__name__)


class JanusProcess:
    """Starts ``janus`` with a generated configuration and restarts it if it exits."""

    def __init__(self, binary: Path, config_dir: Path) -> None:
        self._binary = binary
        self._config_dir = config_dir
        self._process: asyncio.subprocess.Process | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._output: asyncio.Task[None] | None = None
        self._stopping = False
        self.restarts = 0

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process and self._process.returncode is None else None

    async def start(self) -> None:
        """Start Janus and keep it running until :meth:`stop`."""
        await self._spawn()
        self._supervisor = asyncio.create_task(self._supervise(), name="janus-supervisor")

    async def stop(self) -> None:
        self._stopping = True
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
        await self._terminate()

    async def _spawn(self) -> None:
        self._process = await asyncio.create_subprocess_exec(
            str(self._binary),
            "--config",
            str(self._config_dir / "janus.jcfg"),
            "--configs-folder",
            str(self._config_dir),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        logger.info("Janus started (pid %s)", self._process.pid)
        self._output = asyncio.create_task(self._forward_output(self._process), name="janus-output")

    async def _forward_output(self, process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None
        async for raw in process.stdout:
            line = raw.decode("utf-8", "replace").rstrip()
            if not line:
                continue
            level = logging.WARNING if ("[ERR]" in line or "[WARN]" in line) else logging.DEBUG
            logger.log(level, "janus: %s", line)

    async def _supervise(self) -> None:
        delay = 0.1
        while not self._stopping:
            assert self._process is not None
            started = asyncio.get_running_loop().time()
            code = await self._process.wait()
            if self._stopping:
                return
            logger.error("Janus exited with code %s; restarting it", code)
            if asyncio.get_running_loop().time() - started > 30:
                delay = 0.1
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)
            self.restarts += 1
            await self._spawn()

    async def _terminate(self) -> None:
        process = self._process
        if process is None or process.returncode is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), 5)
        except TimeoutError:
            process.kill()
            await process.wait()
