"""Short-lived TURN credentials by the TURN REST API scheme (coturn's ``use-auth-secret``).

A participant's browser gets ``username = "<expiry unix time>:<participant id>"`` and
``credential = base64(HMAC-SHA1(secret, username))``; coturn recomputes the credential from its
``static-auth-secret`` and refuses a forged one, or one whose expiry has passed. Nothing a browser
holds lets it make another credential or stretch its own.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from visio.settings import Settings

REFRESH_AT = 0.75
"""Browsers ask for a fresh credential once this share of its lifetime has passed."""


@dataclass(frozen=True)
class TurnCredential:
    username: str
    credential: str
    expires_at: int
    """Unix time after which coturn refuses new relays with it."""


def sign(secret: str, username: str) -> str:
    """The password coturn expects for ``username``: base64(HMAC-SHA1(secret, username))."""
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def mint(secret: str, user: str, ttl_seconds: int, now: float) -> TurnCredential:
    """A credential for ``user`` (a participant id, or a random id) valid ``ttl_seconds``."""
    expires_at = int(now) + ttl_seconds
    username = f"{expires_at}:{user}"
    return TurnCredential(username, sign(secret, username), expires_at)


@dataclass(frozen=True)
class IceServerSet:
    """What a browser puts in ``RTCConfiguration.iceServers``, and when to ask again."""

    servers: list[dict[str, Any]]
    refresh_seconds: int | None
    """Ask for a fresh set after this many seconds (None: nothing in it expires)."""
    expires_at: int | None = None
    """When its TURN credential expires (None without TURN)."""


class TurnCredentials:
    """Mints each participant's ICE servers: the static STUN servers plus, when Visio runs a TURN
    server, its URLs with a credential of their own."""

    def __init__(
        self,
        settings: Settings,
        on_minted: Callable[[], None] = lambda: None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._static = [s.model_dump(exclude_none=True) for s in settings.ice_servers]
        self._urls = list(settings.turn_urls)
        self._secret = settings.turn_secret.get_secret_value() if settings.turn_secret else None
        self._ttl = settings.turn_credential_ttl_seconds
        self._on_minted = on_minted
        self._clock = clock

    @property
    def enabled(self) -> bool:
        return bool(self._urls) and self._secret is not None

    def for_participant(self, participant_id: str, current_expiry: int | None) -> IceServerSet:
        """The ICE servers for a participant whose last credential expires at
        ``current_expiry``: that same credential while more than a quarter of its life is left
        (asking again and again mints nothing new), a fresh one otherwise."""
        if not self.enabled:
            return IceServerSet(list(self._static), None)
        assert self._secret is not None
        now = self._clock()
        if current_expiry is not None and current_expiry - now > self._ttl * (1 - REFRESH_AT):
            username = f"{current_expiry}:{participant_id}"
            credential = TurnCredential(username, sign(self._secret, username), current_expiry)
        else:
            credential = mint(self._secret, participant_id, self._ttl, now)
            self._on_minted()
        turn = {
            "urls": list(self._urls),
            "username": credential.username,
            "credential": credential.credential,
        }
        remaining = credential.expires_at - now
        refresh = max(30, int(remaining - self._ttl * (1 - REFRESH_AT)))
        return IceServerSet([*self._static, turn], refresh, credential.expires_at)
