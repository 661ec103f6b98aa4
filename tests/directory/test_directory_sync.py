"""Syncing groups from a real LDAP directory (slapd) into a real SQLite database."""

from __future__ import annotations

import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.directory.slapd import ADMIN_PASSWORD, GROUPS_BASE, PEOPLE, USERS_BASE, LdapServer
from tests.support import VISIO
from visio.directory import DirectoryError, DirectoryRepository, DirectorySync
from visio.settings import Settings
from visio.storage.database import create_engine, migrate, session_factory


def _settings(ldap: LdapServer, tmp_path: Path, **overrides: str) -> Settings:
    return Settings(data_dir=tmp_path, **(ldap.settings() | overrides))  # type: ignore[arg-type]


@pytest.fixture
async def groups(tmp_path: Path) -> AsyncIterator[DirectoryRepository]:
    """The directory tables of a fresh, migrated SQLite database."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'visio.db'}")
    await migrate(engine)
    yield DirectoryRepository(session_factory(engine))
    await engine.dispose()


async def _sync(
    ldap: LdapServer, tmp_path: Path, groups: DirectoryRepository, **overrides: str
) -> DirectoryRepository:
    report = await DirectorySync(_settings(ldap, tmp_path, **overrides), groups).run_once()
    assert (report.groups, report.memberships) == (3, 5)
    return groups


async def test_directory_sync_reads_groups_and_their_members(
    ldap_server: LdapServer, tmp_path: Path, groups: DirectoryRepository
) -> None:
    """groupOfNames (member DNs) and posixGroup (memberUid) both become memberships by e-mail."""
    await _sync(ldap_server, tmp_path, groups)
    assert await groups.groups_of(PEOPLE["mcurie"]) == {
        "equipe-projet",
        "posix-staff",
    }
    assert await groups.groups_of(PEOPLE["pdupont"].upper()) == {"visio-creators", "equipe-projet"}
    assert await groups.groups_of(PEOPLE["laubrac"]) == frozenset()


async def test_directory_sync_by_uid(
    ldap_server: LdapServer, tmp_path: Path, groups: DirectoryRepository
) -> None:
    """With VISIO_LDAP_USER_ATTRIBUTE=uid, memberships are keyed on the uid claim."""
    await _sync(ldap_server, tmp_path, groups, ldap_user_attribute="uid")
    assert await groups.groups_of("jmoulin") == {"posix-staff"}


async def test_directory_sync_drops_a_member_removed_in_ldap(
    ldap_server: LdapServer, tmp_path: Path, groups: DirectoryRepository
) -> None:
    """Someone taken out of a group in the directory loses that membership at the next sync."""
    await _sync(ldap_server, tmp_path, groups)
    ldap_server.modify(
        f"dn: cn=equipe-projet,{GROUPS_BASE}\nchangetype: modify\n"
        f"delete: member\nmember: uid=mcurie,{USERS_BASE}\n"
    )
    report = await DirectorySync(_settings(ldap_server, tmp_path), groups).run_once()
    assert (report.groups, report.memberships) == (3, 4)
    assert await groups.groups_of(PEOPLE["mcurie"]) == {"posix-staff"}


async def test_directory_sync_bad_credentials_say_so_without_the_password(
    ldap_server: LdapServer,
    tmp_path: Path,
    groups: DirectoryRepository,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A wrong bind password is a clear error naming the settings, never the password."""
    wrong = "Wr0ng-pa55word-xyz"
    sync = DirectorySync(_settings(ldap_server, tmp_path, ldap_bind_password=wrong), groups)
    with pytest.raises(DirectoryError) as refused:
        await sync.run_once()
    assert "invalidCredentials" in str(refused.value)
    assert "VISIO_LDAP_BIND_PASSWORD" in str(refused.value)
    assert wrong not in str(refused.value) and wrong not in caplog.text


def test_directory_sync_command_reports_counts(ldap_server: LdapServer, tmp_path: Path) -> None:
    """`visio directory-sync` runs one sync and says how many groups and memberships it stored."""
    env = {f"VISIO_{k.upper()}": v for k, v in ldap_server.settings().items()}
    done = subprocess.run(
        [str(VISIO), "directory-sync"],
        env={"PATH": "/usr/bin:/bin", "VISIO_DATA_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "directory synced: 3 groups, 5 memberships"
    assert ADMIN_PASSWORD not in done.stdout + done.stderr
