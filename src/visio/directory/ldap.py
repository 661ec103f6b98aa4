"""Reading groups and their members from an LDAP directory (ldap3), as plain data.

Groups may be ``groupOfNames`` (members as DNs, resolved to people under the users base) or
``posixGroup`` (members as uids). Each member becomes the lower-cased value of the attribute that
matches a signed-in person (``mail`` or ``uid``, VISIO_LDAP_USER_ATTRIBUTE).
"""

from __future__ import annotations

from dataclasses import dataclass

from ldap3 import SUBTREE, Connection, Server
from ldap3.core.exceptions import LDAPException

from visio.settings import Settings


class DirectoryError(Exception):
    """The directory could not be read; the message says why (and never holds the password)."""


@dataclass(frozen=True)
class DirectoryGroup:
    name: str
    dn: str
    members: frozenset[str]


def _first(entry: dict[str, list[object]], attribute: str) -> str | None:
    values = entry.get(attribute) or []
    return str(values[0]) if values else None


def read_groups(settings: Settings) -> list[DirectoryGroup]:
    """Every group under VISIO_LDAP_GROUPS_BASE, with its members' keys (blocking: run it in a
    thread)."""
    if not settings.ldap_url or not settings.ldap_users_base or not settings.ldap_groups_base:
        raise DirectoryError("no directory is configured (VISIO_LDAP_URL)")
    password = (
        settings.ldap_bind_password.get_secret_value() if settings.ldap_bind_password else None
    )
    key = settings.ldap_user_attribute
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
                result = connection.result or {}
                who = settings.ldap_bind_dn or "anonymous"
                raise DirectoryError(
                    f"could not bind to {settings.ldap_url} as {who}: "
                    f"{result.get('description', 'refused')}; check VISIO_LDAP_BIND_DN and "
                    "VISIO_LDAP_BIND_PASSWORD"
                )
            people = _search(
                connection, settings.ldap_users_base, settings.ldap_users_filter, ["uid", key]
            )
            by_dn = {dn.lower(): _first(attrs, key) for dn, attrs in people}
            by_uid = {
                uid.lower(): _first(attrs, key)
                for _, attrs in people
                if (uid := _first(attrs, "uid")) is not None
            }
            groups = _search(
                connection,
                settings.ldap_groups_base,
                settings.ldap_groups_filter,
                ["cn", "member", "uniqueMember", "memberUid"],
            )
        finally:
            connection.unbind()
    except LDAPException as exc:
        raise DirectoryError(
            f"could not read the directory at {settings.ldap_url}: {exc}"
        ) from None
    found = []
    for dn, attrs in groups:
        name = _first(attrs, "cn")
        if name is None:
            continue
        keys = [
            by_dn.get(str(m).lower())
            for m in [*attrs.get("member", []), *attrs.get("uniqueMember", [])]
        ]
        keys += [by_uid.get(str(uid).lower()) for uid in attrs.get("memberUid", [])]
        found.append(
            DirectoryGroup(name=name, dn=dn, members=frozenset(k.lower() for k in keys if k))
        )
    return found


def _search(
    connection: Connection, base: str, search_filter: str, attributes: list[str]
) -> list[tuple[str, dict[str, list[object]]]]:
    """All entries (paged, so large directories work), as (dn, attributes)."""
    entries = connection.extend.standard.paged_search(
        base, search_filter, SUBTREE, attributes=attributes, paged_size=500, generator=False
    )
    if connection.result and connection.result.get("result", 0) not in (0,):
        raise DirectoryError(
            f"searching {base} with {search_filter} failed: {connection.result.get('description')}"
        )
    return [
        (str(e["dn"]), dict(e.get("attributes", {})))
        for e in entries
        if e.get("type") == "searchResEntry"
    ]
