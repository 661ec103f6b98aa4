"""Syncing the directory's groups into Visio: once (``visio directory-sync``), or at start-up
and then periodically in the server, where a failure is logged and never stops the server."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from visio.auth.users import User
from visio.directory.ldap import DirectoryError, read_groups
from visio.directory.people import PeopleDirectory, read_people
from visio.directory.repository import DirectoryRepository
from visio.settings import Settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SyncReport:
    groups: int
    memberships: int


def member_key(settings: Settings, user: User | None) -> str | None:
    """What matches a signed-in person to directory members: their e-mail or uid claim."""
    if user is None:
        return None
    value = user.email if settings.ldap_user_attribute == "mail" else user.uid
    return value.lower() if value else None


class DirectorySync:
    def __init__(
        self,
        settings: Settings,
        repository: DirectoryRepository,
        people: PeopleDirectory | None = None,
    ) -> None:
        self._settings = settings
        self._repository = repository
        self._people = people

    @property
    def configured(self) -> bool:
        return self._settings.ldap_url is not None

    async def run_once(self) -> SyncReport:
        """Read every group and its members, and store them in place of the previous ones.
        Raises :class:`DirectoryError` (stored groups stay as they were)."""
        groups = await asyncio.to_thread(read_groups, self._settings)
        stored = await self._repository.replace(groups)
        if self._people is not None:  # invitee suggestions for the scheduling form
            await self._people.replace(await asyncio.to_thread(read_people, self._settings))
        return SyncReport(*stored)

    async def run_forever(self) -> None:
        """Sync now, then every VISIO_LDAP_SYNC_INTERVAL_MINUTES; failures are logged."""
        while True:
            try:
                report = await self.run_once()
                logger.info(
                    "directory sync: %d groups, %d memberships", report.groups, report.memberships
                )
            except DirectoryError as exc:
                logger.error("directory sync failed: %s", exc)
            except Exception:
                logger.exception("directory sync failed")
            await asyncio.sleep(self._settings.ldap_sync_interval_minutes * 60)
