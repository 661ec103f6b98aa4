"""Invitees' answers (iMIP ``METHOD:REPLY``, RFC 6047 / RFC 5546) read from an IMAP mailbox.

When the operator sets ``VISIO_IMAP_HOST``, :class:`ReplyReader` polls the mailbox: it reads
unseen messages (never more than :data:`MAX_MESSAGE_BYTES` each, at most :data:`BATCH` a poll),
finds their ``text/calendar`` parts with ``METHOD:REPLY``, and records each invitee's PARTSTAT
on the scheduled meeting the reply's UID names, when

- the ATTENDEE is one of the meeting's invitees,
- the message's From address is that ATTENDEE's (From can be forged: checking DKIM/DMARC is the
  operator's mail server's work, before the message reaches the mailbox),
- the reply's SEQUENCE is not older than the meeting's (an answer to an older version of the
  meeting says nothing about the current one).

Anything else is ignored and logged at debug. Every message read is flagged ``\\Seen``, never
deleted; a changed answer is audited (``meeting.reply``). imaplib runs in a thread."""

from __future__ import annotations

import asyncio
import email
import email.policy
import imaplib
import logging
import re
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import getaddresses

from icalendar import Calendar
from prometheus_client import CollectorRegistry, Counter

from visio.audit import AuditTrail
from visio.backoff import Backoff
from visio.scheduling.repository import MeetingRepository
from visio.settings import Settings

logger = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 1024 * 1024
"""A reply is a few kilobytes; a larger message is flagged seen and not read."""
MAX_CALENDAR_BYTES = 256 * 1024
MAX_CALENDAR_PARTS = 4
MAX_MIME_PARTS = 50
BATCH = 100
ANSWERS = frozenset({"ACCEPTED", "DECLINED", "TENTATIVE"})
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")


@dataclass(frozen=True)
class Reply:
    uid: str
    attendee: str
    partstat: str
    sequence: int


def _mailto(value: object) -> str:
    text = str(value).strip()
    if text.lower().startswith("mailto:"):
        text = text[7:]
    return text.strip().lower()


def _calendar_parts(message: EmailMessage) -> list[bytes]:
    parts: list[bytes] = []
    for count, part in enumerate(message.walk()):
        if count >= MAX_MIME_PARTS or len(parts) >= MAX_CALENDAR_PARTS:
            break
        if part.get_content_type() != "text/calendar":
            continue
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes) and len(payload) <= MAX_CALENDAR_BYTES:
            parts.append(payload)
    return parts


def replies_in(raw: bytes) -> list[Reply]:
    """The answers a message holds: the ATTENDEEs of its METHOD:REPLY events whose address is
    the message's From address. Nothing a hostile message holds raises here."""
    if len(raw) > MAX_MESSAGE_BYTES:
        return []
    try:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        senders = {a.lower() for _, a in getaddresses(message.get_all("From", [])) if a}
        if len(senders) != 1:
            return []
        found: list[Reply] = []
        for payload in _calendar_parts(message):
            calendar = Calendar.from_ical(payload)
            if str(calendar.get("METHOD", "")).upper() != "REPLY":
                continue
            for event in calendar.walk("VEVENT"):
                uid = str(event.get("UID", "")).strip()
                sequence = int(event.get("SEQUENCE", 0))
                attendees = event.get("ATTENDEE", [])
                if not isinstance(attendees, list):
                    attendees = [attendees]
                for attendee in attendees:
                    address = _mailto(attendee)
                    partstat = str(attendee.params.get("PARTSTAT", "")).upper()
                    if address in senders and partstat in ANSWERS and uid and len(uid) <= 255:
                        found.append(Reply(uid, address, partstat, sequence))
        return found
    except Exception as exc:  # hostile or broken mail: a reason to skip it, never to stop
        logger.debug("a message in the replies mailbox could not be read: %s", type(exc).__name__)
        return []


def open_mailbox(s: Settings) -> imaplib.IMAP4:
    """Log in to the replies mailbox and select it (``visio check`` calls this too)."""
    assert s.imap_host is not None and s.imap_username and s.imap_password
    context = ssl.create_default_context(
        cafile=str(s.imap_ca_file) if s.imap_ca_file else None
    )
    client: imaplib.IMAP4
    if s.imap_security == "tls":
        client = imaplib.IMAP4_SSL(
            s.imap_host, s.effective_imap_port, ssl_context=context,
            timeout=s.imap_timeout_seconds,
        )
    else:
        client = imaplib.IMAP4(
            s.imap_host, s.effective_imap_port, timeout=s.imap_timeout_seconds
        )
        client.starttls(ssl_context=context)
    try:
        client.login(s.imap_username, s.imap_password.get_secret_value())
        status, _ = client.select(f'"{s.imap_mailbox}"')
        if status != "OK":
            raise imaplib.IMAP4.error(f"mailbox {s.imap_mailbox} cannot be selected")
    except BaseException:
        client.shutdown()
        raise
    return client


MAX_BACKOFF_SECONDS = 15 * 60.0
"""The longest wait between two tries while the mailbox cannot be read."""


class ReplyReader:
    """Reads the replies mailbox: :meth:`poll_once` once, :meth:`run_forever` every
    ``VISIO_IMAP_POLL_SECONDS`` (longer and longer while it fails), counted in
    ``visio_meeting_reply_polls_total`` and ``visio_meeting_replies_recorded_total``."""

    def __init__(
        self,
        settings: Settings,
        repository: MeetingRepository,
        audit: AuditTrail,
        registry: CollectorRegistry | None = None,
    ) -> None:
        self._settings = settings
        self._repository = repository
        self._audit = audit
        self._polls = Counter(
            "visio_meeting_reply_polls",
            "Reads of the meeting replies mailbox (IMAP), by outcome (ok or failed)",
            ["outcome"],
            registry=registry,
        )
        self._recorded = Counter(
            "visio_meeting_replies_recorded",
            "Invitees' answers (iMIP REPLY) read from the mailbox that changed an attendance",
            registry=registry,
        )

    # ---- IMAP (blocking, run in a thread) ------------------------------------------------

    def _connect(self) -> imaplib.IMAP4:
        return open_mailbox(self._settings)

    def _fetch_unseen(self) -> list[tuple[str, bytes | None]]:
        """(IMAP UID, message or None when too large) of up to BATCH unseen messages."""
        client = self._connect()
        try:
            _, data = client.uid("SEARCH", "UNSEEN")
            found = data[0] if data and isinstance(data[0], bytes) else b""
            uids = [uid.decode("ascii") for uid in found.split()[:BATCH] if uid.isdigit()]
            messages: list[tuple[str, bytes | None]] = []
            for uid in uids:
                _, sized = client.uid("FETCH", uid, "(RFC822.SIZE)")
                size = _SIZE.search(sized[0] if sized and isinstance(sized[0], bytes) else b"")
                if size is None or int(size.group(1)) > MAX_MESSAGE_BYTES:
                    messages.append((uid, None))
                    continue
                _, body = client.uid("FETCH", uid, "(BODY.PEEK[])")
                raw = next((item[1] for item in body if isinstance(item, tuple)), None)
                messages.append((uid, raw if isinstance(raw, bytes) else b""))
            return messages
        finally:
            client.logout()

    def _mark_seen(self, uids: list[str]) -> None:
        if not uids:
            return
        client = self._connect()
        try:
            client.uid("STORE", ",".join(uids), "+FLAGS.SILENT", r"(\Seen)")
        finally:
            client.logout()

    # ---- the answers ---------------------------------------------------------------------

    async def _record(self, reply: Reply) -> bool:
        outcome = await self._repository.answer(
            reply.uid, reply.attendee, reply.partstat, reply.sequence
        )
        if isinstance(outcome, str):
            logger.debug("reply ignored (%s) for meeting %s", outcome, reply.uid)
            return False
        await self._audit.record(
            "meeting.reply",
            "success",
            actor=reply.attendee,
            target=outcome.room_slug,
            details={
                "meeting": outcome.public_id,
                "sequence": reply.sequence,
                "partstat": reply.partstat,
            },
        )
        return True

    async def poll_once(self) -> int:
        """Read the unseen messages once; returns how many answers were recorded."""
        messages = await asyncio.to_thread(self._fetch_unseen)
        recorded = 0
        for _, raw in messages:
            if raw is None:
                logger.debug("a message over %d bytes in the replies mailbox", MAX_MESSAGE_BYTES)
                continue
            for reply in replies_in(raw):
                recorded += await self._record(reply)
        await asyncio.to_thread(self._mark_seen, [uid for uid, _ in messages])
        return recorded

    async def run_forever(self) -> None:
        """Poll until cancelled (the container cancels it on shutdown: a poll cut short
        leaves its messages unseen, read again by the next start, and an answer recorded
        twice changes nothing). A failed poll is tried again after the poll interval, then
        twice as long each time up to :data:`MAX_BACKOFF_SECONDS`."""
        interval = self._settings.imap_poll_seconds
        backoff = Backoff(
            initial=interval, maximum=max(interval, MAX_BACKOFF_SECONDS), jitter=0.1
        )
        failing = 0
        while True:
            delay = interval
            try:
                recorded = await self.poll_once()
            except (OSError, imaplib.IMAP4.error) as exc:
                failing += 1
                delay = backoff.next_delay()
                self._polls.labels("failed").inc()
                logger.warning(
                    "the replies mailbox %s on %s could not be read (%d in a row): %s; "
                    "next try in %.0f s",
                    self._settings.imap_mailbox,
                    self._settings.imap_host,
                    failing,
                    exc,
                    delay,
                )
            except Exception:
                failing += 1
                delay = backoff.next_delay()
                self._polls.labels("failed").inc()
                logger.exception("reading the replies mailbox failed; next try in %.0f s", delay)
            else:
                self._polls.labels("ok").inc()
                self._recorded.inc(recorded)
                if failing:
                    logger.info("the replies mailbox is read again after %d failures", failing)
                failing = 0
                backoff.reset()
                if recorded:
                    logger.info("recorded %d answers to meeting invitations", recorded)
            await asyncio.sleep(delay)
