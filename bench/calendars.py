"""CalDAV round trips against a local Radicale: what writing a meeting and listing "My meetings"
cost, Visio's client side by side with the server's part.

    .venv/bin/python -m bench.calendars [--rounds 30]

It starts Radicale (tests/calendars/radicale.py) in a temporary folder and prints medians and
p90s of: a new event written (PUT If-None-Match), the same event updated (412, GET for the
ETag, PUT If-Match), "My meetings" over 14 days with 1 and with 30 weekly meetings in the
calendar (REPORT, then the expansion in Visio), and the expansion alone (no network).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pydantic import SecretStr
from tests.calendars.events import weekly_meeting
from tests.calendars.radicale import USERS, start_radicale

from visio.calendars import CalDavClient, CalendarAccount, guarded_client
from visio.calendars.ical import occurrences


def _figures(name: str, seconds: list[float]) -> str:
    ordered = sorted(seconds)
    p90 = ordered[int(0.9 * (len(ordered) - 1))]
    return (
        f"{name:<44} median {statistics.median(ordered) * 1000:7.1f} ms   p90 {p90 * 1000:7.1f} ms"
    )


async def _time(rounds: int, action: Callable[[int], Awaitable[object]]) -> list[float]:
    taken = []
    for index in range(rounds):
        began = time.perf_counter()
        await action(index)
        taken.append(time.perf_counter() - began)
    return taken


async def run(rounds: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        radicale = start_radicale(Path(folder))
        try:
            small = CalendarAccount(
                radicale.make_calendar("alice", "one"),
                "alice",
                SecretStr(USERS["alice"]),
                "personal",
            )
            busy = CalendarAccount(
                radicale.make_calendar("alice", "thirty"),
                "alice",
                SecretStr(USERS["alice"]),
                "personal",
            )
            tomorrow = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y%m%d")
            start = datetime.now(UTC)
            end = start + timedelta(days=14)
            async with guarded_client(allow_private=True, timeout=10) as http:
                client = CalDavClient(http)
                for n in range(30):
                    await client.put_event(
                        busy,
                        f"m{n}@bench",
                        weekly_meeting(f"m{n}@bench", first_day=tomorrow, count=10),
                    )
                print(
                    _figures(
                        "write a new event",
                        await _time(
                            rounds,
                            lambda i: client.put_event(
                                small,
                                f"new{i}@bench",
                                weekly_meeting(f"new{i}@bench", first_day=tomorrow),
                            ),
                        ),
                    )
                )
                print(
                    _figures(
                        "update it (412, GET, PUT If-Match)",
                        await _time(
                            rounds,
                            lambda i: client.put_event(
                                small,
                                f"new{i}@bench",
                                weekly_meeting(f"new{i}@bench", first_day=tomorrow, sequence=1),
                            ),
                        ),
                    )
                )
                await asyncio.gather(
                    *(client.delete_event(small, f"new{i}@bench") for i in range(rounds))
                )
                await client.put_event(
                    small, "one@bench", weekly_meeting("one@bench", first_day=tomorrow, count=10)
                )
                print(
                    _figures(
                        "My meetings, 1 weekly meeting (14 days)",
                        await _time(rounds, lambda _: client.upcoming(small, start, end)),
                    )
                )
                print(
                    _figures(
                        "My meetings, 30 weekly meetings (14 days)",
                        await _time(rounds, lambda _: client.upcoming(busy, start, end)),
                    )
                )
            texts = [weekly_meeting(f"m{n}@bench", first_day=tomorrow, count=10) for n in range(30)]

            async def expand(_: int) -> None:
                occurrences(texts, start, end, 500)

            print(_figures("expansion alone, 30 weekly meetings", await _time(rounds, expand)))
        finally:
            radicale.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    asyncio.run(run(parser.parse_args().rounds))


if __name__ == "__main__":
    main()
