"""The organisation's directory (LDAP): its groups, synced so they can be given access to rooms."""

from visio.directory.ldap import DirectoryError, DirectoryGroup
from visio.directory.repository import DirectoryRepository
from visio.directory.sync import DirectorySync, SyncReport, member_key

__all__ = [
    "DirectoryError",
    "DirectoryGroup",
    "DirectoryRepository",
    "DirectorySync",
    "SyncReport",
    "member_key",
]
