"""A real SMTP server for the tests (aiosmtpd, in a thread of its own): STARTTLS or implicit TLS
with a certificate from a throwaway authority (trustme), AUTH required, every message kept."""

from __future__ import annotations

import asyncio
import email
import ssl
import threading
import time
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Literal

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.support import free_port

USERNAME = "visio-mailer"
PASSWORD = "sm7p-Pa55word-never-logged"


@dataclass(frozen=True)
class Received:
    sender: str
    recipients: list[str]
    message: EmailMessage
    authenticated: bool
    encrypted: bool


@dataclass
class _Collector:
    messages: list[Received] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        """Addresses that start with ``unknown`` do not exist here (a permanent refusal)."""
        if address.startswith("unknown"):
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        parsed = email.message_from_bytes(
            content.replace(b"\r\n", b"\n"), _class=EmailMessage, policy=policy.default
        )
        with self.arrived:
            self.messages.append(
                Received(
                    str(envelope.mail_from),
                    [str(r) for r in envelope.rcpt_tos],
                    parsed,
                    bool(session.authenticated),
                    session.ssl is not None
                    or (
                        server.transport is not None
                        and server.transport.get_extra_info("ssl_object") is not None
                    ),
                )
            )
            self.arrived.notify_all()
        return "250 OK"


def _authenticate(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
) -> AuthResult:
    ok = (
        isinstance(data, LoginPassword)
        and data.login == USERNAME.encode()
        and data.password == PASSWORD.encode()
    )
    return AuthResult(success=ok, handled=False)


class _Controller(Controller):
    """aiosmtpd's controller, keeping every connection it accepted so that :meth:`SmtpServer.stop`
    can close them: aiosmtpd leaves the socket of a refused TLS handshake open when its loop
    stops first, and the garbage collector's "unclosed transport" warning would then land in
    whichever test runs at that moment."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.connections: list[SMTP] = []

    def factory(self) -> SMTP:
        smtp = super().factory()
        self.connections.append(smtp)
        return smtp

    async def close_connections(self) -> None:
        for smtp in self.connections:
            # after STARTTLS, the socket's own transport is kept aside and ``transport`` is TLS's
            for transport in (getattr(smtp, "_original_transport", None), smtp.transport):
                if transport is not None:
                    transport.abort()
        # abort() closes the socket on the loop's next turn, before this coroutine's
        await asyncio.sleep(0)
        await asyncio.sleep(0)


class SmtpServer:
    """One SMTP server on a loopback port; :meth:`stop` and :meth:`start` again on the same
    port to play an outage."""

    def __init__(self, folder: Path, security: Literal["starttls", "tls"] = "starttls") -> None:
        self.security = security
        self.port = free_port()
        self.collector = _Collector()
        self._ca = trustme.CA()
        self.ca_file = folder / "smtp-ca.pem"
        self._ca.cert_pem.write_to_path(str(self.ca_file))
        self._context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._ca.issue_cert("127.0.0.1", "localhost").configure_cert(self._context)
        self._controller: _Controller | None = None

    def start(self) -> None:
        tls: dict[str, Any] = (
            {"ssl_context": self._context}
            if self.security == "tls"
            else {"tls_context": self._context, "require_starttls": True}
        )
        self._controller = _Controller(
            self.collector,
            hostname="127.0.0.1",
            port=self.port,
            server_hostname="localhost",
            authenticator=_authenticate,
            # aiosmtpd counts only STARTTLS as TLS for AUTH (implicit TLS is TLS from the first
            # byte), so over implicit TLS it offers AUTH without insisting; the tests check
            # that the message came authenticated
            auth_required=self.security == "starttls",
            auth_require_tls=self.security == "starttls",
            ready_timeout=30,
            **tls,
        )
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            asyncio.run_coroutine_threadsafe(
                self._controller.close_connections(), self._controller.loop
            ).result(timeout=30)
            self._controller.stop()
            self._controller = None

    def settings(self) -> dict[str, str]:
        """The VISIO_SMTP_* settings (lower-case keys) that reach this server."""
        return {
            "smtp_host": "127.0.0.1",
            "smtp_port": str(self.port),
            "smtp_security": self.security,
            "smtp_username": USERNAME,
            "smtp_password": PASSWORD,
            "smtp_from": "Visio <visio@ministere.gouv.fr>",
            "smtp_ca_file": str(self.ca_file),
        }

    @property
    def messages(self) -> list[Received]:
        with self.collector.arrived:
            return list(self.collector.messages)

    def wait_for(self, count: int, timeout: float = 60) -> list[Received]:
        """Wait until at least ``count`` messages arrived; return them all."""
        deadline = time.monotonic() + timeout
        with self.collector.arrived:
            while len(self.collector.messages) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"{len(self.collector.messages)} message(s) arrived, {count} expected"
                    )
                self.collector.arrived.wait(left)
            return list(self.collector.messages)

    def to(self, address: str) -> list[Received]:
        return [m for m in self.messages if address in m.recipients]
