"""A throwaway PostgreSQL server for tests: its own cluster in a temporary folder, socket only."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _bin_dir() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not found:
        raise RuntimeError(
            "PostgreSQL is not installed: apt-get install postgresql (scripts/setup --test does)"
        )
    return found[-1].parent


def _as_postgres(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run it as the postgres user then."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


@contextmanager
def throwaway_postgres() -> Iterator[str]:
    """Start a fresh cluster listening on a Unix socket; yield an asyncpg SQLAlchemy URL."""
    bin_dir = _bin_dir()
    folder = Path(tempfile.mkdtemp(prefix="visio-pg-"))
    data, socket_dir = folder / "data", folder / "run"
    socket_dir.mkdir()
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
        shutil.chown(socket_dir, "postgres")
    run = dict(check=True, capture_output=True)
    subprocess.run(
        _as_postgres(
            [str(bin_dir / "initdb"), "-D", str(data), "-U", "visio", "--auth=trust", "-E", "UTF8"]
        ),
        **run,
    )
    subprocess.run(
        _as_postgres(
            [
                str(bin_dir / "pg_ctl"),
                "-D",
                str(data),
                "-w",
                "-l",
                str(folder / "log"),
                "start",
                "-o",
                f"-k {socket_dir} -c listen_addresses='' -c fsync=off",
            ]
        ),
        **run,
    )
    try:
        subprocess.run(
            _as_postgres(
                [str(bin_dir / "createdb"), "-h", str(socket_dir), "-U", "visio", "visio"]
            ),
            **run,
        )
        yield f"postgresql+asyncpg://visio@/visio?host={socket_dir}"
    finally:
        subprocess.run(
            _as_postgres([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            capture_output=True,
        )
        shutil.rmtree(folder, ignore_errors=True)
