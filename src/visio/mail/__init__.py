"""Visio's mail: messages in French and English sent through the operator's SMTP server, by way
of a durable outbox (retried with back-off, nothing lost on restart)."""

from visio.mail.mailer import Mailer
from visio.mail.message import CalendarPart, Recipient, RenderedMail, compose
from visio.mail.outbox import Outbox, OutboxEntry, OutgoingMail
from visio.mail.templates import Language, render
from visio.mail.transport import MailError, MailTransport, SmtpTransport

__all__ = [
    "CalendarPart",
    "Language",
    "MailError",
    "MailTransport",
    "Mailer",
    "Outbox",
    "OutboxEntry",
    "OutgoingMail",
    "Recipient",
    "RenderedMail",
    "SmtpTransport",
    "compose",
    "render",
]
