"""Messages built with the standard library's e-mail API: plain text and HTML alternatives, and
for invitations the iCalendar part (``text/calendar; method=...``) that Outlook and Thunderbird
read, plus the same calendar as an ``invite.ics`` attachment for the mail apps that want one.

Header values pass through :class:`email.message.EmailMessage`, which refuses CR and LF in
them: a name or a title can never add a header."""

from __future__ import annotations

from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str | None = None


@dataclass(frozen=True)
class CalendarPart:
    """An iCalendar object to send, and its METHOD (REQUEST, CANCEL)."""

    text: str
    method: str


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str


def compose(
    sender: str,
    to: Recipient,
    mail: RenderedMail,
    *,
    calendar: CalendarPart | None = None,
    reply_to: Recipient | None = None,
    sender_name: str | None = None,
) -> EmailMessage:
    """One message to one person."""
    message = EmailMessage()
    display, address = parseaddr(sender)
    message["From"] = Address(display_name=sender_name or display, addr_spec=address)
    message["To"] = Address(display_name=to.name or "", addr_spec=to.email)
    if reply_to is not None:
        message["Reply-To"] = Address(display_name=reply_to.name or "", addr_spec=reply_to.email)
    message["Subject"] = mail.subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain=address.rpartition("@")[2] or None)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(mail.text)
    message.add_alternative(mail.html, subtype="html")
    if calendar is not None:
        message.add_alternative(
            calendar.text, subtype="calendar", params={"method": calendar.method}
        )
        message.add_attachment(
            calendar.text.encode("utf-8"),
            maintype="application",
            subtype="ics",
            filename="invite.ics",
        )
    return message
