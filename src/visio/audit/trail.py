"""Recording, querying and purging security-relevant events (append-only)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from visio.ratelimit import KeyedRateLimiter
from visio.storage.models import AuditEventRecord, utcnow
from visio.text import safe_for_output

logger = logging.getLogger("visio.audit")

Outcome = Literal["success", "failure"]


@dataclass(frozen=True)
class Origin:
    """Where a request came from: the client's address and browser."""

    ip: str | None = None
    user_agent: str | None = None


class AuditEvent(BaseModel):
    """One recorded event, as administrators read and export it."""

    id: int
    occurred_at: datetime
    event: str
    outcome: Outcome
    actor_user_id: int | None
    actor: str | None
    provider: str | None
    target: str | None
    ip: str | None
    user_agent: str | None
    details: dict[str, Any]

    @classmethod
    def of(cls, record: AuditEventRecord) -> AuditEvent:
        return cls.model_validate(record, from_attributes=True)


MAX_DETAIL_CHARS = 500


def _text(value: str | None, limit: int) -> str | None:
    """Client text as the trail stores it: printable (no NUL, no lone surrogate) and within
    its column's size, whatever the database."""
    if value is None:
        return None
    return safe_for_output(value, max_length=limit)


def _bounded(value: Any) -> Any:
    if isinstance(value, str):
        return safe_for_output(value, max_length=MAX_DETAIL_CHARS)
    if isinstance(value, list):
        return [_bounded(item) for item in value[:50]]
    if isinstance(value, dict):
        return {str(k)[:64]: _bounded(v) for k, v in list(value.items())[:50]}
    return value


class AuditTrail:
    """Appends events and reads them back. Nothing here changes or deletes one event."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Callable[[], datetime] = utcnow,
        refusals_per_minute: int = 30,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._refusals = KeyedRateLimiter(refusals_per_minute)

    async def record_refusal(self, event: str, origin: Origin, **fields: Any) -> AuditEvent | None:
        """Record a refused request (a bad token, a failed sign-in) unless its client address
        has had ``refusals_per_minute`` recorded in the last minute: a flood of bad requests
        cannot flood the trail. Returns the event, or None when it was not recorded."""
        if not self._refusals.allow(origin.ip or "unknown"):
            return None
        return await self.record(event, "failure", origin, **fields)

    async def record(
        self,
        event: str,
        outcome: Outcome,
        origin: Origin | None = None,
        *,
        actor_user_id: int | None = None,
        actor: str | None = None,
        provider: str | None = None,
        target: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> AuditEvent:
        """Append one event. ``details`` must hold no secret (no token, no code)."""
        origin = origin or Origin()
        details = {key: _bounded(value) for key, value in (details or {}).items()}
        record = AuditEventRecord(
            occurred_at=self._clock(),
            event=event,
            outcome=outcome,
            actor_user_id=actor_user_id,
            actor=_text(actor, 320),
            provider=_text(provider, 32),
            target=_text(target, 255),
            ip=_text(origin.ip, 64),
            user_agent=_text(origin.user_agent, 512) or None,
            details=details,
        )
        async with self._sessions() as session, session.begin():
            session.add(record)
        logger.info(
            "audit %s %s actor=%s provider=%s target=%s ip=%s details=%s",
            event,
            outcome,
            record.actor,
            record.provider,
            record.target,
            record.ip,
            details,
        )
        return AuditEvent.of(record)

    async def query(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        event: str | None = None,
        actor_user_id: int | None = None,
        after_id: int = 0,
        limit: int = 100,
    ) -> list[AuditEvent]:
        """Events in the order they happened, filtered, at most ``limit`` of them."""
        statement = select(AuditEventRecord).where(AuditEventRecord.id > after_id)
        if since is not None:
            statement = statement.where(AuditEventRecord.occurred_at >= since)
        if until is not None:
            statement = statement.where(AuditEventRecord.occurred_at < until)
        if event is not None:
            statement = statement.where(AuditEventRecord.event == event)
        if actor_user_id is not None:
            statement = statement.where(AuditEventRecord.actor_user_id == actor_user_id)
        statement = statement.order_by(AuditEventRecord.id).limit(limit)
        async with self._sessions() as session:
            return [AuditEvent.of(row) for row in (await session.scalars(statement)).all()]

    async def export(
        self, *, since: datetime | None = None, until: datetime | None = None
    ) -> AsyncIterator[AuditEvent]:
        """Every matching event, read page by page so a large trail streams."""
        after_id = 0
        while True:
            page = await self.query(since=since, until=until, after_id=after_id, limit=500)
            for item in page:
                yield item
            if len(page) < 500:
                return
            after_id = page[-1].id

    async def purge(self, retention: timedelta) -> int:
        """Delete events older than the retention period; returns how many went."""
        cutoff = self._clock() - retention
        async with self._sessions() as session, session.begin():
            result = await session.execute(
                delete(AuditEventRecord).where(AuditEventRecord.occurred_at < cutoff)
            )
        removed = int(getattr(result, "rowcount", 0) or 0)
        if removed:
            await self.record(
                "audit.purged",
                "success",
                details={"removed": removed, "older_than": cutoff.isoformat()},
            )
        return removed
