"""What Visio tells webhook endpoints: the event types and the JSON each one carries.

Every body is ``{"type": ..., "timestamp": ..., "data": {...}}`` (the Standard Webhooks shape).
Events about people carry their display name, whether they were signed in, and their Visio user
id when they were; never an address, a cookie or a token.
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime
from typing import Any, Final, Literal, get_args

EventType = Literal[
    "meeting.started",
    "meeting.ended",
    "participant.joined",
    "participant.left",
    "recording.ready",
    "transcript.ready",
]
EVENT_TYPES: Final[tuple[EventType, ...]] = get_args(EventType)
TEST_EVENT: Final = "webhook.test"
"""Sent by "send a test event", to that endpoint only, whatever it subscribed to."""


def new_message_id() -> str:
    """A ``webhook-id``: unique per event, the same on every attempt to deliver it."""
    return "msg_" + secrets.token_urlsafe(18)


def new_meeting_id() -> str:
    return "mtg_" + secrets.token_urlsafe(12)


def body(event_type: str, occurred_at: datetime, data: dict[str, Any]) -> str:
    """The JSON sent for one event (compact; the signature covers these exact bytes)."""
    return json.dumps(
        {
            "type": event_type,
            "timestamp": occurred_at.isoformat().replace("+00:00", "Z"),
            "data": data,
        },
        separators=(",", ":"),
        ensure_ascii=False,
    )
