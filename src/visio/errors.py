"""REST errors, in one place: what routes raise, and the ``{"error": {"code", "message"}}`` reply
every refusal of the HTTP API carries (app.py turns raised problems into it)."""

from __future__ import annotations

from fastapi.responses import JSONResponse
from pydantic import BaseModel


class ApiProblem(Exception):
    """A request refused with an HTTP status, a stable code and a message for people."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorReply(BaseModel):
    """The body of every refusal of the HTTP API."""

    error: ErrorBody


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    """A refusal as the API sends it: ``{"error": {"code": ..., "message": ...}}``.

    A message may quote what the client sent; a lone surrogate in it is written as an escape
    (JSON cannot carry it, and the reply must not fail)."""
    message = message.encode("utf-8", "backslashreplace").decode("utf-8")
    return JSONResponse(
        ErrorReply(error=ErrorBody(code=code, message=message)).model_dump(),
        status_code=status,
        headers=headers,
    )
