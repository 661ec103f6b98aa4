"""Whose calendar, where: the collection URL and the credentials Visio signs in with."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import SecretStr

AccountSource = Literal["personal", "deployment"]


@dataclass(frozen=True)
class CalendarAccount:
    """A calendar collection on a CalDAV server and how to sign in to it (HTTP Basic).

    ``source`` says who configured it: the person themselves (``personal``: their URL and app
    password from their settings) or the operator (``deployment``: VISIO_CALDAV_URL filled in
    with the person's e-mail, and the service account). The password is a ``SecretStr`` so
    that no ``repr`` or log line shows it."""

    url: str
    username: str
    password: SecretStr
    source: AccountSource
