"""A private, throwaway OpenLDAP server (Debian's slapd) on a loopback port, with a small
directory: people with mail and uid, groups as groupOfNames and as posixGroup."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from tests.support import free_port, stop_process

SUFFIX = "dc=ministere,dc=gouv,dc=fr"
ADMIN_DN = f"cn=admin,{SUFFIX}"
ADMIN_PASSWORD = "s3cret-bind-Pa55word"
USERS_BASE = f"ou=people,{SUFFIX}"
GROUPS_BASE = f"ou=groups,{SUFFIX}"

PEOPLE = {
    "pdupont": "pierre.dupont@interieur.gouv.fr",
    "mcurie": "marie.curie@recherche.gouv.fr",
    "jmoulin": "jean.moulin@culture.gouv.fr",
    "laubrac": "lucie.aubrac@education.gouv.fr",
}


def _person(uid: str, mail: str) -> str:
    return f"""dn: uid={uid},{USERS_BASE}
objectClass: inetOrgPerson
uid: {uid}
cn: {uid}
sn: {uid}
mail: {mail}
"""


DIRECTORY = f"""dn: {SUFFIX}
objectClass: dcObject
objectClass: organization
dc: ministere
o: Ministere

dn: {USERS_BASE}
objectClass: organizationalUnit
ou: people

dn: {GROUPS_BASE}
objectClass: organizationalUnit
ou: groups

{chr(10).join(_person(uid, mail) for uid, mail in PEOPLE.items())}
dn: cn=visio-creators,{GROUPS_BASE}
objectClass: groupOfNames
cn: visio-creators
member: uid=pdupont,{USERS_BASE}

dn: cn=equipe-projet,{GROUPS_BASE}
objectClass: groupOfNames
cn: equipe-projet
member: uid=mcurie,{USERS_BASE}
member: uid=pdupont,{USERS_BASE}

dn: cn=posix-staff,{GROUPS_BASE}
objectClass: posixGroup
cn: posix-staff
gidNumber: 5000
memberUid: jmoulin
memberUid: mcurie
"""

CONFIG = """include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/nis.schema
include /etc/ldap/schema/inetorgperson.schema
pidfile {folder}/slapd.pid
modulepath /usr/lib/ldap
moduleload back_mdb
database mdb
suffix "{suffix}"
rootdn "{admin}"
rootpw {password}
directory {folder}/data
"""


@dataclass
class LdapServer:
    url: str
    process: subprocess.Popen[bytes]

    def settings(self) -> dict[str, str]:
        """Visio's settings (without the prefix) for this directory."""
        return {
            "ldap_url": self.url,
            "ldap_bind_dn": ADMIN_DN,
            "ldap_bind_password": ADMIN_PASSWORD,
            "ldap_users_base": USERS_BASE,
            "ldap_groups_base": GROUPS_BASE,
        }

    def modify(self, ldif: str) -> None:
        """Change the directory (ldapmodify, as its administrator)."""
        subprocess.run(
            ["/usr/bin/ldapmodify", "-x", "-H", self.url, "-D", ADMIN_DN, "-w", ADMIN_PASSWORD],
            input=ldif.encode(),
            check=True,
            capture_output=True,
        )

    def stop(self) -> None:
        stop_process(self.process)


def start_slapd(folder: Path) -> LdapServer:
    """Start slapd with its own config and data in ``folder``, loaded with :data:`DIRECTORY`."""
    slapd = shutil.which("slapd") or "/usr/sbin/slapd"
    (folder / "data").mkdir(parents=True)
    config = folder / "slapd.conf"
    config.write_text(
        CONFIG.format(folder=folder, suffix=SUFFIX, admin=ADMIN_DN, password=ADMIN_PASSWORD)
    )
    (folder / "directory.ldif").write_text(DIRECTORY)
    subprocess.run(
        ["/usr/sbin/slapadd", "-f", str(config), "-l", str(folder / "directory.ldif")],
        check=True,
        capture_output=True,
    )
    port = free_port()
    url = f"ldap://127.0.0.1:{port}/"
    process = subprocess.Popen(
        [slapd, "-f", str(config), "-h", url, "-d", "0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return LdapServer(url.rstrip("/"), process)
        except OSError:
            if process.poll() is not None:
                break
            time.sleep(0.02)
    process.kill()
    raise RuntimeError(f"slapd did not start on {url}")
