"""Delivering queued events: one worker task that POSTs each endpoint's events in order, retries
with back-off, and logs every attempt.

The queue is the ``webhook_deliveries`` table, so nothing queued is lost when the server stops:
a delivery stays ``pending`` until an attempt succeeds or the last one fails, and the next
server picks it up. Per endpoint only the oldest pending delivery is attempted (concurrency 1,
events arrive in order); different endpoints are served side by side. Every app server runs
this worker on the shared queue: an attempt starts only once its server has claimed the delivery
in the database (``WebhookStore.claim``), so one event is sent once, not once per server.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import ssl
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Final
from urllib.parse import urlsplit

import httpcore

from visio import __version__
from visio.edge.outbound import RefusedAddress, guarded_pool
from visio.settings import Settings
from visio.webhooks.addresses import webhook_guard
from visio.webhooks.signing import SecretBox, sign
from visio.webhooks.store import Attempt, DeliveryStatus, DueDelivery, WebhookStore

logger = logging.getLogger(__name__)

RETRY_DELAYS_S: Final = (5, 30, 120, 600, 3600, 3 * 3600, 6 * 3600, 12 * 3600)
"""Wait before the 2nd, 3rd... attempt (the last delay repeats if more attempts are allowed)."""
JITTER: Final = 0.2
"""Each delay is spread by up to 20 % either way, so endpoints that failed together do not
all come back at the same instant."""
PARALLEL_ENDPOINTS: Final = 8
IDLE_POLL_S: Final = 30.0
RESPONSE_READ_LIMIT: Final = 64 * 1024
"""Bytes of an answer read (then dropped): a receiver cannot make Visio read forever."""
ERROR_LENGTH: Final = 300
ATTEMPT_OUTCOMES: Final = ("delivered", "retrying", "failed")
"""An attempt was answered 2xx; failed and will be tried again; failed and was the last."""
CLAIM_MARGIN_S: Final = 30.0
"""A claimed delivery is left to its app server for the request's timeout and this much more."""


def retry_delay(attempts_made: int, scale: float) -> float:
    """Seconds to wait after ``attempts_made`` failed attempts, jitter included."""
    base = RETRY_DELAYS_S[min(attempts_made, len(RETRY_DELAYS_S)) - 1] * scale
    return base * random.uniform(1 - JITTER, 1 + JITTER)  # noqa: S311 - spreading, not security


class Dispatcher:
    """The worker: call :meth:`wake` when something was queued; :meth:`run_forever` runs in a
    task of the container."""

    def __init__(
        self,
        settings: Settings,
        store: WebhookStore,
        box: SecretBox,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._settings = settings
        self._store = store
        self._box = box
        self._clock = clock
        self._wake = asyncio.Event()
        self._busy: dict[int, asyncio.Task[bool]] = {}
        self.attempts: dict[str, int] = dict.fromkeys(ATTEMPT_OUTCOMES, 0)
        """Attempts this server made, by outcome (``/metrics``)."""
        self.claims_lost = 0
        """Deliveries found due that another app server (or an earlier read) had claimed."""
        timeout = settings.webhooks_timeout_s
        self._timeouts = {"connect": timeout, "read": timeout, "write": timeout, "pool": timeout}
        self._http = guarded_pool(
            webhook_guard(settings.webhooks_allow_private),
            ssl_context=ssl.create_default_context(),
            max_connections=PARALLEL_ENDPOINTS * 2,
        )

    def wake(self) -> None:
        self._wake.set()

    async def run_forever(self) -> None:
        while True:
            self._wake.clear()
            try:
                wait = await self._start_due()
            except Exception:
                logger.exception("webhooks: could not read the delivery queue; trying again")
                wait = 5.0
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)

    async def _start_due(self) -> float:
        """Start the attempts that are due; seconds until the next one is."""
        now = self._clock()
        wait = IDLE_POLL_S
        for delivery in sorted(await self._store.heads(), key=lambda d: d.next_attempt_at):
            if delivery.endpoint_id in self._busy:
                continue
            due_in = (delivery.next_attempt_at - now).total_seconds()
            if due_in > 0:
                wait = min(wait, due_in)
            elif len(self._busy) < PARALLEL_ENDPOINTS:
                task = asyncio.create_task(self._attempt(delivery))
                self._busy[delivery.endpoint_id] = task
                task.add_done_callback(self._done)
        return max(wait, 0.01)

    def _done(self, task: asyncio.Task[bool]) -> None:
        for endpoint_id, busy in list(self._busy.items()):
            if busy is task:
                del self._busy[endpoint_id]
        if task.cancelled():
            return
        if task.exception() is not None:
            logger.error("webhooks: an attempt failed", exc_info=task.exception())
        elif not task.result():
            # Not ours to send (claimed elsewhere, or already sent): the queue has nothing new
            # for us until it is woken or the next poll; reading it again at once would spin.
            return
        self._wake.set()

    async def _attempt(self, delivery: DueDelivery) -> bool:
        """Claim ``delivery``, POST it and write down how it went; False if it was not ours."""
        started = self._clock()
        # Every app server runs a dispatcher on the same queue, and the queue may have been read
        # before this server's previous attempt was written: attempt only what we could claim.
        lease = timedelta(seconds=self._settings.webhooks_timeout_s + CLAIM_MARGIN_S)
        if not await self._store.claim(delivery, started + lease):
            self.claims_lost += 1
            return False
        clock = time.monotonic()
        status_code, error = await self._post(delivery, started)
        attempt = Attempt(
            attempted_at=started,
            status_code=status_code,
            duration_ms=round((time.monotonic() - clock) * 1000),
            error=error[:ERROR_LENGTH] if error else None,
        )
        made = delivery.attempts + 1
        status: DeliveryStatus
        next_at = None
        if error is None:
            status = "delivered"
        elif made >= self._settings.webhooks_max_attempts:
            status = "failed"
            logger.warning(
                "webhooks: gave up delivering %s to endpoint %d after %d attempts (%s)",
                delivery.message_id,
                delivery.endpoint_id,
                made,
                error,
            )
        else:
            status = "pending"
            delay = retry_delay(made, self._settings.webhooks_retry_scale)
            next_at = self._clock() + timedelta(seconds=delay)
        self.attempts["retrying" if status == "pending" else status] += 1
        try:
            await self._store.record_attempt(delivery, attempt, status, next_at)
        except Exception:
            logger.exception("webhooks: could not log an attempt of delivery %d", delivery.id)
        return True

    async def _post(self, delivery: DueDelivery, now: datetime) -> tuple[int | None, str | None]:
        """POST the event; the answer's status code and, unless it was a 2xx, what failed."""
        try:
            secret = self._box.open(delivery.sealed_secret)
        except ValueError as exc:
            return None, str(exc)
        body = delivery.payload.encode()
        timestamp = int(now.timestamp())
        host = urlsplit(delivery.url).hostname or ""
        headers = [
            (b"Content-Type", b"application/json"),
            (b"User-Agent", f"Visio-Webhooks/{__version__}".encode()),
            (b"webhook-id", delivery.message_id.encode()),
            (b"webhook-timestamp", str(timestamp).encode()),
            (b"webhook-signature", sign(secret, delivery.message_id, timestamp, body).encode()),
        ]
        try:
            async with asyncio.timeout(self._settings.webhooks_timeout_s):
                async with self._http.stream(
                    "POST",
                    delivery.url,
                    headers=headers,
                    content=body,
                    extensions={"timeout": self._timeouts},
                ) as response:
                    read = 0
                    async for chunk in response.aiter_stream():
                        read += len(chunk)
                        if read >= RESPONSE_READ_LIMIT:
                            break
        except RefusedAddress as exc:
            return None, str(exc)
        except TimeoutError:
            return None, f"no answer within {self._settings.webhooks_timeout_s:g} s"
        except httpcore.TimeoutException as exc:
            return None, f"timed out ({type(exc).__name__})"
        except (httpcore.NetworkError, httpcore.ProtocolError, httpcore.UnsupportedProtocol) as exc:
            return None, f"{type(exc).__name__}: {exc or 'connection failed'} ({host})"
        status = response.status
        if 200 <= status < 300:
            return status, None
        if 300 <= status < 400:
            return status, f"HTTP {status}: redirects are not followed; register the final URL"
        return status, f"HTTP {status}"

    async def close(self) -> None:
        for task in list(self._busy.values()):
            task.cancel()
        await self._http.aclose()
