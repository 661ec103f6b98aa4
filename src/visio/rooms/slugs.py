"""Room slugs: the readable random code in a meeting link, like ``abc-defg-hij``."""

from __future__ import annotations

import re
import secrets
import string

SLUG_PATTERN = re.compile(r"^[a-z]{3}-[a-z]{4}-[a-z]{3}$")
_LETTERS = string.ascii_lowercase


def new_slug() -> str:
    """A fresh random slug: 26^10 (about 1.4e14) possibilities, from a CSPRNG."""
    parts = ("".join(secrets.choice(_LETTERS) for _ in range(n)) for n in (3, 4, 3))
    return "-".join(parts)


def normalise_slug(text: str) -> str | None:
    """Return the slug written in ``text`` (any case, surrounding spaces), or None if invalid."""
    candidate = text.strip().lower()
    return candidate if SLUG_PATTERN.match(candidate) else None
