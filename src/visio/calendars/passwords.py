"""The app passwords people give for their own calendar, encrypted at rest.

Fernet (AES-128-CBC with HMAC-SHA256, from ``cryptography``) with the operator's
VISIO_CALDAV_ENCRYPTION_KEY: the database holds only the sealed token, so a copy of the database
alone does not give anyone the password. Several comma-separated keys may be given to rotate:
the first seals, all of them open.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class SealedPasswordError(Exception):
    """A stored password that none of the configured keys opens (the key was changed)."""


def parse_keys(text: str) -> MultiFernet:
    """The Fernet keys in ``text`` (comma-separated); raise ValueError saying what is wrong."""
    keys = [key.strip() for key in text.split(",") if key.strip()]
    if not keys:
        raise ValueError("no key given")
    fernets = []
    for index, key in enumerate(keys):
        try:
            fernets.append(Fernet(key))
        except ValueError:
            raise ValueError(
                f"key {index + 1} is not a Fernet key (32 bytes in URL-safe base64; make one "
                'with python -c "from cryptography.fernet import Fernet; '
                'print(Fernet.generate_key().decode())")'
            ) from None
    return MultiFernet(fernets)


class PasswordSeal:
    """Seals passwords for storage and opens them again."""

    def __init__(self, keys: str) -> None:
        self._fernet = parse_keys(keys)

    def seal(self, password: str) -> str:
        return self._fernet.encrypt(password.encode("utf-8")).decode("ascii")

    def open(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError):
            raise SealedPasswordError(
                "the stored calendar password cannot be decrypted with VISIO_CALDAV_ENCRYPTION_KEY"
            ) from None
