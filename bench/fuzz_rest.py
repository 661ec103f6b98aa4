"""Fuzzing the REST API from its own OpenAPI description (schemathesis), at volume, on SQLite and
on PostgreSQL: counts the requests made and the server errors (5xx) among them.

Run inside the media network namespace (as root):

    scripts/in-netns .venv/bin/python -m bench.fuzz_rest [--requests 10000] [--databases sqlite postgresql]

Each run starts its own `visio serve` and test identity provider; requests alternate between a
signed-in person (session cookie and CSRF token) and an anonymous client, valid and invalid
(schemathesis's positive and negative generation). Every 5xx is printed with its request.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, given, settings
from tests.oidc.provider import visio_with_provider
from tests.postgres import throwaway_postgres
from tests.rooms.people import Browser
from tests.support import VISIO, in_media_namespace


@contextlib.contextmanager
def database(kind: str, folder: Path) -> Iterator[dict[str, str]]:
    """Settings for the database: none for SQLite, a migrated throwaway cluster for PostgreSQL."""
    if kind == "sqlite":
        yield {}
        return
    with throwaway_postgres() as url:
        subprocess.run(
            [str(VISIO), "migrate"],
            env={**os.environ, "VISIO_DATABASE_URL": url, "VISIO_DATA_DIR": str(folder)},
            check=True,
            capture_output=True,
            timeout=120,
        )
        yield {"database_url": url}


def fuzz(kind: str, requests: int) -> tuple[int, int, list[str]]:
    """(requests made, 5xx answers, the first failures) against one fresh server."""
    with (
        tempfile.TemporaryDirectory(prefix=f"visio-fuzz-{kind}-") as folder,
        database(kind, Path(folder)) as extra,
        visio_with_provider(Path(folder), **extra) as (server, provider),
        Browser(server, provider, "pierre") as pierre,
    ):
        schema = schemathesis.openapi.from_url(f"{server.url}/api/v1/openapi.json")
        operations = [result.ok() for result in schema.get_all_operations()]
        session_headers = {
            "cookie": pierre.cookie_header(),
            "x-csrf-token": pierre.http.headers["x-csrf-token"],
        }
        made, errors, failures = 0, 0, []
        # Operations with few distinct inputs run out of examples early: passes go on until
        # the count is reached.
        for _ in range(20):
            if made >= requests:
                break
            for operation in operations:
                if made >= requests:
                    break
                valid_or_not = operation.as_strategy() | operation.as_strategy(
                    generation_mode=schemathesis.GenerationMode.NEGATIVE
                )

                @given(case=valid_or_not)
                @settings(
                    max_examples=max(1, math.ceil((requests - made) / len(operations))),
                    deadline=None,
                    suppress_health_check=list(HealthCheck),
                    database=None,
                )
                def exercise(case: schemathesis.Case) -> None:
                    nonlocal made, errors
                    signed_in = made % 2 == 0
                    made += 1
                    response = case.call(
                        base_url=server.url, headers=session_headers if signed_in else None
                    )
                    if response.status_code >= 500:
                        errors += 1
                        failures.append(
                            f"{case.method} {case.formatted_path} ({'signed in' if signed_in else 'anonymous'})"
                            f": {response.status_code} {response.text[:200]}"
                        )

                exercise()
        return made, errors, failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=10_000, help="per database, at least")
    parser.add_argument(
        "--databases", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"]
    )
    args = parser.parse_args()
    if not in_media_namespace():
        raise SystemExit("run inside scripts/in-netns (the server starts its embedded Janus)")
    print(f"{'database':<12} {'requests':>9} {'5xx':>6} {'seconds':>8}")
    for kind in args.databases:
        started = time.monotonic()
        made, errors, failures = fuzz(kind, args.requests)
        print(f"{kind:<12} {made:>9} {errors:>6} {time.monotonic() - started:>8.0f}")
        for failure in failures[:20]:
            print(f"    {failure}")


if __name__ == "__main__":
    main()
