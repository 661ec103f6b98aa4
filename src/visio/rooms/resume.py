"""Resume tokens: a participant whose socket dropped comes back as themselves.

On ``joined`` (and every third of its lifetime while connected) the server gives the participant
an opaque token: an HMAC-SHA256, under a secret every app server of a cluster shares, over the
room's slug, the participant's id, a digest of who they are (their user id or guest cookie),
when it was issued and when it expires. A client that reconnects sends it with ``join``; the
server checks it and lets them in with the same id, replacing the ghost of their old socket if
the server had not noticed it close.

A token proves only *who* is coming back, never what they may do: their role comes from the
database (owners, administrators) or from the room's **role memory** (promoted moderators,
join time, raised hand), a record the room's owner keeps while the person is there and for a
few minutes after. Without a record there is nothing to resume: someone who left on purpose,
was removed, or whose meeting ended joins as anyone would. The memory lives in the app
process on one machine, and in a Redis hash ``visio:room:<slug>:roles`` with several app
servers, so a room rebuilt on another server after its owner died restores its moderators.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import logging
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, Literal, Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from visio.cluster.redis import UNAVAILABLE, key
from visio.settings import Settings, decode_resume_secret

logger = logging.getLogger(__name__)

KEY_FILE = "resume.key"
TOKEN_PREFIX: Final = "r1."  # noqa: S105 - the format version, not a secret
MAX_TOKEN_LENGTH: Final = 512
"""Longer than any token this server mints (about 200 characters); the protocol refuses more."""
CLOCK_SKEW_SECONDS: Final = 60
"""A token issued this far in the future still counts (app servers' clocks differ a little)."""

Outcome = Literal[
    "resumed", "invalid", "expired", "other_room", "other_person", "unknown", "removed"
]
"""How a presented token was received (``visio_resumes_total``): ``resumed``, or why not."""


def load_key(setting: str | None, data_dir: Path) -> bytes:
    """The secret from VISIO_RESUME_SECRET, else from (a new) ``resume.key`` in the data
    directory, readable by Visio's user only: one machine needs no configuration."""
    if setting is not None:
        return decode_resume_secret(setting)
    path = data_dir / KEY_FILE
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):  # two processes starting at once
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as file:
                file.write(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode() + "\n")
    return decode_resume_secret(path.read_text())


def person_digest(visitor_key: str | None) -> str:
    """Who a token belongs to, without naming them (the token is readable by its holder)."""
    return hashlib.sha256((visitor_key or "-").encode()).hexdigest()[:22]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Claim:
    """What a valid token says."""

    slug: str
    participant_id: str
    issued_at: int
    expires_at: int


class ResumeTokens:
    """Mints and checks resume tokens (HMAC-SHA256 under the cluster's shared secret)."""

    def __init__(
        self, key: bytes, ttl_seconds: int, clock: Callable[[], float] = time.time
    ) -> None:
        self._key = key
        self.ttl_seconds = ttl_seconds
        self._clock = clock

    def mint(self, slug: str, participant_id: str, visitor_key: str | None) -> str:
        now = int(self._clock())
        claims = {
            "s": slug,
            "p": participant_id,
            "v": person_digest(visitor_key),
            "i": now,
            "e": now + self.ttl_seconds,
        }
        body = TOKEN_PREFIX + _b64(json.dumps(claims, separators=(",", ":")).encode())
        return body + "." + _b64(self._sign(body))

    def check(self, token: str, slug: str, visitor_key: str | None) -> Claim | Outcome:
        """The token's claim, or why it does not let this person back into this room."""
        if len(token) > MAX_TOKEN_LENGTH or not token.startswith(TOKEN_PREFIX):
            return "invalid"
        body, _, signature = token.rpartition(".")
        try:
            valid = hmac.compare_digest(_unb64(signature), self._sign(body))
            claims: Any = json.loads(_unb64(body.removeprefix(TOKEN_PREFIX))) if valid else None
        except ValueError:  # bad base64 (binascii.Error) or JSON
            return "invalid"
        if not isinstance(claims, dict):
            return "invalid"
        fields = (claims.get(name) for name in "spvie")
        room, participant_id, person, issued_at, expires_at = fields
        if not (
            isinstance(room, str)
            and isinstance(participant_id, str)
            and isinstance(person, str)
            and type(issued_at) is int
            and type(expires_at) is int
        ):
            return "invalid"
        now = self._clock()
        if expires_at <= now or issued_at > now + CLOCK_SKEW_SECONDS:
            return "expired"
        if room != slug:
            return "other_room"
        if not hmac.compare_digest(person, person_digest(visitor_key)):
            return "other_person"
        return Claim(room, participant_id, issued_at, expires_at)

    def _sign(self, body: str) -> bytes:
        return hmac.new(self._key, body.encode(), hashlib.sha256).digest()


# ---- the role memory --------------------------------------------------------------------------


@dataclass(frozen=True)
class Record:
    """What a room remembers of someone who may come back: when they first joined (the interim
    rule follows it), whether a moderator promoted them, their raised hand; or that a moderator
    removed them (then nothing else counts)."""

    joined_at: datetime
    promoted: bool = False
    hand_raised_at: datetime | None = None
    removed: bool = False

    def dumps(self) -> str:
        return json.dumps(
            {
                "joined_at": self.joined_at.isoformat(),
                "promoted": self.promoted,
                "hand_raised_at": self.hand_raised_at.isoformat() if self.hand_raised_at else None,
                "removed": self.removed,
            },
            separators=(",", ":"),
        )

    @classmethod
    def loads(cls, text: str | bytes) -> Record | None:
        """A stored record, or None when it is not one (logged: someone else wrote it)."""
        try:
            data = json.loads(text)
            hand = data["hand_raised_at"]
            return cls(
                joined_at=_utc(datetime.fromisoformat(data["joined_at"])),
                promoted=bool(data["promoted"]),
                hand_raised_at=_utc(datetime.fromisoformat(hand)) if hand else None,
                removed=bool(data["removed"]),
            )
        except (ValueError, TypeError, KeyError):
            logger.warning("a role memory record could not be read; ignored")
            return None


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class RoleMemory(Protocol):
    """Who was in a room lately and how they stood. Writes never wait and never fail the
    meeting (a store that is down loses records, not participants)."""

    def remember(self, slug: str, participant_id: str, record: Record) -> None: ...

    def forget(self, slug: str, participant_id: str) -> None: ...

    def forget_room(self, slug: str) -> None:
        """The meeting ended (its last participant left): nobody resumes into it."""

    async def recall(self, slug: str, participant_id: str) -> Record | None: ...

    async def close(self) -> None: ...


class LocalRoleMemory:
    """One machine: records in this process, each kept ``ttl_seconds`` after its last write."""

    def __init__(self, ttl_seconds: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl_seconds
        self._clock = clock
        self._rooms: dict[str, dict[str, tuple[Record, float]]] = {}

    def remember(self, slug: str, participant_id: str, record: Record) -> None:
        self._rooms.setdefault(slug, {})[participant_id] = (record, self._clock() + self._ttl)

    def forget(self, slug: str, participant_id: str) -> None:
        self._rooms.get(slug, {}).pop(participant_id, None)

    def forget_room(self, slug: str) -> None:
        self._rooms.pop(slug, None)

    async def recall(self, slug: str, participant_id: str) -> Record | None:
        room = self._rooms.get(slug, {})
        now = self._clock()
        for gone in [pid for pid, (_, until) in room.items() if until <= now]:
            del room[gone]
        kept = room.get(participant_id)
        return kept[0] if kept else None

    async def close(self) -> None:
        self._rooms.clear()


def roles_key(slug: str) -> str:
    return key("room", slug, "roles")


class RedisRoleMemory:
    """Several app servers: a hash ``visio:room:<slug>:roles`` (participant id → record),
    expiring ``ttl_seconds`` after its last write. Writes are queued and sent by one task, the
    latest value of each field winning, so a burst of changes costs one round trip."""

    def __init__(self, redis: Redis, ttl_seconds: int, *, owns_client: bool = False) -> None:
        self._redis = redis
        self._ttl = ttl_seconds
        self._owns_client = owns_client
        self._pending: dict[str, dict[str, str | None]] = {}
        """slug → participant id → record to write (None: delete the field)."""
        self._dropped_rooms: set[str] = set()
        self._wake = asyncio.Event()
        self._writer: asyncio.Task[None] | None = None
        self._failing = False

    def remember(self, slug: str, participant_id: str, record: Record) -> None:
        self._queue(slug, participant_id, record.dumps())

    def forget(self, slug: str, participant_id: str) -> None:
        self._queue(slug, participant_id, None)

    def forget_room(self, slug: str) -> None:
        self._pending.pop(slug, None)
        self._dropped_rooms.add(slug)
        self._start()

    async def recall(self, slug: str, participant_id: str) -> Record | None:
        pending = self._pending.get(slug, {})
        if participant_id in pending:
            value = pending[participant_id]
            return None if value is None else Record.loads(value)
        try:
            stored = await self._redis.hget(roles_key(slug), participant_id)
        except (*UNAVAILABLE, RedisError) as exc:
            logger.warning("room %s: role memory unreadable (Redis: %s)", slug, type(exc).__name__)
            return None
        return None if stored is None else Record.loads(stored)

    async def flush(self) -> None:
        """Send what is queued now (the writer does this by itself; tests wait on it)."""
        rooms, self._pending = self._pending, {}
        dropped, self._dropped_rooms = self._dropped_rooms, set()
        if not rooms and not dropped:
            return
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for slug in dropped - rooms.keys():
                    pipe.delete(roles_key(slug))
                for slug, fields in rooms.items():
                    name = roles_key(slug)
                    if slug in dropped:
                        pipe.delete(name)
                    written: dict[Any, Any] = {
                        pid: value for pid, value in fields.items() if value is not None
                    }
                    removed = [pid for pid, value in fields.items() if value is None]
                    if written:
                        pipe.hset(name, mapping=written)
                    if removed:
                        pipe.hdel(name, *removed)
                    pipe.expire(name, self._ttl)
                await pipe.execute()
        except (*UNAVAILABLE, RedisError) as exc:
            if not self._failing:
                logger.warning(
                    "role memory not written (Redis: %s); participants who drop now come back "
                    "as newcomers",
                    type(exc).__name__,
                )
            self._failing = True
            return
        if self._failing:
            logger.info("role memory written again")
        self._failing = False

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer
            self._writer = None
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.flush(), 2)
        if self._owns_client:
            await self._redis.aclose()

    def _queue(self, slug: str, participant_id: str, value: str | None) -> None:
        self._pending.setdefault(slug, {})[participant_id] = value
        self._start()

    def _start(self) -> None:
        self._wake.set()
        if self._writer is None or self._writer.done():
            self._writer = asyncio.get_running_loop().create_task(
                self._write_loop(), name="role-memory-writer"
            )

    async def _write_loop(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            await self.flush()


# ---- the whole -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Comeback:
    """Someone a valid token brings back, and what the room remembers of them."""

    participant_id: str
    record: Record


class Resumption:
    """Tokens, the role memory, and the count of how presented tokens were received."""

    def __init__(
        self,
        tokens: ResumeTokens,
        memory: RoleMemory,
        on_outcome: Callable[[Outcome], None] | None = None,
    ) -> None:
        self.tokens = tokens
        self.memory = memory
        self._on_outcome = on_outcome

    @property
    def refresh_seconds(self) -> float:
        """How often a connected participant gets a fresh token (and their record rewritten)."""
        return self.tokens.ttl_seconds / 3

    def counted(self, outcome: Outcome) -> None:
        if self._on_outcome is not None:
            self._on_outcome(outcome)


def resumption_for(
    settings: Settings,
    redis: Redis | None,
    on_outcome: Callable[[Outcome], None] | None = None,
) -> Resumption:
    """Resume tokens as configured: the shared secret (or the data directory's key file), and
    the role memory in ``redis`` (the server's one client, when ``VISIO_REDIS_URL`` is set),
    else in this process."""
    secret = settings.resume_secret.get_secret_value() if settings.resume_secret else None
    tokens = ResumeTokens(
        load_key(secret, settings.data_dir.resolve()), settings.resume_ttl_seconds
    )
    memory: RoleMemory = (
        RedisRoleMemory(redis, settings.resume_ttl_seconds)
        if redis is not None
        else LocalRoleMemory(settings.resume_ttl_seconds)
    )
    return Resumption(tokens, memory, on_outcome)
