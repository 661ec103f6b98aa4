"""Errors that API routes raise; app.py turns them into ``{"error": {"code", "message"}}``."""

from __future__ import annotations


class ApiProblem(Exception):
    """A request refused with an HTTP status, a stable code and a message for people."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
