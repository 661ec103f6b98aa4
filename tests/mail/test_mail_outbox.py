"""The durable outbox against a real SMTP server and a real database: messages survive an
outage and a restart, back-off between attempts, permanent refusals given up."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.mail.smtp import PASSWORD, SmtpServer
from visio.mail import Mailer, Outbox, OutgoingMail, Recipient, RenderedMail, SmtpTransport, compose
from visio.mail.outbox import retry_delay
from visio.settings import Settings
from visio.storage.database import create_engine, migrate, session_factory


@pytest.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'visio.db'}")
    await migrate(engine)
    yield session_factory(engine)
    await engine.dispose()


def _mail(settings: Settings, to: str, subject: str) -> OutgoingMail:
    message = compose(
        settings.smtp_from or "", Recipient(to), RenderedMail(subject, "texte\n", "<p>texte</p>")
    )
    return OutgoingMail("test", to, message)


async def _until(condition: object, timeout: float = 30) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await condition():  # type: ignore[operator]
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("the condition was not met in time")
        await asyncio.sleep(0.05)


async def test_mail_outbox_keeps_messages_through_an_outage_and_a_restart(
    tmp_path: Path,
    sessions: async_sessionmaker[AsyncSession],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """SMTP down: the attempt fails, is logged without the password, and the message stays;
    a new outbox (Visio restarted) sends it once the server is back, exactly once."""
    server = SmtpServer(tmp_path)  # not started: the mail server is down
    settings = Settings(data_dir=tmp_path, **server.settings())  # type: ignore[arg-type]
    first = Outbox(sessions, SmtpTransport(settings), retry_initial_seconds=0.2)
    caplog.set_level(logging.WARNING, logger="visio.mail.outbox")
    (mail_id,) = await first.enqueue([_mail(settings, "anne@example.fr", "Panne")])
    assert await first.send_due() == 0
    (entry,) = await first.entries()
    assert (entry.id, entry.attempts, entry.sent_at, entry.failed_at) == (mail_id, 1, None, None)
    assert entry.last_error
    assert "not sent (attempt 1" in caplog.text
    assert PASSWORD not in caplog.text and PASSWORD not in entry.last_error

    server.start()
    try:
        restarted = Outbox(sessions, SmtpTransport(settings), retry_initial_seconds=0.2)
        running = asyncio.create_task(restarted.run_forever())
        try:
            (received,) = await asyncio.to_thread(server.wait_for, 1)
            assert received.message["Subject"] == "Panne"

            async def sent() -> bool:
                return (await restarted.entries())[0].sent_at is not None

            await _until(sent)
        finally:
            running.cancel()
            with pytest.raises(asyncio.CancelledError):
                await running
        assert await restarted.send_due() == 0
        assert len(server.messages) == 1
        (entry,) = await restarted.entries()
        assert entry.attempts == 2 and entry.last_error is None
    finally:
        server.stop()


async def test_mail_outbox_waits_longer_after_each_failure(
    tmp_path: Path, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """Attempts are spaced 30 s, 60 s, 120 s... apart (capped), not hammered."""
    assert [retry_delay(n, 30, 3600) for n in (1, 2, 3, 8, 20)] == [30, 60, 120, 3600, 3600]
    now = [datetime(2026, 12, 2, 8, 0, tzinfo=datetime.now().astimezone().tzinfo)]
    server = SmtpServer(tmp_path)
    settings = Settings(data_dir=tmp_path, **server.settings())  # type: ignore[arg-type]
    outbox = Outbox(sessions, SmtpTransport(settings), clock=lambda: now[0])
    await outbox.enqueue([_mail(settings, "anne@example.fr", "Plus tard")])
    assert await outbox.send_due() == 0
    now[0] += timedelta(seconds=29)
    assert await outbox.send_due() == 0
    assert (await outbox.entries())[0].attempts == 1  # not tried again before 30 s
    now[0] += timedelta(seconds=2)
    await outbox.send_due()
    assert (await outbox.entries())[0].attempts == 2


async def test_mail_outbox_gives_up_a_recipient_the_server_refuses(
    tmp_path: Path, smtp_server: SmtpServer, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """A 5xx answer is final: the message is marked failed and not tried again, and the others
    go out."""
    settings = Settings(data_dir=tmp_path, **smtp_server.settings())  # type: ignore[arg-type]
    outbox = Outbox(sessions, SmtpTransport(settings))
    refused = _mail(settings, "anne@example.fr", "Refus")
    await outbox.enqueue(
        [
            OutgoingMail("test", "unknown@example.fr", refused.message),
            _mail(settings, "bob@example.fr", "Accepté"),
        ]
    )
    await outbox.send_due()
    first, second = await outbox.entries()
    assert first.failed_at is not None and first.sent_at is None
    assert first.last_error and "550" in first.last_error
    assert second.sent_at is not None
    assert await outbox.send_due() == 0
    assert [m.recipients for m in smtp_server.messages] == [["bob@example.fr"]]


async def test_mail_outbox_stores_nothing_without_an_smtp_server(
    tmp_path: Path, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """Without VISIO_SMTP_HOST, mail is off: nothing is queued (nor piles up)."""
    settings = Settings(data_dir=tmp_path)
    mailer = Mailer(settings, Outbox(sessions, None))
    assert not mailer.enabled
    assert await mailer.transcript_ready(Recipient("a@b.fr"), "Point", "https://v.fr/t/1") == []
    assert await mailer.outbox.entries() == []
