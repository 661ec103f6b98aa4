"""Where webhooks may be sent: the shared SSRF guard (:mod:`visio.edge.outbound`) with the
webhooks' own setting, VISIO_WEBHOOKS_ALLOW_PRIVATE."""

from __future__ import annotations

from visio.edge.outbound import OutboundGuard


def webhook_guard(allow_private: bool) -> OutboundGuard:
    """The guard every webhook URL is checked with, at registration and at each delivery."""
    return OutboundGuard(
        allow_private,
        hint="webhooks reach public addresses only (VISIO_WEBHOOKS_ALLOW_PRIVATE)",
    )
