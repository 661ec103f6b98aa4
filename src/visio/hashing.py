"""How Visio stores a secret it must recognise later (session cookies, tokens, invitation links):
only its SHA-256, so a copy of the database opens nothing."""

from __future__ import annotations

import hashlib


def secret_digest(secret: str) -> str:
    """The hex SHA-256 of a high-entropy secret (random tokens, never passwords)."""
    return hashlib.sha256(secret.encode()).hexdigest()
