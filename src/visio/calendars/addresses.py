"""Which calendar servers Visio may talk to: URL checks, and the shared SSRF guard
(:mod:`visio.edge.outbound`) with the calendars' own setting.

A calendar URL comes from a person (their own calendar) or from the operator (a template with
``{email}``). Visio then makes requests to it from inside the operator's network, so a hostile
URL could reach services that are not meant to be reachable (``http://169.254.169.254/``, an
admin port on loopback). Two checks stop that:

- :func:`check_calendar_url` refuses, before anything is stored, URLs that are not https (unless
  ``VISIO_CALDAV_ALLOW_HTTP``), that carry credentials, a query or a fragment, or that name an
  IP address the guard refuses;
- :func:`guarded_client` connects through the guard, which resolves every host name when a
  connection opens, refuses it when any address is not public (unless
  ``VISIO_CALDAV_ALLOW_PRIVATE``; cloud metadata stays refused even then), and connects to the
  address it checked. Redirects are never followed.
"""

from __future__ import annotations

import re
from urllib.parse import quote

import httpx

from visio.calendars.errors import CalendarError
from visio.edge.outbound import OutboundGuard, ip_literal
from visio.edge.outbound import guarded_client as outbound_client

MAX_URL_LENGTH = 2000
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
TEMPLATE_FIELDS = frozenset({"email", "user"})


def calendar_guard(allow_private: bool) -> OutboundGuard:
    """The guard calendar URLs and connections to calendar servers are checked with."""
    return OutboundGuard(
        allow_private,
        hint="Visio reaches calendar servers at public addresses only "
        "(VISIO_CALDAV_ALLOW_PRIVATE opens non-public addresses)",
    )


def check_calendar_url(url: str, *, allow_http: bool, allow_private: bool) -> str:
    """The calendar collection URL ``url``, normalised to end with ``/``; raise
    :class:`CalendarError` (``invalid_url`` or ``refused_address``) saying what is wrong."""
    if len(url) > MAX_URL_LENGTH:
        raise CalendarError("invalid_url", f"the calendar URL is longer than {MAX_URL_LENGTH}")
    if not url.isprintable() or any(char.isspace() for char in url):
        raise CalendarError("invalid_url", "the calendar URL must not contain spaces or controls")
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise CalendarError("invalid_url", f"the calendar URL is not a URL ({exc})") from None
    schemes = ("https", "http") if allow_http else ("https",)
    if parsed.scheme not in schemes:
        raise CalendarError(
            "invalid_url",
            "the calendar URL must start with https://"
            if not allow_http
            else "the calendar URL must start with https:// or http://",
        )
    if not parsed.host:
        raise CalendarError("invalid_url", "the calendar URL has no host name")
    if parsed.userinfo:
        raise CalendarError(
            "invalid_url", "put the user name and password in their own fields, not in the URL"
        )
    if parsed.query or parsed.fragment:
        raise CalendarError("invalid_url", "the calendar URL must not have a ?query or #fragment")
    address = ip_literal(parsed.host)
    refused = None if address is None else calendar_guard(allow_private).refusal(address)
    if refused is not None:
        raise CalendarError("refused_address", refused)
    text = str(parsed)
    return text if text.endswith("/") else text + "/"


def check_url_template(template: str) -> str:
    """The operator's VISIO_CALDAV_URL, checked: only ``{email}`` and ``{user}`` placeholders,
    and a URL once they are filled in (the address policy applies when it is used)."""
    for name in _PLACEHOLDER.findall(template):
        if name not in TEMPLATE_FIELDS:
            raise ValueError(f"{{{name}}} is not a placeholder; use {{email}} or {{user}}")
    try:
        check_calendar_url(
            fill_template(template, "someone@example.org"), allow_http=True, allow_private=True
        )
    except CalendarError as exc:
        raise ValueError(exc.message) from None
    return template


def fill_template(template: str, email: str) -> str:
    """The calendar URL of the person with this e-mail address (percent-encoded into the path,
    so an address cannot add path segments)."""
    user = email.partition("@")[0]
    return template.replace("{email}", quote(email, safe="@+")).replace(
        "{user}", quote(user, safe="+")
    )


def fill_username(template: str, email: str) -> str:
    """The user name to sign in with for this person: ``{email}`` and ``{user}`` filled in as
    they are (La Suite's calendar takes the person's e-mail with a service token as password)."""
    return template.replace("{email}", email).replace("{user}", email.partition("@")[0])


def has_placeholder(text: str) -> bool:
    return any(f"{{{name}}}" in text for name in TEMPLATE_FIELDS)


def guarded_client(*, allow_private: bool, timeout: float) -> httpx.AsyncClient:
    """The HTTP client for calendar servers: through the guard, no redirects, no proxy from the
    environment, no cookies kept between people (each request sends its own credentials)."""
    return outbound_client(calendar_guard(allow_private), timeout=timeout)
