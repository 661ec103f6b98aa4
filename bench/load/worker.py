"""A client process holding a share of the synthetic participants.

One Python process cannot open and read 10,000 sockets quickly on a shared 2-core machine, so
the harness runs several of these. Each one is told over a pipe what to do:

- ``("join", plan, rate, timeout, retries, in_flight)``: join the plan's participants, ``rate``
  new sockets a second but at most ``in_flight`` joins under way at once, each as its own task; ``plan`` is a list of ``(slug, source address, name,
  tagged)``; a failed join is tried again ``retries`` times, a second later (as a browser
  reconnects), each failure reported;
- ``("progress",)``: answer the join results since the last call, each
  ``(started, seconds or None, failure reason or None)``, and how many sockets are open;
- ``("halt",)``: start no more joins (those under way finish);
- ``("arrivals",)``: answer the tagged participants' arrivals since the last call, by id;
- ``("close", tagged)``: close the tagged participants' sockets (or the others'), and answer
  how many;
- ``("stop",)``: close every socket and exit.
"""

from __future__ import annotations

import asyncio
import resource
import threading
import time
from multiprocessing.connection import Connection
from typing import Any

import uvloop

from bench.load.participant import JoinFailed, SyntheticParticipant

JoinResult = tuple[float, float | None, str | None]


def raise_descriptor_limit() -> int:
    """Soft open-file limit up to the hard one: each socket is a descriptor."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def run(conn: Connection, ws_base: str, compression: bool) -> None:
    """The process's entry point."""
    raise_descriptor_limit()
    uvloop.run(_Worker(conn, ws_base, compression).serve())


class _Worker:
    def __init__(self, conn: Connection, ws_base: str, compression: bool) -> None:
        self._conn = conn
        self._ws_base = ws_base
        self._compression: Any = "deflate" if compression else None
        self._participants: list[SyntheticParticipant] = []
        self._results: list[JoinResult] = []
        self._halted = False
        self._tasks: set[asyncio.Task[None]] = set()

    async def serve(self) -> None:
        loop = asyncio.get_running_loop()
        commands: asyncio.Queue[tuple[Any, ...]] = asyncio.Queue()

        def read_commands() -> None:
            # Blocking reads in a thread: a large plan does not fit the pipe's buffer at once,
            # and the event loop would make the descriptor non-blocking.
            while True:
                try:
                    command = self._conn.recv()
                except EOFError:
                    command = ("stop",)
                loop.call_soon_threadsafe(commands.put_nowait, command)
                if command[0] == "stop":
                    return

        threading.Thread(target=read_commands, daemon=True).start()
        while True:
            command = await commands.get()
            match command[0]:
                case "join":
                    _, plan, rate, timeout, retries, in_flight = command
                    self._halted = False
                    self._spawn(self._ramp(plan, rate, timeout, retries, in_flight))
                case "progress":
                    results, self._results = self._results, []
                    held = sum(1 for p in self._participants if p.open)
                    self._conn.send((results, held))
                case "halt":
                    self._halted = True
                    self._conn.send("halted")
                case "arrivals":
                    self._conn.send(
                        {p.id: p.take_arrivals() for p in self._participants if p.tagged}
                    )
                case "close":
                    leaving = [p for p in self._participants if p.tagged == command[1]]
                    self._participants = [p for p in self._participants if p not in leaving]
                    await asyncio.gather(*(p.close() for p in leaving))
                    self._conn.send(len(leaving))
                case "stop":
                    self._halted = True
                    await asyncio.gather(*(p.close() for p in self._participants))
                    self._conn.send("stopped")
                    return

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _ramp(
        self,
        plan: list[tuple[str, str, str, bool]],
        rate: float,
        timeout: float,
        retries: int,
        most_in_flight: int,
    ) -> None:
        started = time.monotonic()
        in_flight = asyncio.Semaphore(most_in_flight)
        for index, (slug, source, name, tagged) in enumerate(plan):
            delay = started + index / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            if self._halted:
                return
            await in_flight.acquire()
            self._spawn(self._join((slug, source, name, tagged), timeout, retries, in_flight))

    async def _join(
        self,
        who: tuple[str, str, str, bool],
        timeout: float,
        retries: int,
        in_flight: asyncio.Semaphore,
    ) -> None:
        slug, source, name, tagged = who
        try:
            for attempt in range(retries + 1):
                if attempt:
                    await asyncio.sleep(1)
                participant = SyntheticParticipant(
                    self._ws_base, slug, source, name, tagged=tagged, compression=self._compression
                )
                started = time.monotonic()
                try:
                    seconds = await participant.join(timeout)
                except JoinFailed as failure:
                    self._results.append((started, None, failure.reason))
                except Exception as exc:  # counted, never lost: the figures must add up
                    await participant.close()
                    self._results.append((started, None, f"bug {type(exc).__name__}: {exc}"))
                else:
                    self._participants.append(participant)
                    self._results.append((started, seconds, None))
                    return
        finally:
            in_flight.release()
