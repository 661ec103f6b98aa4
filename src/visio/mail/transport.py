"""Handing a message to the operator's SMTP server (aiosmtplib): STARTTLS or TLS, and
authentication when a username is set. The password is never logged nor put in an error."""

from __future__ import annotations

import ssl
from email.message import EmailMessage
from email.utils import parseaddr
from typing import Protocol

import aiosmtplib

from visio.settings import Settings


class MailError(Exception):
    """The SMTP server did not take the message. ``permanent`` when trying again cannot help
    (a 5xx answer: unknown recipient, refused sender); the message says why, without secrets."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


class MailTransport(Protocol):
    async def send(self, message: EmailMessage, recipient: str) -> None: ...


def _reason(exc: Exception) -> str:
    """What went wrong, for a log line: the exception's kind and the server's words."""
    text = str(exc).replace("\r", " ").replace("\n", " ")
    return f"{type(exc).__name__}: {text}"[:400]


class SmtpTransport:
    """Sends through VISIO_SMTP_HOST with the security and credentials the settings give."""

    def __init__(self, settings: Settings) -> None:
        if settings.smtp_host is None or settings.smtp_from is None:
            raise ValueError("no SMTP server is configured (VISIO_SMTP_HOST, VISIO_SMTP_FROM)")
        self._settings = settings
        self._host = settings.smtp_host
        self.sender = parseaddr(settings.smtp_from)[1]

    def _tls_context(self) -> ssl.SSLContext:
        ca_file = self._settings.smtp_ca_file
        return ssl.create_default_context(cafile=str(ca_file) if ca_file else None)

    def _options(self) -> dict[str, object]:
        settings = self._settings
        security = settings.smtp_security
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        return {
            "hostname": self._host,
            "port": settings.effective_smtp_port,
            "use_tls": security == "tls",
            "start_tls": security == "starttls",
            "tls_context": self._tls_context() if security != "none" else None,
            "username": settings.smtp_username,
            "password": password,
            "timeout": settings.smtp_timeout_seconds,
        }

    async def send(self, message: EmailMessage, recipient: str) -> None:
        """Deliver ``message`` to one recipient; raise :class:`MailError` if the server does
        not take it."""
        try:
            await aiosmtplib.send(
                message,
                sender=self.sender,
                recipients=[recipient],
                **self._options(),  # type: ignore[arg-type]
            )
        except aiosmtplib.SMTPAuthenticationError as exc:
            # Visio's own credentials are wrong: the operator fixes them, then the message goes
            raise MailError(_reason(exc), permanent=False) from None
        except aiosmtplib.SMTPResponseException as exc:
            raise MailError(_reason(exc), permanent=500 <= exc.code < 600) from None
        except aiosmtplib.SMTPRecipientsRefused as exc:
            permanent = all(500 <= e.code < 600 for e in exc.recipients)
            raise MailError(_reason(exc), permanent=permanent) from None
        except (aiosmtplib.SMTPException, OSError, ssl.SSLError) as exc:
            raise MailError(_reason(exc), permanent=False) from None

    async def check(self) -> None:
        """Connect, secure the connection and log in as ``send`` would, without sending:
        ``visio check`` uses it. Raises :class:`MailError`."""
        options = self._options()
        client = aiosmtplib.SMTP(
            hostname=self._host,
            port=self._settings.effective_smtp_port,
            use_tls=self._settings.smtp_security == "tls",
            start_tls=self._settings.smtp_security == "starttls",
            tls_context=options["tls_context"],  # type: ignore[arg-type]
            timeout=self._settings.smtp_timeout_seconds,
        )
        try:
            await client.connect()
            if self._settings.smtp_username and self._settings.smtp_password:
                await client.login(
                    self._settings.smtp_username,
                    self._settings.smtp_password.get_secret_value(),
                )
            await client.noop()
        except aiosmtplib.SMTPResponseException as exc:
            raise MailError(_reason(exc), permanent=500 <= exc.code < 600) from None
        except (aiosmtplib.SMTPException, OSError, ssl.SSLError) as exc:
            raise MailError(_reason(exc), permanent=False) from None
        finally:
            if client.is_connected:
                try:
                    await client.quit()
                except aiosmtplib.SMTPException:
                    client.close()
