"""REST routes for webhooks: thin handlers that parse, delegate and shape the reply.

The same routes exist for a room (``/api/v1/rooms/{slug}/webhooks``, its owners and
administrators) and for the whole deployment (``/api/v1/webhooks``, this Visio's
administrators). API tokens need the ``webhooks:write`` scope.
"""

# No ``from __future__ import annotations``: the routes are made inside a function, and FastAPI
# must see their annotations (which name that function's ``scope``) as objects, not strings.
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Request, Response
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, StrictStr

from visio.auth.dependencies import WebhooksManager, container_of, origin_of
from visio.errors import ErrorReply
from visio.rooms.rest import room_slug
from visio.storage.models import MAX_ROW_ID
from visio.text import one_line
from visio.webhooks.events import EVENT_TYPES, EventType
from visio.webhooks.service import MAX_URL_LENGTH, WebhookAdministration
from visio.webhooks.store import Delivery, Endpoint

Description = Annotated[str, AfterValidator(one_line(200))]
WebhookUrl = Annotated[StrictStr, Field(min_length=1, max_length=MAX_URL_LENGTH)]
EventTypes = Annotated[list[EventType], Field(min_length=1, max_length=len(EVENT_TYPES))]
RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: WebhookUrl
    """An https:// address on the public Internet."""
    event_types: EventTypes
    description: Description | None = None


class WebhookChange(BaseModel):
    """Fields to change; those left out stay as they are."""

    model_config = ConfigDict(extra="forbid")
    url: WebhookUrl | None = None
    event_types: EventTypes | None = None
    description: Description | None = None
    enabled: StrictBool | None = None


class WebhookInfo(BaseModel):
    id: int
    url: str
    description: str | None
    event_types: list[EventType]
    enabled: bool
    failing: bool
    """Several attempts in a row failed (the delivery log says why)."""
    consecutive_failures: int
    created_at: datetime
    last_success_at: datetime | None
    last_failure_at: datetime | None


class WebhookCreated(WebhookInfo):
    secret: str
    """The signing secret (``whsec_...``), shown this once: keep it in the receiver."""


class WebhookList(BaseModel):
    webhooks: list[WebhookInfo]
    event_types: list[EventType]
    """The event types an endpoint may ask for."""


class AttemptInfo(BaseModel):
    attempted_at: datetime
    status_code: int | None
    duration_ms: int
    error: str | None


class DeliveryInfo(BaseModel):
    id: int
    message_id: str
    """The ``webhook-id`` header sent."""
    event_type: str
    status: str
    """``pending`` (waiting for its next attempt), ``delivered`` or ``failed`` (given up)."""
    created_at: datetime
    next_attempt_at: datetime | None
    attempts: list[AttemptInfo]


class DeliveryList(BaseModel):
    deliveries: list[DeliveryInfo]


def _info(endpoint: Endpoint) -> dict[str, Any]:
    return {
        "id": endpoint.id,
        "url": endpoint.url,
        "description": endpoint.description,
        "event_types": endpoint.event_types,
        "enabled": endpoint.enabled,
        "failing": endpoint.failing,
        "consecutive_failures": endpoint.consecutive_failures,
        "created_at": endpoint.created_at,
        "last_success_at": endpoint.last_success_at,
        "last_failure_at": endpoint.last_failure_at,
    }


def _delivery(delivery: Delivery) -> DeliveryInfo:
    return DeliveryInfo(
        id=delivery.id,
        message_id=delivery.message_id,
        event_type=delivery.event_type,
        status=delivery.status,
        created_at=delivery.created_at,
        next_attempt_at=delivery.next_attempt_at,
        attempts=[
            AttemptInfo(
                attempted_at=a.attempted_at,
                status_code=a.status_code,
                duration_ms=a.duration_ms,
                error=a.error,
            )
            for a in delivery.attempts
        ],
    )


def _webhooks(request: Request) -> WebhookAdministration:
    return container_of(request).webhook_administration


def _deployment() -> None:
    return None


_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorReply, "description": "not signed in"},
    403: {"model": ErrorReply, "description": "refused (CSRF, scope, or the room's policy)"},
    404: {"model": ErrorReply, "description": "no such room or webhook"},
    422: {"model": ErrorReply, "description": "invalid URL, refused address, unknown event"},
}

router = APIRouter(prefix="/api/v1", tags=["webhooks"])


def _add_routes(prefix: str, scope: Callable[..., str | None], whose: str) -> None:
    """The webhook routes under ``prefix``; ``scope`` gives the room's slug, or None."""
    Scope = Annotated[str | None, Depends(scope)]

    @router.get(prefix, response_model=WebhookList, responses=_ERRORS, summary=f"List {whose}")
    async def list_webhooks(slug: Scope, request: Request, session: WebhooksManager) -> Any:
        found = await _webhooks(request).endpoints(
            session.user if session else None, slug, origin_of(request)
        )
        return WebhookList(
            webhooks=[WebhookInfo(**_info(e)) for e in found], event_types=list(EVENT_TYPES)
        )

    @router.post(
        prefix,
        status_code=201,
        response_model=WebhookCreated,
        responses={**_ERRORS, 409: {"model": ErrorReply, "description": "too many webhooks"}},
        summary=f"Register one of {whose}",
    )
    async def create_webhook(
        slug: Scope, body: WebhookCreate, request: Request, session: WebhooksManager
    ) -> Any:
        """Register an endpoint; the answer holds its signing secret, shown this once."""
        endpoint, secret = await _webhooks(request).create(
            session.user if session else None,
            slug,
            body.url,
            list(body.event_types),
            body.description,
            origin_of(request),
        )
        return WebhookCreated(**_info(endpoint), secret=secret)

    @router.patch(
        f"{prefix}/{{webhook_id}}",
        response_model=WebhookInfo,
        responses=_ERRORS,
        summary=f"Change one of {whose}",
    )
    async def change_webhook(
        slug: Scope,
        webhook_id: RowId,
        body: WebhookChange,
        request: Request,
        session: WebhooksManager,
    ) -> Any:
        """Change the URL, the events, the description, or turn the endpoint off and on."""
        endpoint = await _webhooks(request).change(
            session.user if session else None,
            slug,
            webhook_id,
            origin_of(request),
            url=body.url,
            event_types=list(body.event_types) if body.event_types is not None else None,
            description=body.description,
            enabled=body.enabled,
        )
        return WebhookInfo(**_info(endpoint))

    @router.delete(
        f"{prefix}/{{webhook_id}}",
        status_code=204,
        responses=_ERRORS,
        summary=f"Delete one of {whose}",
    )
    async def delete_webhook(
        slug: Scope, webhook_id: RowId, request: Request, session: WebhooksManager
    ) -> Response:
        """Delete the endpoint and its delivery log; nothing more is sent to it."""
        await _webhooks(request).delete(
            session.user if session else None, slug, webhook_id, origin_of(request)
        )
        return Response(status_code=204)

    @router.post(
        f"{prefix}/{{webhook_id}}/secret",
        response_model=WebhookCreated,
        responses=_ERRORS,
        summary=f"Rotate the secret of one of {whose}",
    )
    async def rotate_webhook_secret(
        slug: Scope, webhook_id: RowId, request: Request, session: WebhooksManager
    ) -> Any:
        """A new signing secret, shown this once; the old one stops signing at once."""
        endpoint, secret = await _webhooks(request).rotate_secret(
            session.user if session else None, slug, webhook_id, origin_of(request)
        )
        return WebhookCreated(**_info(endpoint), secret=secret)

    @router.post(
        f"{prefix}/{{webhook_id}}/test",
        status_code=202,
        responses=_ERRORS,
        summary=f"Send a test event to one of {whose}",
    )
    async def test_webhook(
        slug: Scope,
        webhook_id: RowId,
        request: Request,
        session: WebhooksManager,
        _body: Annotated[dict[str, Any] | None, Body()] = None,
    ) -> Response:
        """Queue a ``webhook.test`` event for this endpoint; the log shows how it went."""
        await _webhooks(request).send_test(
            session.user if session else None, slug, webhook_id, origin_of(request)
        )
        return Response(status_code=202)

    @router.get(
        f"{prefix}/{{webhook_id}}/deliveries",
        response_model=DeliveryList,
        responses=_ERRORS,
        summary=f"The delivery log of one of {whose}",
    )
    async def list_webhook_deliveries(
        slug: Scope, webhook_id: RowId, request: Request, session: WebhooksManager
    ) -> Any:
        """The latest deliveries, newest first, with every attempt (never the secret)."""
        found = await _webhooks(request).deliveries(
            session.user if session else None, slug, webhook_id, origin_of(request)
        )
        return DeliveryList(deliveries=[_delivery(d) for d in found])

    @router.post(
        f"{prefix}/{{webhook_id}}/deliveries/{{delivery_id}}/redeliver",
        status_code=202,
        responses=_ERRORS,
        summary=f"Send a delivery of one of {whose} again",
    )
    async def redeliver_webhook(
        slug: Scope,
        webhook_id: RowId,
        delivery_id: RowId,
        request: Request,
        session: WebhooksManager,
    ) -> Response:
        """Queue the same event (same ``webhook-id``) for this endpoint again."""
        await _webhooks(request).redeliver(
            session.user if session else None, slug, webhook_id, delivery_id, origin_of(request)
        )
        return Response(status_code=202)


_add_routes("/rooms/{slug}/webhooks", room_slug, "a room's webhooks")
_add_routes("/webhooks", _deployment, "the deployment's webhooks")
