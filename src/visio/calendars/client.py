"""A CalDAV client (RFC 4791) over httpx: the few WebDAV requests Visio needs, made right.

Why not the ``caldav`` package: it is synchronous (it would need a thread per request on this
async server) and it makes its own HTTP connections, where the guard against SSRF in
:mod:`visio.calendars.addresses` must sit. What Visio needs is small and well specified: PUT
with ``If-None-Match``/``If-Match``, GET, DELETE, a ``calendar-query`` REPORT, PROPFIND and
MKCALENDAR.

Recurrences are expanded here, with ``recurring-ical-events``, not by the server
(``<C:expand>``): RFC 4791 has the server return expanded occurrences in UTC, which loses the
event's time zone that people read their meetings in, and servers differ in how well they do it.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, urljoin
from xml.etree.ElementTree import Element

import httpx
from defusedxml import ElementTree

from visio.calendars.account import CalendarAccount
from visio.calendars.errors import CalendarError
from visio.calendars.ical import Occurrence, calendar_resource, occurrences
from visio.edge.outbound import RefusedAddress

logger = logging.getLogger(__name__)

DAV = "{DAV:}"
CALDAV = "{urn:ietf:params:xml:ns:caldav}"
MAX_RESPONSE_BYTES = 8 * 1024 * 1024
"""The most Visio reads of one answer; a larger one is refused (a calendar of years of events
is queried by time range, so this is far above what a month of meetings takes)."""
MAX_OCCURRENCES = 500
PUT_ATTEMPTS = 3
"""Writes of an event that changed in between (``412``) tried again with the fresh ETag."""

PROPFIND_CALENDAR = b"""<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:resourcetype/><D:displayname/><C:supported-calendar-component-set/></D:prop>
</D:propfind>"""

MKCALENDAR = b"""<?xml version="1.0" encoding="utf-8"?>
<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:set><D:prop>
    <D:displayname>Visio</D:displayname>
    <C:supported-calendar-component-set><C:comp name="VEVENT"/></C:supported-calendar-component-set>
  </D:prop></D:set>
</C:mkcalendar>"""

CALENDAR_QUERY = """<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:getetag/><C:calendar-data/></D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">
    <C:time-range start="{start}" end="{end}"/>
  </C:comp-filter></C:comp-filter></C:filter>
</C:calendar-query>"""


@dataclass(frozen=True)
class StoredEvent:
    """An event as the calendar server holds it."""

    uid: str
    url: str
    etag: str | None
    """The server's version of the resource (None when the server gave none on a write)."""
    ics: str


@dataclass(frozen=True)
class Answer:
    """A calendar server's answer, its body read in full."""

    status_code: int
    headers: httpx.Headers
    body: bytes
    host: str


@dataclass(frozen=True)
class CalendarInfo:
    """What ``check`` found at a calendar URL."""

    url: str
    display_name: str | None
    supports_events: bool


def event_url(account: CalendarAccount, uid: str) -> str:
    """Where the event ``uid`` lives in the account's collection (``<uid>.ics``, the UID
    percent-encoded so that it stays one path segment)."""
    return urljoin(account.url, quote(uid, safe="@-_.") + ".ics")


def _utc_stamp(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("calendar queries need aware datetimes")
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


class CalDavClient:
    """Reads and writes events in CalDAV calendar collections.

    Every method raises :class:`CalendarError` and nothing else for a failure of the server,
    the network or the address guard; the HTTP client is given (see
    :func:`visio.calendars.addresses.guarded_client`)."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self._http = http

    async def put_event(
        self, account: CalendarAccount, uid: str, ics_text: str, *, etag: str | None = None
    ) -> StoredEvent:
        """Create or update the event ``uid`` from ``ics_text`` (``METHOD`` removed).

        Without ``etag``, a new event is created with ``If-None-Match: *``; when one exists,
        Visio reads its ETag and replaces it with ``If-Match``, so a change made meanwhile by
        someone else is noticed (and the write tried again, up to :data:`PUT_ATTEMPTS`). With
        ``etag``, the write happens only over that version (else ``conflict``)."""
        body = calendar_resource(uid, ics_text)
        url = event_url(account, uid)
        condition = {"if-match": etag} if etag else {"if-none-match": "*"}
        for _ in range(PUT_ATTEMPTS):
            response = await self._send(
                account,
                "PUT",
                url,
                headers={"content-type": "text/calendar; charset=utf-8", **condition},
                content=body,
            )
            if response.status_code in (200, 201, 204):
                return StoredEvent(uid, url, response.headers.get("etag"), body.decode("utf-8"))
            if response.status_code != 412 or etag is not None:
                raise self._failure(response, "writing the event")
            current = await self.get_event(account, uid)
            if current is None or current.etag is None:
                condition = {"if-none-match": "*"}
            else:
                condition = {"if-match": current.etag}
        raise CalendarError(
            "conflict", f"the event {uid} kept changing on the server while Visio wrote it"
        )

    async def get_event(self, account: CalendarAccount, uid: str) -> StoredEvent | None:
        """The event ``uid`` as stored, or None when the calendar has no such event."""
        url = event_url(account, uid)
        response = await self._send(account, "GET", url)
        if response.status_code in (404, 410):
            return None
        if response.status_code != 200:
            raise self._failure(response, "reading the event")
        return StoredEvent(
            uid, url, response.headers.get("etag"), response.body.decode("utf-8", "replace")
        )

    async def delete_event(
        self, account: CalendarAccount, uid: str, *, etag: str | None = None
    ) -> bool:
        """Delete the event ``uid``; return False when it was already gone. With ``etag``,
        only that version is deleted (else ``conflict``)."""
        headers = {"if-match": etag} if etag else {}
        response = await self._send(account, "DELETE", event_url(account, uid), headers=headers)
        if response.status_code in (404, 410):
            return False
        if response.status_code not in (200, 202, 204):
            raise self._failure(response, "deleting the event")
        return True

    async def upcoming(
        self,
        account: CalendarAccount,
        start: datetime,
        end: datetime,
        *,
        limit: int = MAX_OCCURRENCES,
    ) -> list[Occurrence]:
        """The occurrences of the calendar's events that overlap [``start``, ``end``),
        earliest first: the server finds the events (a ``calendar-query`` with a time range),
        Visio expands their recurrences in their own time zones."""
        body = CALENDAR_QUERY.format(start=_utc_stamp(start), end=_utc_stamp(end)).encode()
        response = await self._send(
            account,
            "REPORT",
            account.url,
            headers={"depth": "1", "content-type": "application/xml; charset=utf-8"},
            content=body,
        )
        if response.status_code != 207:
            raise self._failure(response, "listing the events")
        resources = [
            data.text
            for data in self._multistatus(response).iter(f"{CALDAV}calendar-data")
            if data.text
        ]
        # Parsing and expanding a month of a busy calendar takes CPU: off the event loop.
        return await asyncio.to_thread(
            occurrences, resources, start, end, min(limit, MAX_OCCURRENCES)
        )

    async def check(self, account: CalendarAccount) -> CalendarInfo:
        """Sign in and look at the calendar collection: raise :class:`CalendarError` when it
        cannot be reached, the credentials are refused or the URL is not a calendar."""
        response = await self._send(
            account,
            "PROPFIND",
            account.url,
            headers={"depth": "0", "content-type": "application/xml; charset=utf-8"},
            content=PROPFIND_CALENDAR,
        )
        if response.status_code != 207:
            raise self._failure(response, "opening the calendar")
        root = self._multistatus(response)
        if root.find(f".//{DAV}resourcetype/{CALDAV}calendar") is None:
            raise CalendarError(
                "not_a_calendar",
                "this URL is not a calendar collection; give the URL of the calendar itself",
            )
        name = root.find(f".//{DAV}displayname")
        components = root.findall(f".//{CALDAV}supported-calendar-component-set/{CALDAV}comp")
        return CalendarInfo(
            url=account.url,
            display_name=(name.text or None) if name is not None else None,
            # A server that does not say supports every component (RFC 4791 section 5.2.3).
            supports_events=not components
            or any(comp.get("name") == "VEVENT" for comp in components),
        )

    async def reach(self, account: CalendarAccount, *, signed_in: bool = True) -> None:
        """Sign in at the account's URL (any WebDAV collection: a server's root or a person's
        home) and get an answer: raise :class:`CalendarError` otherwise. With ``signed_in``
        False, a refusal of the credentials counts as an answer (the server is there)."""
        response = await self._send(
            account,
            "PROPFIND",
            account.url,
            headers={"depth": "0", "content-type": "application/xml; charset=utf-8"},
            content=PROPFIND_CALENDAR,
        )
        if response.status_code == 207 or (
            not signed_in and response.status_code in (401, 403, 404)
        ):
            return
        raise self._failure(response, "opening the server")

    async def create_calendar(self, account: CalendarAccount) -> None:
        """Make the account's calendar collection (MKCALENDAR), for deployments whose URL
        template names a calendar that Visio creates on first use."""
        response = await self._send(
            account,
            "MKCALENDAR",
            account.url,
            headers={"content-type": "application/xml; charset=utf-8"},
            content=MKCALENDAR,
        )
        if response.status_code not in (200, 201):
            raise self._failure(response, "creating the calendar")

    async def _send(
        self,
        account: CalendarAccount,
        method: str,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        content: bytes | None = None,
    ) -> Answer:
        """One request and its answer, read (decompressed) up to :data:`MAX_RESPONSE_BYTES`;
        network failures become :class:`CalendarError`."""
        request = self._http.build_request(method, url, headers=headers, content=content)
        auth = httpx.BasicAuth(account.username, account.password.get_secret_value())
        host = request.url.host
        try:
            response = await self._http.send(request, auth=auth, stream=True)
            try:
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > MAX_RESPONSE_BYTES:
                        raise CalendarError(
                            "bad_response",
                            f"the calendar server at {host} sent more than "
                            f"{MAX_RESPONSE_BYTES} bytes",
                        )
            finally:
                await response.aclose()
        except httpx.TimeoutException:
            raise CalendarError(
                "timeout", f"the calendar server at {host} did not answer in time"
            ) from None
        except httpx.TransportError as exc:
            if isinstance(exc.__cause__, RefusedAddress):
                raise CalendarError("refused_address", str(exc.__cause__)) from None
            raise CalendarError(
                "unreachable", f"cannot reach the calendar server at {host} ({exc})"
            ) from None
        return Answer(response.status_code, response.headers, bytes(body), host)

    @staticmethod
    def _multistatus(response: Answer) -> Element:
        try:
            root: Element = ElementTree.fromstring(response.body)
        except ElementTree.ParseError as exc:
            raise CalendarError(
                "bad_response", f"the calendar server sent invalid XML ({exc})"
            ) from None
        except Exception as exc:  # defusedxml refuses entities and DTDs with its own errors
            raise CalendarError(
                "bad_response", f"the calendar server sent XML Visio does not read ({exc})"
            ) from None
        if root.tag != f"{DAV}multistatus":
            raise CalendarError("bad_response", "the calendar server's answer is not a multistatus")
        return root

    @staticmethod
    def _failure(response: Answer, doing: str) -> CalendarError:
        """The error for an answer that is not what ``doing`` expected."""
        status = response.status_code
        host = response.host
        if status == 401:
            return CalendarError(
                "unauthorised",
                f"the calendar server at {host} refused the user name or password; "
                "check them (an app password may be needed)",
            )
        if status == 403:
            return CalendarError(
                "forbidden", f"the calendar server at {host} forbids {doing} to this account"
            )
        if status in (404, 409, 410):
            return CalendarError(
                "not_found", f"the calendar server at {host} has no calendar at this URL"
            )
        if status == 412:
            return CalendarError(
                "conflict", "the event changed on the calendar server since Visio last read it"
            )
        if status in (400, 415, 422):
            return CalendarError(
                "invalid_event", f"the calendar server at {host} refused the event ({status})"
            )
        if 300 <= status < 400:
            location = response.headers.get("location", "")[:200]
            return CalendarError(
                "bad_response",
                f"the calendar server at {host} redirects to {location!r}; use that URL",
            )
        if status >= 500:
            return CalendarError(
                "server_error", f"the calendar server at {host} failed ({status}) while {doing}"
            )
        return CalendarError(
            "bad_response", f"unexpected answer {status} from {host} while {doing}"
        )
