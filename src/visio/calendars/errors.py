"""What can go wrong with a calendar server, as one exception with a stable reason code.

The reason is what the web app translates for the person who can act on it (their URL, their
password) and what an operator greps in the logs; the message is a plain English sentence for
logs and API clients. Neither ever holds a password.
"""

from __future__ import annotations

from typing import Literal

CalendarFailure = Literal[
    "invalid_url",
    "refused_address",
    "unreachable",
    "timeout",
    "unauthorised",
    "forbidden",
    "not_found",
    "not_a_calendar",
    "conflict",
    "invalid_event",
    "server_error",
    "bad_response",
    "rate_limited",
]

TRANSIENT_FAILURES: frozenset[CalendarFailure] = frozenset(
    {"unreachable", "timeout", "server_error"}
)
"""Failures that may pass by themselves: worth trying the same request again later."""


class CalendarError(Exception):
    """A calendar request that failed: ``reason`` says why, ``message`` says it for people."""

    def __init__(self, reason: CalendarFailure, message: str) -> None:
        super().__init__(message)
        self.reason: CalendarFailure = reason
        self.message = message

    @property
    def transient(self) -> bool:
        return self.reason in TRANSIENT_FAILURES
