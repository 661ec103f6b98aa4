"""Keeps sign-in secrets out of the logs: the access log of /auth/ drops query strings.

The provider's callback carries the authorization code and state in its query string, which
uvicorn's access log would otherwise print.
"""

from __future__ import annotations

import logging


class RedactAuthQueries(logging.Filter):
    """For uvicorn's access log records: ``/auth/x/callback?code=...`` → ``/auth/x/callback?…``."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            path = args[2]
            if path.startswith("/auth/") and "?" in path:
                record.args = (*args[:2], path.split("?", 1)[0] + "?[redacted]", *args[3:])
        return True
