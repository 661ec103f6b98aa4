"""Visio's calendars: which calendar a person's meetings go into, writing them there without
ever failing the caller, trying again later when the server is away, and reading them back."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter
from pydantic import SecretStr

from visio.auth.users import User
from visio.backoff import Backoff
from visio.calendars.account import CalendarAccount
from visio.calendars.addresses import check_calendar_url, fill_template, fill_username
from visio.calendars.client import CalDavClient, CalendarInfo, StoredEvent
from visio.calendars.errors import CalendarError
from visio.calendars.ical import Occurrence
from visio.calendars.passwords import SealedPasswordError
from visio.calendars.repository import CalendarAccounts

logger = logging.getLogger(__name__)

RETRY_ATTEMPTS = 6
"""Tries after the first for a write that failed for a passing reason (server down, timeout,
5xx): 30 s, 1, 2, 4, 8 and 16 min later, then Visio gives up and logs it."""


@dataclass(frozen=True)
class CalendarPolicy:
    """What the operator allows (from the VISIO_CALDAV_* settings)."""

    deployment_url: str | None
    deployment_username: str | None
    deployment_password: SecretStr | None
    allow_http: bool
    allow_private: bool


@dataclass(frozen=True)
class CalendarOutcome:
    """How a write or deletion went: ``done`` (the calendar has it), ``skipped`` (the person
    has no calendar), ``retrying`` (a passing failure: Visio tries again in the background) or
    ``failed`` (the person or the operator must act; ``failure`` says what)."""

    status: str
    failure: CalendarError | None = None
    event: StoredEvent | None = None


class Calendars:
    """The organiser's calendar for each person: their own (from their settings) or the
    deployment's (VISIO_CALDAV_URL with their e-mail), in that order."""

    def __init__(
        self,
        policy: CalendarPolicy,
        client: CalDavClient,
        accounts: CalendarAccounts | None,
        registry: CollectorRegistry | None = None,
        first_retry_after: float = 30.0,
    ) -> None:
        self.policy = policy
        self._first_retry_after = first_retry_after
        self.client = client
        self.accounts = accounts
        """None when people may not connect their own calendar (no encryption key)."""
        self._pending: dict[tuple[int, str], asyncio.Task[None]] = {}
        self._operations = Counter(
            "visio_calendar_operations",
            "Requests to calendar servers, by operation and outcome (ok or the failure reason)",
            ["operation", "outcome"],
            registry=registry,
        )

    @property
    def personal_allowed(self) -> bool:
        return self.accounts is not None

    def deployment_account(self, user: User) -> CalendarAccount | None:
        """The deployment's calendar for ``user`` (needs their e-mail), or None."""
        policy = self.policy
        if not policy.deployment_url or not user.email:
            return None
        url = check_calendar_url(
            fill_template(policy.deployment_url, user.email),
            allow_http=policy.allow_http,
            allow_private=policy.allow_private,
        )
        return CalendarAccount(
            url,
            fill_username(policy.deployment_username or "", user.email),
            policy.deployment_password or SecretStr(""),
            "deployment",
        )

    async def account_for(self, user: User) -> CalendarAccount | None:
        """The calendar ``user``'s meetings go into: their own, else the deployment's."""
        if self.accounts is not None:
            try:
                personal = await self.accounts.account(user.id)
            except SealedPasswordError as exc:
                raise CalendarError("unauthorised", f"{exc}; connect the calendar again") from None
            if personal is not None:
                return personal
        try:
            return self.deployment_account(user)
        except CalendarError as exc:
            logger.error("VISIO_CALDAV_URL gives no usable URL for user %s: %s", user.id, exc)
            return None

    async def write_event(self, organiser: User, uid: str, ics_text: str) -> CalendarOutcome:
        """Put the meeting ``uid`` (an iCalendar text, ``METHOD`` allowed: it is removed) into
        the organiser's calendar, creating or replacing it. Never raises: a passing failure is
        tried again in the background, a lasting one is logged and kept for the person's
        settings. A later write or removal of the same event replaces a pending retry."""

        async def put(account: CalendarAccount) -> StoredEvent:
            try:
                return await self.client.put_event(account, uid, ics_text)
            except CalendarError as exc:
                if exc.reason != "not_found" or account.source != "deployment":
                    raise
                # The deployment's template names a calendar Visio makes on first use.
                await self.client.create_calendar(account)
                return await self.client.put_event(account, uid, ics_text)

        return await self._run("write", organiser, uid, put)

    async def remove_event(self, organiser: User, uid: str) -> CalendarOutcome:
        """Delete the meeting ``uid`` from the organiser's calendar (a cancelled meeting).
        Never raises, as :meth:`write_event`; an event already gone counts as done."""

        async def delete(account: CalendarAccount) -> None:
            await self.client.delete_event(account, uid)

        return await self._run("delete", organiser, uid, delete)

    async def read_event(self, user: User, uid: str) -> StoredEvent | None:
        """The event ``uid`` as ``user``'s calendar holds it (to check what was written, or
        what someone changed there), or None. Raises :class:`CalendarError`."""
        account = await self.account_for(user)
        if account is None:
            return None
        try:
            return await self.client.get_event(account, uid)
        except CalendarError as exc:
            await self._note(user, account, "read", exc, uid)
            raise

    async def upcoming(self, user: User, start: datetime, end: datetime) -> list[Occurrence]:
        """The occurrences in ``user``'s calendar between ``start`` and ``end`` (recurrences
        expanded in their time zones), or [] without a calendar. Raises
        :class:`CalendarError` so the person sees why their meetings are missing."""
        account = await self.account_for(user)
        if account is None:
            return []
        try:
            found = await self.client.upcoming(account, start, end)
        except CalendarError as exc:
            await self._note(user, account, "list", exc)
            raise
        await self._note(user, account, "list", None)
        return found

    async def test(self, user: User) -> CalendarInfo | None:
        """Sign in to ``user``'s calendar and look at it (the settings' "test" button); None
        without a calendar. Raises :class:`CalendarError` saying what is wrong."""
        account = await self.account_for(user)
        if account is None:
            return None
        try:
            try:
                info = await self.client.check(account)
            except CalendarError as exc:
                if exc.reason != "not_found" or account.source != "deployment":
                    raise
                # The deployment's calendar is made on first use: this is one.
                await self.client.create_calendar(account)
                info = await self.client.check(account)
            if not info.supports_events:
                raise CalendarError("not_a_calendar", "this calendar does not take events")
        except CalendarError as exc:
            await self._note(user, account, "test", exc)
            raise
        await self._note(user, account, "test", None)
        return info

    async def close(self) -> None:
        """Cancel the retries still waiting (they are not kept across restarts)."""
        for task in list(self._pending.values()):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._pending.clear()

    def pending(self) -> int:
        """How many writes or removals wait to be tried again."""
        return len(self._pending)

    async def _run(
        self,
        operation: str,
        user: User,
        uid: str,
        action: Callable[[CalendarAccount], Awaitable[StoredEvent | None]],
    ) -> CalendarOutcome:
        key = (user.id, uid)
        waiting = self._pending.pop(key, None)
        if waiting is not None:
            waiting.cancel()
        try:
            account = await self.account_for(user)
        except CalendarError as exc:
            self._operations.labels(operation, exc.reason).inc()
            logger.warning("calendar %s of %s for user %s: %s", operation, uid, user.id, exc)
            return CalendarOutcome("failed", exc)
        if account is None:
            return CalendarOutcome("skipped")
        try:
            event = await action(account)
        except CalendarError as exc:
            await self._note(user, account, operation, exc, uid)
            if exc.transient:
                self._pending[key] = asyncio.create_task(
                    self._retry(operation, user, uid, action),
                    name=f"calendar-{operation}-{user.id}",
                )
                return CalendarOutcome("retrying", exc)
            return CalendarOutcome("failed", exc)
        except Exception:
            # A bug or an answer nobody foresaw must not fail the meeting being scheduled.
            logger.exception(
                "calendar %s of %s for user %s failed unexpectedly", operation, uid, user.id
            )
            self._operations.labels(operation, "internal").inc()
            return CalendarOutcome(
                "failed", CalendarError("bad_response", "the calendar could not be updated")
            )
        await self._note(user, account, operation, None)
        return CalendarOutcome("done", event=event)

    async def _retry(
        self,
        operation: str,
        user: User,
        uid: str,
        action: Callable[[CalendarAccount], Awaitable[StoredEvent | None]],
    ) -> None:
        backoff = Backoff(
            initial=self._first_retry_after, maximum=32 * self._first_retry_after, jitter=0.1
        )
        try:
            for attempt in range(1, RETRY_ATTEMPTS + 1):
                await asyncio.sleep(backoff.next_delay())
                account: CalendarAccount | None = None
                try:
                    account = await self.account_for(user)
                    if account is None:
                        return
                    await action(account)
                except CalendarError as exc:
                    await self._note(user, account, operation, exc, uid)
                    if not exc.transient or attempt == RETRY_ATTEMPTS:
                        logger.error(
                            "calendar %s of %s for user %s given up after %d tries: %s",
                            operation,
                            uid,
                            user.id,
                            attempt + 1,
                            exc,
                        )
                        return
                    continue
                except Exception:
                    logger.exception(
                        "calendar %s of %s for user %s failed unexpectedly; given up",
                        operation,
                        uid,
                        user.id,
                    )
                    return
                await self._note(user, account, operation, None)
                logger.info("calendar %s of %s for user %s done on retry", operation, uid, user.id)
                return
        finally:
            if self._pending.get((user.id, uid)) is asyncio.current_task():
                del self._pending[(user.id, uid)]

    async def _note(
        self,
        user: User,
        account: CalendarAccount | None,
        operation: str,
        failure: CalendarError | None,
        uid: str | None = None,
    ) -> None:
        """Count the outcome, log a failure for the operator (never a password) and keep it
        for the person's own settings when it is their calendar."""
        self._operations.labels(operation, failure.reason if failure else "ok").inc()
        if failure is not None:
            logger.warning(
                "calendar %s%s for user %s (%s calendar at %s) failed: %s: %s",
                operation,
                f" of {uid}" if uid else "",
                user.id,
                account.source if account else "no",
                account.url if account else "-",
                failure.reason,
                failure.message,
            )
        if account is not None and account.source == "personal" and self.accounts is not None:
            await self.accounts.record_outcome(user.id, failure)
