"""Signing secrets and signatures, as the Standard Webhooks specification describes them.

A secret is ``whsec_`` and 32 random bytes in base64. A message is signed with HMAC-SHA256 of
``{webhook-id}.{webhook-timestamp}.{body}`` under the secret's bytes and sent as
``webhook-signature: v1,<base64>``. Visio keeps the secret so that it can sign; in the database
it is encrypted (AES-256-GCM) under the deployment's webhook key, so a copy of the database
alone signs nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SECRET_PREFIX = "whsec_"  # noqa: S105 - the prefix that marks a secret, not a secret
_SEALED_PREFIX = "v1:"
KEY_FILE = "webhooks.key"


def new_secret() -> str:
    """A fresh signing secret, shown once to whoever registers the endpoint."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header's value for this message."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


class SecretBox:
    """Encrypts signing secrets for the database and decrypts them to sign."""

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("the webhook key must be 32 bytes")
        self._aead = AESGCM(key)

    @classmethod
    def from_setting_or_file(cls, key: str | None, data_dir: Path) -> SecretBox:
        """The key from VISIO_WEBHOOKS_ENCRYPTION_KEY, else from (a new) ``webhooks.key`` in
        the data directory, readable by Visio's user only."""
        if key is not None:
            return cls(base64.urlsafe_b64decode(key.strip() + "=="))
        path = data_dir / KEY_FILE
        if not path.exists():
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as file:
                file.write(secrets.token_urlsafe(32) + "\n")
        return cls(base64.urlsafe_b64decode(path.read_text().strip() + "=="))

    def seal(self, secret: str) -> str:
        nonce = secrets.token_bytes(12)
        sealed = self._aead.encrypt(nonce, secret.encode(), None)
        return _SEALED_PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()

    def open(self, sealed: str) -> str:
        """The secret; ValueError when it was sealed under another key (or tampered with)."""
        raw = base64.urlsafe_b64decode(sealed.removeprefix(_SEALED_PREFIX))
        try:
            return self._aead.decrypt(raw[:12], raw[12:], None).decode()
        except InvalidTag:
            raise ValueError("this secret was encrypted under another webhook key") from None
