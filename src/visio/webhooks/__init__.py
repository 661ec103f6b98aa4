"""Webhooks: signed JSON events POSTed to endpoints that room owners and administrators
register (docs/webhooks.md). Other features call :meth:`WebhookService.emit`."""

from visio.webhooks.events import EVENT_TYPES, TEST_EVENT, EventType
from visio.webhooks.service import MeetingWebhooks, WebhookAdministration, WebhookService

__all__ = [
    "EVENT_TYPES",
    "TEST_EVENT",
    "EventType",
    "MeetingWebhooks",
    "WebhookAdministration",
    "WebhookService",
]
