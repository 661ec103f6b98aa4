"""The durable outbox: every message is stored before it is sent, and sent by a background loop
that retries with back-off when the SMTP server is down or answers "try later". Nothing is lost
when Visio restarts or the mail server is away; failures are logged (without secrets) and the
message is given up only when the server refuses it for good or after ``max_attempts``.

Several Visio servers may share one database: a message is claimed (its next attempt moved a
few minutes on) by one of them before it is sent."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import message_from_string, policy
from email.message import EmailMessage

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from visio.mail.transport import MailError, MailTransport
from visio.storage.models import MailOutboxRecord, utcnow

logger = logging.getLogger(__name__)

CLAIM_FOR = timedelta(minutes=5)
"""How long a server keeps a message it is sending before another may try it."""
BATCH = 20


@dataclass(frozen=True)
class OutgoingMail:
    kind: str
    recipient: str
    message: EmailMessage


@dataclass(frozen=True)
class OutboxEntry:
    id: int
    kind: str
    recipient: str
    attempts: int
    sent_at: datetime | None
    failed_at: datetime | None
    last_error: str | None


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def retry_delay(attempts: int, initial: float, maximum: float) -> float:
    """Seconds to wait after the ``attempts``-th failure: doubling from ``initial``."""
    return float(min(initial * 2 ** max(attempts - 1, 0), maximum))


class Outbox:
    """Stores messages and sends them through ``transport`` (None: mail is not configured,
    :meth:`enqueue` stores nothing)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        transport: MailTransport | None,
        *,
        retry_initial_seconds: float = 30.0,
        retry_max_seconds: float = 3600.0,
        max_attempts: int = 30,
        keep_sent: timedelta = timedelta(days=7),
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._transport = transport
        self._initial = retry_initial_seconds
        self._maximum = retry_max_seconds
        self._max_attempts = max_attempts
        self._keep_sent = keep_sent
        self._clock = clock
        self._wake = asyncio.Event()

    @property
    def enabled(self) -> bool:
        return self._transport is not None

    async def enqueue(self, mails: Sequence[OutgoingMail]) -> list[int]:
        """Store the messages (in one transaction) and wake the sender; returns their ids."""
        if self._transport is None or not mails:
            return []
        async with self._sessions() as session, session.begin():
            records = self.stage(session, mails)
            await session.flush()
            ids = [record.id for record in records]
        self.wake()
        return ids

    def stage(self, session: AsyncSession, mails: Sequence[OutgoingMail]) -> list[MailOutboxRecord]:
        """Add the messages to a transaction under way (stored with it, or not at all); call
        :meth:`wake` once it is committed."""
        if self._transport is None:
            return []
        now = self._clock()
        records = [
            MailOutboxRecord(
                kind=mail.kind,
                recipient=mail.recipient,
                message=mail.message.as_string(policy=policy.SMTP),
                created_at=now,
                attempts=0,
                next_attempt_at=now,
            )
            for mail in mails
        ]
        session.add_all(records)
        return records

    def wake(self) -> None:
        """Have the sending loop look for due messages now."""
        self._wake.set()

    async def _claim(self, now: datetime) -> list[MailOutboxRecord]:
        async with self._sessions() as session, session.begin():
            due = list(
                await session.scalars(
                    select(MailOutboxRecord)
                    .where(
                        MailOutboxRecord.sent_at.is_(None),
                        MailOutboxRecord.failed_at.is_(None),
                        MailOutboxRecord.next_attempt_at <= now,
                    )
                    .order_by(MailOutboxRecord.next_attempt_at, MailOutboxRecord.id)
                    .limit(BATCH)
                )
            )
            claimed = []
            for record in due:
                result = await session.execute(
                    update(MailOutboxRecord)
                    .where(
                        MailOutboxRecord.id == record.id,
                        MailOutboxRecord.next_attempt_at == record.next_attempt_at,
                    )
                    .values(next_attempt_at=now + CLAIM_FOR)
                )
                if getattr(result, "rowcount", 0) == 1:
                    claimed.append(record)
        return claimed

    async def send_due(self) -> int:
        """Try every message whose time has come once; returns how many went out."""
        if self._transport is None:
            return 0
        sent = 0
        for record in await self._claim(self._clock()):
            message = message_from_string(record.message, _class=EmailMessage, policy=policy.SMTP)
            attempts = record.attempts + 1
            values: dict[str, object] = {"attempts": attempts}
            try:
                await self._transport.send(message, record.recipient)
            except MailError as exc:
                values["last_error"] = str(exc)[:500]
                if exc.permanent or attempts >= self._max_attempts:
                    values["failed_at"] = self._clock()
                    logger.error(
                        "mail %d (%s) to %s given up after %d attempt(s): %s",
                        record.id,
                        record.kind,
                        record.recipient,
                        attempts,
                        exc,
                    )
                else:
                    delay = retry_delay(attempts, self._initial, self._maximum)
                    values["next_attempt_at"] = self._clock() + timedelta(seconds=delay)
                    logger.warning(
                        "mail %d (%s) to %s not sent (attempt %d, next in %.0f s): %s",
                        record.id,
                        record.kind,
                        record.recipient,
                        attempts,
                        delay,
                        exc,
                    )
            else:
                values["sent_at"] = self._clock()
                values["last_error"] = None
                sent += 1
                logger.info("mail %d (%s) sent to %s", record.id, record.kind, record.recipient)
            async with self._sessions() as session, session.begin():
                await session.execute(
                    update(MailOutboxRecord)
                    .where(MailOutboxRecord.id == record.id)
                    .values(**values)
                )
        return sent

    async def _next_due(self) -> datetime | None:
        async with self._sessions() as session:
            moment = await session.scalar(
                select(MailOutboxRecord.next_attempt_at)
                .where(MailOutboxRecord.sent_at.is_(None), MailOutboxRecord.failed_at.is_(None))
                .order_by(MailOutboxRecord.next_attempt_at)
                .limit(1)
            )
        return _aware(moment)

    async def run_forever(self) -> None:
        """Send what is due, then sleep until the next message is due or one is added."""
        while True:
            self._wake.clear()
            try:
                while await self.send_due():
                    pass
                due = await self._next_due()
            except Exception:
                logger.exception("mail outbox: sending failed; trying again in a minute")
                due = None
            wait = 60.0
            if due is not None:
                wait = min(max((due - self._clock()).total_seconds(), 0.05), 60.0)
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=wait)
            except TimeoutError:
                pass

    async def entries(self) -> list[OutboxEntry]:
        """Every stored message, oldest first (tests and operators)."""
        async with self._sessions() as session:
            records = await session.scalars(select(MailOutboxRecord).order_by(MailOutboxRecord.id))
            return [
                OutboxEntry(
                    r.id,
                    r.kind,
                    r.recipient,
                    r.attempts,
                    _aware(r.sent_at),
                    _aware(r.failed_at),
                    r.last_error,
                )
                for r in records
            ]

    async def purge(self) -> int:
        """Forget messages sent or given up more than ``keep_sent`` ago."""
        before = self._clock() - self._keep_sent
        async with self._sessions() as session, session.begin():
            result = await session.execute(
                delete(MailOutboxRecord).where(
                    (MailOutboxRecord.sent_at < before) | (MailOutboxRecord.failed_at < before)
                )
            )
        return int(getattr(result, "rowcount", 0) or 0)
