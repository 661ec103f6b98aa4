"""``visio check`` for calendars: can Visio reach the deployment's calendar server and sign in?"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import SecretStr

from visio.calendars.account import CalendarAccount
from visio.calendars.addresses import check_calendar_url, guarded_client, has_placeholder
from visio.calendars.client import CalDavClient
from visio.calendars.errors import CalendarError
from visio.settings import Settings


@dataclass(frozen=True)
class CheckLine:
    ok: bool
    what: str
    fix: str = ""


def _fix(failure: CalendarError) -> str:
    return {
        "unauthorised": "check VISIO_CALDAV_USERNAME and VISIO_CALDAV_PASSWORD",
        "refused_address": "a server on this network needs VISIO_CALDAV_ALLOW_PRIVATE=true",
        "invalid_url": "fix VISIO_CALDAV_URL",
    }.get(failure.reason, "check VISIO_CALDAV_URL and that the server is up")


async def check_calendars(settings: Settings) -> list[CheckLine]:
    """What ``visio check`` reports about VISIO_CALDAV_*: nothing when no calendar is set up.

    With a template (``{email}``), the part before the first placeholder is what can be checked
    without a person: the server must answer there and accept the service account."""
    lines = []
    if settings.caldav_encryption_key:
        lines.append(CheckLine(True, "people may connect their own calendar (CalDAV)"))
    if not settings.caldav_url:
        return lines
    template = settings.caldav_url
    placeholder = min(
        (i for i in (template.find("{email}"), template.find("{user}")) if i >= 0),
        default=-1,
    )
    base = template if placeholder < 0 else template[:placeholder]
    base = base[: base.rfind("/") + 1] if placeholder >= 0 else base
    try:
        url = check_calendar_url(
            base, allow_http=settings.caldav_allow_http, allow_private=settings.caldav_allow_private
        )
    except CalendarError as exc:
        return [*lines, CheckLine(False, f"calendar server {base}: {exc.message}", _fix(exc))]
    account = CalendarAccount(
        url,
        settings.caldav_username or "",
        settings.caldav_password or SecretStr(""),
        "deployment",
    )
    async with guarded_client(
        allow_private=settings.caldav_allow_private, timeout=settings.caldav_timeout_seconds
    ) as http:
        client = CalDavClient(http)
        try:
            if has_placeholder(account.username):
                # The user name is each person's (La Suite's calendar): only people can sign in.
                await client.reach(account, signed_in=False)
                what = f"calendar server at {url} answers (sign-in is checked per person)"
            elif placeholder < 0:
                info = await client.check(account)
                what = f"calendar {url} ({info.display_name or 'no name'}) takes events"
            else:
                await client.reach(account)
                what = f"calendar server at {url} answers and accepts VISIO_CALDAV_USERNAME"
        except CalendarError as exc:
            return [*lines, CheckLine(False, f"calendar server {url}: {exc.message}", _fix(exc))]
    return [*lines, CheckLine(True, what)]
