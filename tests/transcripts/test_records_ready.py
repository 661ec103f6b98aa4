"""When a meeting's records are ready: the room's owners get an e-mail with a link to the
transcript (never its words), through a real SMTP server, and the room's webhook endpoints get
``transcript.ready`` / ``recording.ready`` queued in the real database."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.mail.smtp import SmtpServer
from visio.mail import Mailer, Outbox, SmtpTransport
from visio.recording.service import RecordingReady
from visio.rooms.repository import RoomRepository
from visio.rooms.transcription import TranscriptReady
from visio.settings import Settings
from visio.storage.database import create_engine, migrate, session_factory
from visio.storage.models import UserRecord
from visio.transcripts.ready import RecordsReady
from visio.webhooks import WebhookService
from visio.webhooks.signing import SecretBox
from visio.webhooks.store import WebhookStore


@pytest.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'visio.db'}")
    await migrate(engine)
    yield session_factory(engine)
    await engine.dispose()


async def _user(sessions: async_sessionmaker[AsyncSession], email: str, name: str) -> int:
    async with sessions() as session, session.begin():
        record = UserRecord(provider="test", subject=email, given_name=name, email=email)
        session.add(record)
        await session.flush()
        return record.id


async def test_records_ready_mail_the_owners_a_link_and_queue_webhooks(
    tmp_path: Path, sessions: async_sessionmaker[AsyncSession]
) -> None:
    (tmp_path / "smtp").mkdir()
    smtp = SmtpServer(tmp_path / "smtp", "starttls")
    smtp.start()
    try:
        settings = Settings(
            data_dir=tmp_path,
            public_url="https://visio.example.gouv.fr",
            **smtp.settings(),  # type: ignore[arg-type]
        )
        rooms = RoomRepository(sessions)
        owner = await _user(sessions, "owner@example.gouv.fr", "Anne")
        admin = await _user(sessions, "admin@example.gouv.fr", "Paul")
        room = await rooms.create("Comité <b>d'été</b>", owner_id=owner)
        await rooms.set_role(room, admin, "admin")
        store = WebhookStore(sessions)
        box = SecretBox(os.urandom(32))
        endpoint = await store.add(
            room.id,
            "https://hooks.example.org/visio",
            None,
            ["transcript.ready", "recording.ready"],
            box.seal("whsec_test"),
            owner,
        )
        webhooks = WebhookService(settings, store, box)
        webhooks.start()
        outbox = Outbox(sessions, SmtpTransport(settings))
        sending = asyncio.create_task(outbox.run_forever())
        try:
            ready = RecordsReady(settings, rooms, Mailer(settings, outbox), webhooks)
            await ready.transcript_ready(TranscriptReady(41, room.slug, turns=0))
            await ready.transcript_ready(TranscriptReady(42, room.slug, turns=7))
            await ready.recording_ready(RecordingReady("rec_abc", room.id, room.slug))

            (mail,) = await asyncio.to_thread(smtp.wait_for, 1)
            assert mail.recipients == ["owner@example.gouv.fr"]  # owners, not administrators
            body = mail.message.get_body(("plain",))
            assert body is not None
            link = f"https://visio.example.gouv.fr/rooms/{room.slug}/records?transcript=42"
            assert link in body.get_content()

            async def queued() -> list[str]:
                return sorted(d.event_type for d in await store.deliveries(endpoint.id))

            deadline = asyncio.get_running_loop().time() + 30
            while len(await queued()) < 3:
                assert asyncio.get_running_loop().time() < deadline, await queued()
                await asyncio.sleep(0.05)
            assert await queued() == ["recording.ready", "transcript.ready", "transcript.ready"]
        finally:
            sending.cancel()
            await webhooks.stop()
        assert len(smtp.messages) == 1, "an empty transcript sends no mail"
    finally:
        smtp.stop()
