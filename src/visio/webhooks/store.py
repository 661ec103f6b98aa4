"""All the SQL of webhooks: endpoints, the delivery queue and the delivery log."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, Literal

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from visio.storage.models import RoomRecord
from visio.webhooks.records import (
    WebhookAttemptRecord,
    WebhookDeliveryRecord,
    WebhookEndpointRecord,
)

FAILING_AFTER: Final = 5
"""Failed attempts in a row after which an endpoint shows as failing."""
LOG_LENGTH: Final = 50
"""Deliveries shown in an endpoint's log, newest first."""

DeliveryStatus = Literal["pending", "delivered", "failed"]


def _aware(moment: datetime) -> datetime:
    """SQLite gives back naive datetimes; everything stored is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _maybe_aware(moment: datetime | None) -> datetime | None:
    return None if moment is None else _aware(moment)


@dataclass(frozen=True)
class Endpoint:
    id: int
    room_id: int | None
    url: str
    description: str | None
    event_types: list[str]
    enabled: bool
    created_at: datetime
    consecutive_failures: int
    last_success_at: datetime | None
    last_failure_at: datetime | None

    @property
    def failing(self) -> bool:
        return self.consecutive_failures >= FAILING_AFTER

    @classmethod
    def of(cls, record: WebhookEndpointRecord) -> Endpoint:
        return cls(
            id=record.id,
            room_id=record.room_id,
            url=record.url,
            description=record.description,
            event_types=list(record.event_types),
            enabled=record.enabled,
            created_at=_aware(record.created_at),
            consecutive_failures=record.consecutive_failures,
            last_success_at=_maybe_aware(record.last_success_at),
            last_failure_at=_maybe_aware(record.last_failure_at),
        )


@dataclass(frozen=True)
class Attempt:
    attempted_at: datetime
    status_code: int | None
    duration_ms: int
    error: str | None


@dataclass(frozen=True)
class Delivery:
    id: int
    message_id: str
    event_type: str
    created_at: datetime
    status: DeliveryStatus
    attempts: list[Attempt]
    next_attempt_at: datetime | None
    """When the next attempt is due (None once delivered or given up)."""


@dataclass(frozen=True)
class DueDelivery:
    """The oldest pending delivery of an enabled endpoint: the only one of that endpoint that
    may be attempted (so events arrive in order)."""

    id: int
    endpoint_id: int
    url: str
    sealed_secret: str
    message_id: str
    payload: str
    attempts: int
    next_attempt_at: datetime


@dataclass(frozen=True)
class StoredRoomRef:
    id: int
    slug: str
    name: str | None


class WebhookStore:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._sessions = sessions
        self._clock = clock

    # ---- endpoints ------------------------------------------------------------------------

    async def room(self, slug: str) -> StoredRoomRef | None:
        async with self._sessions() as session:
            record = await session.scalar(select(RoomRecord).where(RoomRecord.slug == slug))
            if record is None:
                return None
            return StoredRoomRef(record.id, record.slug, record.name)

    async def count(self, room_id: int | None) -> int:
        async with self._sessions() as session:
            found = await session.scalar(
                select(func.count()).select_from(WebhookEndpointRecord).where(_in_scope(room_id))
            )
            return int(found or 0)

    async def add(
        self,
        room_id: int | None,
        url: str,
        description: str | None,
        event_types: list[str],
        sealed_secret: str,
        created_by: int | None,
    ) -> Endpoint:
        async with self._sessions() as session, session.begin():
            record = WebhookEndpointRecord(
                room_id=room_id,
                url=url,
                description=description,
                event_types=event_types,
                secret=sealed_secret,
                enabled=True,
                created_by_user_id=created_by,
                created_at=self._clock(),
                consecutive_failures=0,
            )
            session.add(record)
            await session.flush()
            return Endpoint.of(record)

    async def endpoints(self, room_id: int | None) -> list[Endpoint]:
        async with self._sessions() as session:
            records = await session.scalars(
                select(WebhookEndpointRecord)
                .where(_in_scope(room_id))
                .order_by(WebhookEndpointRecord.id)
            )
            return [Endpoint.of(r) for r in records]

    async def get(self, endpoint_id: int, room_id: int | None) -> Endpoint | None:
        """The endpoint, if it belongs to that room (None: a deployment-wide endpoint)."""
        async with self._sessions() as session:
            record = await session.scalar(
                select(WebhookEndpointRecord).where(
                    WebhookEndpointRecord.id == endpoint_id, _in_scope(room_id)
                )
            )
            return Endpoint.of(record) if record else None

    async def change(self, endpoint_id: int, **values: Any) -> Endpoint:
        async with self._sessions() as session, session.begin():
            record = await session.get_one(WebhookEndpointRecord, endpoint_id)
            for name, value in values.items():
                setattr(record, name, value)
            if values.get("enabled"):
                record.consecutive_failures = 0  # turned back on: judged afresh
            return Endpoint.of(record)

    async def remove(self, endpoint_id: int) -> None:
        async with self._sessions() as session, session.begin():
            await session.execute(
                delete(WebhookEndpointRecord).where(WebhookEndpointRecord.id == endpoint_id)
            )

    # ---- the queue ------------------------------------------------------------------------

    async def enqueue(
        self,
        room_id: int | None,
        event_type: str,
        message_id: str,
        payload: str,
        only_endpoint: int | None = None,
    ) -> int:
        """Queue the event for every enabled endpoint of the room and of the deployment that
        asked for its type (or for ``only_endpoint``, whatever it asked for); how many."""
        async with self._sessions() as session, session.begin():
            if only_endpoint is not None:
                targets = [only_endpoint]
            else:
                query = select(WebhookEndpointRecord).where(
                    WebhookEndpointRecord.enabled.is_(True),
                    or_(
                        WebhookEndpointRecord.room_id.is_(None),
                        WebhookEndpointRecord.room_id == room_id,
                    )
                    if room_id is not None
                    else WebhookEndpointRecord.room_id.is_(None),
                )
                targets = [
                    e.id for e in await session.scalars(query) if event_type in e.event_types
                ]
            now = self._clock()
            for endpoint_id in targets:
                session.add(
                    WebhookDeliveryRecord(
                        endpoint_id=endpoint_id,
                        message_id=message_id,
                        event_type=event_type,
                        payload=payload,
                        created_at=now,
                        status="pending",
                        attempts=0,
                        next_attempt_at=now,
                    )
                )
            return len(targets)

    async def redeliver(self, endpoint_id: int, delivery_id: int) -> bool:
        """Queue a delivery of the endpoint again (same message id: receivers can tell)."""
        async with self._sessions() as session, session.begin():
            record = await session.scalar(
                select(WebhookDeliveryRecord).where(
                    WebhookDeliveryRecord.id == delivery_id,
                    WebhookDeliveryRecord.endpoint_id == endpoint_id,
                )
            )
            if record is None:
                return False
            now = self._clock()
            session.add(
                WebhookDeliveryRecord(
                    endpoint_id=endpoint_id,
                    message_id=record.message_id,
                    event_type=record.event_type,
                    payload=record.payload,
                    created_at=now,
                    status="pending",
                    attempts=0,
                    next_attempt_at=now,
                )
            )
            return True

    async def heads(self) -> list[DueDelivery]:
        """The oldest pending delivery of each enabled endpoint, due or not."""
        async with self._sessions() as session:
            oldest = (
                select(func.min(WebhookDeliveryRecord.id))
                .where(WebhookDeliveryRecord.status == "pending")
                .group_by(WebhookDeliveryRecord.endpoint_id)
            )
            rows = await session.execute(
                select(WebhookDeliveryRecord, WebhookEndpointRecord)
                .join(
                    WebhookEndpointRecord,
                    WebhookEndpointRecord.id == WebhookDeliveryRecord.endpoint_id,
                )
                .where(
                    WebhookDeliveryRecord.id.in_(oldest),
                    WebhookEndpointRecord.enabled.is_(True),
                )
            )
            return [
                DueDelivery(
                    id=delivery.id,
                    endpoint_id=endpoint.id,
                    url=endpoint.url,
                    sealed_secret=endpoint.secret,
                    message_id=delivery.message_id,
                    payload=delivery.payload,
                    attempts=delivery.attempts,
                    next_attempt_at=_aware(delivery.next_attempt_at),
                )
                for delivery, endpoint in rows
            ]

    async def claim(self, delivery: DueDelivery, until: datetime) -> bool:
        """Take ``delivery`` for one attempt, as read by :meth:`heads`: its next attempt moves
        to ``until`` (a lease), only if nobody moved it on since it was read (another app server
        on the same database, or this one's earlier attempt). True if it is ours to attempt.
        Should this server stop mid-attempt, the delivery is due again once the lease is over."""
        async with self._sessions() as session, session.begin():
            result = await session.execute(
                update(WebhookDeliveryRecord)
                .where(
                    WebhookDeliveryRecord.id == delivery.id,
                    WebhookDeliveryRecord.status == "pending",
                    WebhookDeliveryRecord.attempts == delivery.attempts,
                    WebhookDeliveryRecord.next_attempt_at == delivery.next_attempt_at,
                )
                .values(next_attempt_at=until)
            )
        return int(getattr(result, "rowcount", 0) or 0) == 1

    async def record_attempt(
        self,
        delivery: DueDelivery,
        attempt: Attempt,
        status: DeliveryStatus,
        next_attempt_at: datetime | None,
    ) -> None:
        """Log the attempt and move the delivery on: delivered, failed, or due again later."""
        succeeded = status == "delivered"
        async with self._sessions() as session, session.begin():
            session.add(
                WebhookAttemptRecord(
                    delivery_id=delivery.id,
                    attempted_at=attempt.attempted_at,
                    status_code=attempt.status_code,
                    duration_ms=attempt.duration_ms,
                    error=attempt.error,
                )
            )
            await session.execute(
                update(WebhookDeliveryRecord)
                .where(WebhookDeliveryRecord.id == delivery.id)
                .values(
                    status=status,
                    attempts=WebhookDeliveryRecord.attempts + 1,
                    next_attempt_at=next_attempt_at or attempt.attempted_at,
                    finished_at=None if status == "pending" else attempt.attempted_at,
                )
            )
            await session.execute(
                update(WebhookEndpointRecord)
                .where(WebhookEndpointRecord.id == delivery.endpoint_id)
                .values(
                    consecutive_failures=0
                    if succeeded
                    else WebhookEndpointRecord.consecutive_failures + 1,
                    **(
                        {"last_success_at": attempt.attempted_at}
                        if succeeded
                        else {"last_failure_at": attempt.attempted_at}
                    ),
                )
            )

    # ---- the log --------------------------------------------------------------------------

    async def deliveries(self, endpoint_id: int) -> list[Delivery]:
        """The endpoint's latest deliveries, newest first, each with its attempts."""
        async with self._sessions() as session:
            records = list(
                await session.scalars(
                    select(WebhookDeliveryRecord)
                    .where(WebhookDeliveryRecord.endpoint_id == endpoint_id)
                    .order_by(WebhookDeliveryRecord.id.desc())
                    .limit(LOG_LENGTH)
                )
            )
            attempts: dict[int, list[Attempt]] = {r.id: [] for r in records}
            for attempt in await session.scalars(
                select(WebhookAttemptRecord)
                .where(WebhookAttemptRecord.delivery_id.in_(list(attempts)))
                .order_by(WebhookAttemptRecord.id)
            ):
                attempts[attempt.delivery_id].append(
                    Attempt(
                        attempted_at=_aware(attempt.attempted_at),
                        status_code=attempt.status_code,
                        duration_ms=attempt.duration_ms,
                        error=attempt.error,
                    )
                )
            return [
                Delivery(
                    id=r.id,
                    message_id=r.message_id,
                    event_type=r.event_type,
                    created_at=_aware(r.created_at),
                    status=r.status,  # type: ignore[arg-type]
                    attempts=attempts[r.id],
                    next_attempt_at=_aware(r.next_attempt_at) if r.status == "pending" else None,
                )
                for r in records
            ]

    async def purge(self, finished_before: datetime) -> int:
        """Forget deliveries (and their attempts) that finished before that moment."""
        async with self._sessions() as session, session.begin():
            result = await session.execute(
                delete(WebhookDeliveryRecord).where(
                    WebhookDeliveryRecord.finished_at < finished_before
                )
            )
            return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _in_scope(room_id: int | None) -> Any:
    if room_id is None:
        return WebhookEndpointRecord.room_id.is_(None)
    return WebhookEndpointRecord.room_id == room_id
