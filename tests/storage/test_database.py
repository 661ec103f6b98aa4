"""Migrations and room storage on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import inspect

from tests.postgres import throwaway_postgres
from tests.support import VISIO, start_server
from visio.rooms.repository import RoomRepository
from visio.storage.database import (
    create_engine,
    current_revision,
    head_revision,
    migrate,
    session_factory,
)


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    with throwaway_postgres() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'visio.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


async def test_database_migrate_creates_schema_and_is_idempotent(database_url: str) -> None:
    """Migrating twice leaves the schema at the latest revision with the rooms table."""
    engine = create_engine(database_url)
    try:
        await migrate(engine)
        await migrate(engine)
        assert await current_revision(engine) == head_revision()
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda c: inspect(c).get_table_names())
        assert "rooms" in tables
    finally:
        await engine.dispose()


async def test_database_rooms_are_stored_and_found(database_url: str) -> None:
    """A created room is found by its slug, and an unknown slug is not."""
    engine = create_engine(database_url)
    try:
        await migrate(engine)
        repository = RoomRepository(session_factory(engine))
        room = await repository.create()
        found = await repository.get(room.slug)
        assert found is not None and found.slug == room.slug
        assert found.created_at.tzinfo is not None or database_url.startswith("sqlite")
        assert await repository.get("zzz-zzzz-zzz") is None
    finally:
        await engine.dispose()


def test_database_rooms_survive_a_server_restart_on_postgresql(
    postgres_url: str, tmp_path: Path
) -> None:
    """With VISIO_DATABASE_URL on PostgreSQL, `visio migrate` then serve; rooms outlive the process."""
    # The test run's environment (PYTHONPATH: this checkout's code), no other setting.
    env = {k: v for k, v in os.environ.items() if not k.startswith("VISIO_")}
    env |= {"VISIO_DATABASE_URL": postgres_url, "VISIO_DATA_DIR": str(tmp_path)}
    migrated = subprocess.run(
        [str(VISIO), "migrate"], env=env, capture_output=True, text=True, check=False
    )
    assert migrated.returncode == 0, migrated.stderr
    assert f"revision {head_revision()}" in migrated.stdout
    first = start_server(tmp_path / "one", database_url=postgres_url)
    try:
        slug = first.create_room()
    finally:
        first.stop()
    second = start_server(tmp_path / "two", database_url=postgres_url)
    try:
        assert httpx.get(f"{second.url}/api/v1/rooms/{slug}").status_code == 200
    finally:
        second.stop()
