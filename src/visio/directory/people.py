"""The directory's people (name and e-mail), synced with the groups, so that the scheduling form
can suggest invitees as the organiser types. All the SQL about them is here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ldap3 import SUBTREE, Connection, Server
from ldap3.core.exceptions import LDAPException
from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from visio.directory.ldap import DirectoryError
from visio.settings import Settings
from visio.storage.models import DirectoryPersonRecord, utcnow
from visio.text import safe_for_output

MAX_PEOPLE = 200_000


@dataclass(frozen=True)
class DirectoryPerson:
    email: str
    name: str


def _first(attributes: dict[str, object], name: str) -> str | None:
    values = attributes.get(name)
    if isinstance(values, list):
        return str(values[0]) if values else None
    return str(values) if values else None


def read_people(settings: Settings) -> list[DirectoryPerson]:
    """Everyone under VISIO_LDAP_USERS_BASE who has a ``mail`` (blocking: run it in a thread)."""
    if not settings.ldap_url or not settings.ldap_users_base:
        raise DirectoryError("no directory is configured (VISIO_LDAP_URL)")
    password = (
        settings.ldap_bind_password.get_secret_value() if settings.ldap_bind_password else None
    )
    try:
        connection = Connection(
            Server(settings.ldap_url, connect_timeout=10),
            user=settings.ldap_bind_dn,
            password=password,
            receive_timeout=30,
            raise_exceptions=False,
        )
        try:
            if not connection.bind():
                raise DirectoryError(
                    f"could not bind to {settings.ldap_url} to read people; check "
                    "VISIO_LDAP_BIND_DN and VISIO_LDAP_BIND_PASSWORD"
                )
            entries = connection.extend.standard.paged_search(
                settings.ldap_users_base,
                settings.ldap_users_filter,
                SUBTREE,
                attributes=["mail", "displayName", "cn"],
                paged_size=500,
                generator=False,
            )
        finally:
            connection.unbind()
    except LDAPException as exc:
        raise DirectoryError(f"could not read people at {settings.ldap_url}: {exc}") from None
    people: dict[str, DirectoryPerson] = {}
    for entry in entries:
        if entry.get("type") != "searchResEntry":
            continue
        attributes = dict(entry.get("attributes", {}))
        mail = _first(attributes, "mail")
        if not mail or len(mail) > 320:
            continue
        name = _first(attributes, "displayName") or _first(attributes, "cn") or ""
        email = safe_for_output(mail.strip().lower(), max_length=320)
        people[email] = DirectoryPerson(email, safe_for_output(name.strip(), max_length=255))
    return list(people.values())[:MAX_PEOPLE]


def _like_prefix(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


class PeopleDirectory:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def replace(self, people: Sequence[DirectoryPerson]) -> int:
        """Make the stored people exactly these (in one transaction)."""
        now = utcnow()
        async with self._sessions() as session, session.begin():
            await session.execute(delete(DirectoryPersonRecord))
            session.add_all(
                DirectoryPersonRecord(email=p.email, name=p.name, synced_at=now) for p in people
            )
        return len(people)

    async def search(self, query: str, limit: int = 10) -> list[DirectoryPerson]:
        """People whose e-mail, name, or a word of their name starts with ``query``."""
        prefix = _like_prefix(query)
        name = func.lower(DirectoryPersonRecord.name)
        async with self._sessions() as session:
            records = await session.scalars(
                select(DirectoryPersonRecord)
                .where(
                    or_(
                        DirectoryPersonRecord.email.like(prefix, escape="\\"),
                        name.like(prefix, escape="\\"),
                        name.like("% " + prefix, escape="\\"),
                    )
                )
                .order_by(DirectoryPersonRecord.name, DirectoryPersonRecord.email)
                .limit(limit)
            )
            return [DirectoryPerson(r.email, r.name) for r in records]
