"""Webhooks as people manage them (endpoints of a room or of the deployment, each step
authorised by :mod:`visio.rooms.policy` and audited), and as the rest of Visio feeds them
(:meth:`WebhookService.emit`, which only queues)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final
from urllib.parse import urlsplit

from visio.audit import AuditTrail, Origin
from visio.auth.users import User
from visio.edge.outbound import RefusedAddress
from visio.errors import ApiProblem
from visio.rooms import policy
from visio.rooms.administration import RoomAdministration
from visio.rooms.participant import Participant
from visio.rooms.protocol import LeaveReason
from visio.rooms.repository import StoredRoom
from visio.settings import Settings
from visio.webhooks.addresses import webhook_guard
from visio.webhooks.delivery import Dispatcher
from visio.webhooks.events import (
    EVENT_TYPES,
    TEST_EVENT,
    body,
    new_meeting_id,
    new_message_id,
)
from visio.webhooks.signing import SecretBox, new_secret
from visio.webhooks.store import Delivery, Endpoint, WebhookStore

logger = logging.getLogger(__name__)

MAX_URL_LENGTH: Final = 2000
QUEUE_CAPACITY: Final = 10_000
"""Events waiting to be written to the database; past that (a database that stopped
answering), new ones are dropped with an error in the log rather than held in memory."""
DRAIN_ON_STOP_S: Final = 5.0


@dataclass(frozen=True)
class _Event:
    event_type: str
    slug: str | None
    data: dict[str, Any]
    occurred_at: datetime


class WebhookService:
    """The events' way out: :meth:`emit` for the rest of Visio, the queue and its worker."""

    def __init__(
        self,
        settings: Settings,
        store: WebhookStore,
        box: SecretBox,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._settings = settings
        self._store = store
        self._clock = clock
        self.dispatcher = Dispatcher(settings, store, box, clock)
        self._events: asyncio.Queue[_Event] = asyncio.Queue(QUEUE_CAPACITY)
        self._tasks: list[asyncio.Task[None]] = []
        self.meetings = MeetingWebhooks(self)

    # ---- feeding -----------------------------------------------------------------------------

    def emit(self, event_type: str, room: str | None, data: dict[str, Any]) -> None:
        """Queue an event of room ``room`` (its slug; None: about no room, for the
        deployment's endpoints only) for the endpoints that asked for ``event_type``. Returns
        at once and never raises: a meeting is never slowed or broken by its webhooks. ``data``
        gets ``room`` (slug and name) added; it must hold no secret."""
        try:
            self._events.put_nowait(_Event(event_type, room, data, self._clock()))
        except asyncio.QueueFull:
            logger.error(
                "webhooks: %d events wait already; dropped a %s", QUEUE_CAPACITY, event_type
            )

    async def _write_events(self) -> None:
        """Move emitted events into the database queue, in the order they happened."""
        while True:
            event = await self._events.get()
            try:
                await self._enqueue(event)
            except Exception:
                logger.exception("webhooks: could not queue a %s event", event.event_type)
            finally:
                self._events.task_done()

    async def _enqueue(self, event: _Event) -> None:
        room_id = None
        data = dict(event.data)
        if event.slug is not None:
            room = await self._store.room(event.slug)
            if room is None:
                return  # the room was deleted meanwhile: nobody to tell
            room_id = room.id
            data = {"room": {"slug": room.slug, "name": room.name}, **data}
        queued = await self._store.enqueue(
            room_id,
            event.event_type,
            new_message_id(),
            body(event.event_type, event.occurred_at, data),
        )
        if queued:
            self.dispatcher.wake()

    # ---- running -----------------------------------------------------------------------------

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._write_events(), name="webhook-events"),
            asyncio.create_task(self.dispatcher.run_forever(), name="webhook-deliveries"),
        ]

    async def stop(self) -> None:
        """Write what was emitted (for a few seconds at most), then stop delivering; what is
        queued in the database waits for the next start."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._events.join(), DRAIN_ON_STOP_S)
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.dispatcher.close()

    async def purge(self) -> int:
        """Forget finished deliveries older than the log's retention period."""
        return await self._store.purge(
            self._clock() - timedelta(days=self._settings.webhooks_log_retention_days)
        )


class WebhookAdministration:
    """Endpoints and their delivery log, as room owners and administrators manage them over
    the REST API."""

    def __init__(
        self,
        settings: Settings,
        webhooks: WebhookService,
        store: WebhookStore,
        box: SecretBox,
        rooms: RoomAdministration,
        audit: AuditTrail,
    ) -> None:
        self._settings = settings
        self._webhooks = webhooks
        self._store = store
        self._box = box
        self._rooms = rooms
        self._audit = audit

    async def _authorise(
        self, user: User | None, slug: str | None, doing: str, origin: Origin
    ) -> StoredRoom | None:
        """The room (None: the deployment) once the person may manage its webhooks; a refusal
        is audited and raised."""
        room = await self._rooms.find(slug) if slug is not None else None
        decision = policy.manage_webhooks(await self._rooms.actor(user, room), room)
        if isinstance(decision, policy.Refusal):
            await self._record(doing, "failure", user, origin, room, reason=decision.code)
            raise ApiProblem(decision.status, decision.code, decision.message)
        return room

    async def _record(
        self,
        event: str,
        outcome: str,
        user: User | None,
        origin: Origin,
        room: StoredRoom | None,
        **details: Any,
    ) -> None:
        await self._audit.record(
            event,
            "success" if outcome == "success" else "failure",
            origin,
            actor_user_id=user.id if user else None,
            actor=user.audit_label if user else None,
            target=room.slug if room else "deployment",
            details=details,
        )

    async def _endpoint(self, room: StoredRoom | None, endpoint_id: int) -> Endpoint:
        endpoint = await self._store.get(endpoint_id, room.id if room else None)
        if endpoint is None:
            raise ApiProblem(404, "webhook_not_found", f"there is no webhook {endpoint_id} here")
        return endpoint

    async def check_url(self, url: str) -> str:
        """The URL, if webhooks may be sent there; else a 422 that says why."""
        if len(url) > MAX_URL_LENGTH:
            raise ApiProblem(422, "invalid_webhook_url", f"at most {MAX_URL_LENGTH} characters")
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise ApiProblem(422, "invalid_webhook_url", f"not a URL ({exc})") from None
        schemes = ("https", "http") if self._settings.webhooks_allow_http else ("https",)
        if parts.scheme not in schemes:
            raise ApiProblem(
                422, "invalid_webhook_url", "a webhook URL starts with https:// (TLS only)"
            )
        if not parts.hostname or parts.username is not None or parts.password is not None:
            raise ApiProblem(
                422, "invalid_webhook_url", "a webhook URL names a host, and no user or password"
            )
        if parts.fragment or any(c.isspace() or not c.isprintable() for c in url):
            raise ApiProblem(
                422, "invalid_webhook_url", "a webhook URL has no fragment and no blank"
            )
        try:
            await webhook_guard(self._settings.webhooks_allow_private).resolve(
                parts.hostname, port or (443 if parts.scheme == "https" else 80)
            )
        except RefusedAddress as exc:
            raise ApiProblem(422, "webhook_address_refused", str(exc)) from None
        return url

    async def endpoints(
        self, user: User | None, slug: str | None, origin: Origin
    ) -> list[Endpoint]:
        room = await self._authorise(user, slug, "webhook.listed", origin)
        return await self._store.endpoints(room.id if room else None)

    async def create(
        self,
        user: User | None,
        slug: str | None,
        url: str,
        event_types: list[str],
        description: str | None,
        origin: Origin,
    ) -> tuple[Endpoint, str]:
        """A new endpoint and its signing secret (shown this once)."""
        room = await self._authorise(user, slug, "webhook.created", origin)
        room_id = room.id if room else None
        if await self._store.count(room_id) >= self._settings.webhooks_max_endpoints:
            raise ApiProblem(
                409,
                "too_many_webhooks",
                f"at most {self._settings.webhooks_max_endpoints} webhooks here; delete one first",
            )
        url = await self.check_url(url)
        secret = new_secret()
        endpoint = await self._store.add(
            room_id,
            url,
            description,
            _known(event_types),
            self._box.seal(secret),
            user.id if user else None,
        )
        await self._record(
            "webhook.created",
            "success",
            user,
            origin,
            room,
            webhook=endpoint.id,
            url=url,
            events=endpoint.event_types,
        )
        return endpoint, secret

    async def change(
        self,
        user: User | None,
        slug: str | None,
        endpoint_id: int,
        origin: Origin,
        *,
        url: str | None = None,
        event_types: list[str] | None = None,
        description: str | None = None,
        enabled: bool | None = None,
    ) -> Endpoint:
        room = await self._authorise(user, slug, "webhook.changed", origin)
        await self._endpoint(room, endpoint_id)
        values: dict[str, Any] = {}
        if url is not None:
            values["url"] = await self.check_url(url)
        if event_types is not None:
            values["event_types"] = _known(event_types)
        if description is not None:
            values["description"] = description or None
        if enabled is not None:
            values["enabled"] = enabled
        endpoint = await self._store.change(endpoint_id, **values)
        if enabled:
            self._webhooks.dispatcher.wake()
        await self._record(
            "webhook.changed", "success", user, origin, room, webhook=endpoint_id, **values
        )
        return endpoint

    async def delete(
        self, user: User | None, slug: str | None, endpoint_id: int, origin: Origin
    ) -> None:
        room = await self._authorise(user, slug, "webhook.deleted", origin)
        endpoint = await self._endpoint(room, endpoint_id)
        await self._store.remove(endpoint_id)
        await self._record(
            "webhook.deleted", "success", user, origin, room, webhook=endpoint_id, url=endpoint.url
        )

    async def rotate_secret(
        self, user: User | None, slug: str | None, endpoint_id: int, origin: Origin
    ) -> tuple[Endpoint, str]:
        """A new signing secret (shown this once); the old one stops signing at once."""
        room = await self._authorise(user, slug, "webhook.secret_rotated", origin)
        await self._endpoint(room, endpoint_id)
        secret = new_secret()
        endpoint = await self._store.change(endpoint_id, secret=self._box.seal(secret))
        await self._record(
            "webhook.secret_rotated", "success", user, origin, room, webhook=endpoint_id
        )
        return endpoint, secret

    async def send_test(
        self, user: User | None, slug: str | None, endpoint_id: int, origin: Origin
    ) -> None:
        """Queue a ``webhook.test`` event for this endpoint alone."""
        room = await self._authorise(user, slug, "webhook.test_sent", origin)
        endpoint = await self._endpoint(room, endpoint_id)
        data: dict[str, Any] = {"endpoint_id": endpoint.id}
        if room is not None:
            data = {"room": {"slug": room.slug, "name": room.name}, **data}
        await self._store.enqueue(
            endpoint.room_id,
            TEST_EVENT,
            new_message_id(),
            body(TEST_EVENT, datetime.now(UTC), data),
            only_endpoint=endpoint.id,
        )
        self._webhooks.dispatcher.wake()
        await self._record("webhook.test_sent", "success", user, origin, room, webhook=endpoint_id)

    async def deliveries(
        self, user: User | None, slug: str | None, endpoint_id: int, origin: Origin
    ) -> list[Delivery]:
        room = await self._authorise(user, slug, "webhook.log_read", origin)
        await self._endpoint(room, endpoint_id)
        return await self._store.deliveries(endpoint_id)

    async def redeliver(
        self,
        user: User | None,
        slug: str | None,
        endpoint_id: int,
        delivery_id: int,
        origin: Origin,
    ) -> None:
        room = await self._authorise(user, slug, "webhook.redelivered", origin)
        await self._endpoint(room, endpoint_id)
        if not await self._store.redeliver(endpoint_id, delivery_id):
            raise ApiProblem(
                404, "delivery_not_found", f"this webhook has no delivery {delivery_id}"
            )
        self._webhooks.dispatcher.wake()
        await self._record(
            "webhook.redelivered",
            "success",
            user,
            origin,
            room,
            webhook=endpoint_id,
            delivery=delivery_id,
        )


def _known(event_types: list[str]) -> list[str]:
    """The event types asked for, in the documented order, each once."""
    unknown = sorted(set(event_types) - set(EVENT_TYPES))
    if unknown:
        raise ApiProblem(422, "invalid_event_type", f"unknown event types: {', '.join(unknown)}")
    if not event_types:
        raise ApiProblem(422, "invalid_event_type", "choose at least one event type")
    return [t for t in EVENT_TYPES if t in event_types]


class MeetingWebhooks:
    """Turns the room service's news into events: the first person in starts a meeting, the
    last one out ends it."""

    def __init__(self, webhooks: WebhookService) -> None:
        self._webhooks = webhooks
        self._meetings: dict[str, tuple[str, datetime]] = {}

    def participant_joined(self, slug: str, participant: Participant) -> None:
        try:
            self._joined(slug, participant)
        except Exception:  # never let webhooks break a meeting
            logger.exception("webhooks: room %s: could not note a join", slug)

    def participant_left(
        self, slug: str, participant: Participant, reason: LeaveReason, remaining: int
    ) -> None:
        try:
            self._left(slug, participant, reason, remaining)
        except Exception:  # never let webhooks break a meeting
            logger.exception("webhooks: room %s: could not note a departure", slug)

    def _joined(self, slug: str, participant: Participant) -> None:
        meeting = self._meetings.get(slug)
        if meeting is None:
            meeting = self._meetings[slug] = (new_meeting_id(), participant.joined_at)
            self._webhooks.emit(
                "meeting.started",
                slug,
                {"meeting_id": meeting[0], "started_at": _iso(meeting[1])},
            )
        self._webhooks.emit(
            "participant.joined",
            slug,
            {"meeting_id": meeting[0], "participant": _person(participant)},
        )

    def _left(
        self, slug: str, participant: Participant, reason: LeaveReason, remaining: int
    ) -> None:
        meeting = self._meetings.get(slug)
        if meeting is None:
            return
        self._webhooks.emit(
            "participant.left",
            slug,
            {"meeting_id": meeting[0], "participant": _person(participant), "reason": reason},
        )
        if remaining == 0:
            del self._meetings[slug]
            ended = datetime.now(UTC)
            self._webhooks.emit(
                "meeting.ended",
                slug,
                {
                    "meeting_id": meeting[0],
                    "started_at": _iso(meeting[1]),
                    "ended_at": _iso(ended),
                    "duration_s": round((ended - meeting[1]).total_seconds()),
                },
            )


def _person(participant: Participant) -> dict[str, Any]:
    """What endpoints learn about someone: never an address, a cookie or a token."""
    user = participant.visitor.user
    return {
        "id": participant.id,
        "name": participant.name,
        "signed_in": user is not None,
        "user_id": user.id if user else None,
    }


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
