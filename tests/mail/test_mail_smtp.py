"""Sending through a real SMTP server: STARTTLS, implicit TLS, authentication, and refusals."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.mail.smtp import PASSWORD, SmtpServer
from tests.support import VISIO
from visio.mail import MailError, Recipient, RenderedMail, SmtpTransport, compose
from visio.settings import Settings


def _settings(server: SmtpServer, tmp_path: Path, **overrides: str) -> Settings:
    return Settings(data_dir=tmp_path, **(server.settings() | overrides))  # type: ignore[arg-type]


def _hello() -> RenderedMail:
    return RenderedMail("Bonjour", "Un essai.\n", "<p>Un essai.</p>")


async def test_mail_smtp_sends_over_starttls_with_authentication(
    smtp_server: SmtpServer, tmp_path: Path
) -> None:
    """STARTTLS then AUTH: the server gets the message, encrypted and authenticated."""
    settings = _settings(smtp_server, tmp_path)
    message = compose(settings.smtp_from or "", Recipient("anne@example.fr", "Anne"), _hello())
    await SmtpTransport(settings).send(message, "anne@example.fr")
    (received,) = smtp_server.wait_for(1)
    assert received.encrypted and received.authenticated
    assert received.sender == "visio@ministere.gouv.fr"
    assert received.recipients == ["anne@example.fr"]
    assert received.message["Subject"] == "Bonjour"
    assert received.message.get_body(("plain",)).get_content() == "Un essai.\n"  # type: ignore[union-attr]


async def test_mail_smtp_sends_over_implicit_tls(tmp_path: Path) -> None:
    """VISIO_SMTP_SECURITY=tls speaks TLS from the first byte (port 465 style)."""
    server = SmtpServer(tmp_path, "tls")
    server.start()
    try:
        settings = _settings(server, tmp_path)
        message = compose(settings.smtp_from or "", Recipient("anne@example.fr"), _hello())
        await SmtpTransport(settings).send(message, "anne@example.fr")
        (received,) = server.wait_for(1)
        assert received.encrypted and received.authenticated
    finally:
        server.stop()


async def test_mail_smtp_wrong_password_is_refused_and_kept_for_retry(
    smtp_server: SmtpServer, tmp_path: Path
) -> None:
    """A refused login is an error worth retrying (the operator fixes the password), and the
    error says nothing of the password."""
    settings = _settings(smtp_server, tmp_path, smtp_password="not-the-password")
    message = compose(settings.smtp_from or "", Recipient("anne@example.fr"), _hello())
    with pytest.raises(MailError) as refused:
        await SmtpTransport(settings).send(message, "anne@example.fr")
    assert not refused.value.permanent
    assert "not-the-password" not in str(refused.value)
    assert smtp_server.messages == []


async def test_mail_smtp_untrusted_certificate_is_refused(
    smtp_server: SmtpServer, tmp_path: Path
) -> None:
    """Without the server's authority (VISIO_SMTP_CA_FILE), STARTTLS fails: no password goes
    to a server that cannot prove who it is."""
    settings = Settings(
        data_dir=tmp_path,
        **{k: v for k, v in smtp_server.settings().items() if k != "smtp_ca_file"},  # type: ignore[arg-type]
    )
    message = compose(settings.smtp_from or "", Recipient("anne@example.fr"), _hello())
    with pytest.raises(MailError) as refused:
        await SmtpTransport(settings).send(message, "anne@example.fr")
    assert "certificate" in str(refused.value).lower()
    assert smtp_server.messages == []


def test_mail_check_command_tests_the_smtp_server(smtp_server: SmtpServer, tmp_path: Path) -> None:
    """`visio check` logs in to the SMTP server and says so; a wrong password is reported
    without being printed."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("VISIO_")}
    env = inherited | {f"VISIO_{k.upper()}": v for k, v in smtp_server.settings().items()} | {
        "VISIO_DATA_DIR": str(tmp_path),
        "VISIO_SPEECH_EMBEDDED_WORKERS": "0",
    }
    good = subprocess.run([str(VISIO), "check"], env=env, capture_output=True, text=True, check=False)
    assert f"ok   SMTP server 127.0.0.1:{smtp_server.port} (starttls, authenticated) answers" in good.stdout
    bad = subprocess.run(
        [str(VISIO), "check"],
        env=env | {"VISIO_SMTP_PASSWORD": "wrong-Pa55word"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 1
    assert f"ERR  SMTP server 127.0.0.1:{smtp_server.port}" in bad.stdout
    assert "wrong-Pa55word" not in bad.stdout + bad.stderr
    assert PASSWORD not in good.stdout + good.stderr


@pytest.mark.parametrize(
    ("settings", "complaint"),
    [
        ({"smtp_host": "smtp.example.fr"}, "VISIO_SMTP_FROM is required"),
        (
            {"smtp_host": "smtp.example.fr", "smtp_from": "visio@example.fr", "smtp_username": "u"},
            "go together",
        ),
        (
            {
                "smtp_host": "smtp.example.fr",
                "smtp_from": "visio@example.fr",
                "smtp_username": "u",
                "smtp_password": "p",
                "smtp_security": "none",
            },
            "never sent in clear text",
        ),
        ({"smtp_host": "smtp.example.fr", "smtp_from": "not an address"}, "e-mail address"),
        ({"smtp_host": "smtp.example.fr\r\nRCPT TO:<x@y>", "smtp_from": "v@x.fr"}, "one line"),
        ({"smtp_security": "ssl"}, "none"),
    ],
)
def test_mail_settings_are_validated(
    settings: dict[str, str], complaint: str, tmp_path: Path
) -> None:
    """Mail settings that cannot work stop Visio at start-up with a sentence that says why."""
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as invalid:
        Settings(data_dir=tmp_path, **settings)  # type: ignore[arg-type]
    assert complaint in str(invalid.value)
