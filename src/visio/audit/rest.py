"""The audit trail for administrators: query it, export it as JSON lines. Nothing changes it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import AfterValidator, BaseModel

from visio.audit.trail import AuditEvent
from visio.auth.dependencies import AuditReader, container_of, origin_of
from visio.errors import ErrorReply
from visio.storage.models import MAX_ROW_ID
from visio.text import one_line

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])

REFUSALS: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorReply, "description": "not signed in"},
    403: {"model": ErrorReply, "description": "not an administrator"},
}


class AuditPage(BaseModel):
    events: list[AuditEvent]
    next_after_id: int | None


@router.get("/events", response_model=AuditPage, responses=REFUSALS)
async def list_events(
    request: Request,
    session: AuditReader,
    since: datetime | None = None,
    until: datetime | None = None,
    event: Annotated[str | None, Query(), AfterValidator(one_line(64))] = None,
    actor_user_id: Annotated[int | None, Query(ge=1, le=MAX_ROW_ID)] = None,
    after_id: Annotated[int, Query(ge=0, le=MAX_ROW_ID)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> AuditPage:
    """Events in the order they happened; page with ``after_id``."""
    events = await container_of(request).audit.query(
        since=since,
        until=until,
        event=event,
        actor_user_id=actor_user_id,
        after_id=after_id,
        limit=limit,
    )
    return AuditPage(events=events, next_after_id=events[-1].id if len(events) == limit else None)


@router.get(
    "/export",
    responses={
        **REFUSALS,
        200: {"content": {"application/jsonl": {}}, "description": "one event per line"},
    },
)
async def export_events(
    request: Request,
    session: AuditReader,
    since: datetime | None = None,
    until: datetime | None = None,
) -> StreamingResponse:
    """Every event in the period as JSON lines (the export itself is audited)."""
    audit = container_of(request).audit
    await audit.record(
        "audit.exported",
        "success",
        origin_of(request),
        actor_user_id=session.user.id,
        actor=session.user.audit_label,
        provider=session.provider,
        details={
            "since": since.isoformat() if since else None,
            "until": until.isoformat() if until else None,
        },
    )

    async def lines() -> AsyncIterator[bytes]:
        async for item in audit.export(since=since, until=until):
            yield item.model_dump_json().encode() + b"\n"

    return StreamingResponse(
        lines(),
        media_type="application/jsonl",
        headers={"content-disposition": 'attachment; filename="visio-audit.jsonl"'},
    )
