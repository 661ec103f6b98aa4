"""Child processes that Visio runs itself (Janus, speech workers), brought back when they die."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import signal
from collections.abc import Mapping, Sequence

from visio.backoff import Backoff

logger = logging.getLogger(__name__)


class SupervisedProcess:
    """Starts a command and restarts it whenever it exits, until :meth:`stop`."""

    def __init__(
        self, name: str, argv: Sequence[str], env: Mapping[str, str] | None = None
    ) -> None:
        self.name = name
        self._argv = list(argv)
        self._env = dict(env) if env is not None else None
        self._process: asyncio.subprocess.Process | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._output: asyncio.Task[None] | None = None
        self._stopping = False
        self._wake = asyncio.Event()
        self.restarts = 0

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process and self._process.returncode is None else None

    async def start(self) -> None:
        """Start the process and keep it running until :meth:`stop`."""
        await self._spawn()
        self._supervisor = asyncio.create_task(self._supervise(), name=f"{self.name}-supervisor")

    async def stop(self) -> None:
        # The supervisor is not cancelled (a cancel in the middle of spawning would orphan the
        # new child): it is told to stop, woken from its back-off, and let finish.
        self._stopping = True
        self._wake.set()
        await self._terminate()
        if self._supervisor is not None:
            await self._supervisor
        await self._terminate()

    async def _spawn(self) -> None:
        self._process = await asyncio.create_subprocess_exec(
            *self._argv,
            env=self._env,
            # Its own session: a Ctrl-C meant for Visio does not kill the child under it; Visio
            # stops its children itself, and the kernel stops them if Visio dies (below).
            start_new_session=True,
            preexec_fn=_die_with_parent,
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
            level = logging.WARNING if _looks_like_a_problem(line) else logging.DEBUG
            logger.log(level, "%s: %s", self.name, line)

    async def _supervise(self) -> None:
        backoff = Backoff(initial=0.1, maximum=5.0)
        while not self._stopping:
            assert self._process is not None
            started = asyncio.get_running_loop().time()
            code = await self._process.wait()
            if self._stopping:
                return
            logger.error("%s exited with code %s; restarting it", self.name, code)
            if asyncio.get_running_loop().time() - started > 30:
                backoff.reset()  # it ran a good while: this is a new failure, not a crash loop
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), backoff.next_delay())
            if self._stopping:
                return
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


def _looks_like_a_problem(line: str) -> bool:
    return any(mark in line for mark in ("[ERR]", "[WARN]", "ERROR", "WARNING", "Traceback"))


def _die_with_parent() -> None:
    """In the child, before exec: ask Linux to send SIGTERM when the parent (Visio) dies, so a
    crashed Visio never leaves a Janus holding its ports."""
    libc = ctypes.CDLL(None, use_errno=True)
    pr_set_pdeathsig = 1
    libc.prctl(pr_set_pdeathsig, signal.SIGTERM)
