"""Invitees' iMIP replies read from a real IMAP server (Dovecot) into a real database: an answer
is recorded and audited, a later one with a higher SEQUENCE replaces it; an older SEQUENCE, a
forged From, a mail without a calendar, an oversized or malformed one change nothing, and every
message read is flagged seen and kept."""

from __future__ import annotations

import asyncio
import imaplib
import logging
import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from icalendar import Calendar, Event, vCalAddress
from prometheus_client import CollectorRegistry
from sqlalchemy import text

from tests.oidc.provider import visio_with_provider
from tests.replies.imap import PASSWORD, ImapServer
from tests.rooms.people import Browser
from tests.support import free_port, wait_until
from visio.audit import AuditTrail
from visio.rooms.repository import RoomRepository
from visio.scheduling.recurrence import When
from visio.scheduling.replies import MAX_MESSAGE_BYTES, ReplyReader, open_mailbox
from visio.scheduling.repository import Attendee, MeetingRepository
from visio.settings import SettingsError, load_settings
from visio.storage.database import create_engine, migrate, session_factory
from visio.storage.models import utcnow

UID = "f" * 32 + "@visio"
ANNE = "anne@example.fr"
BOB = "bob@example.fr"


@pytest.fixture(scope="module")
def imap() -> Iterator[ImapServer]:
    server = ImapServer()
    server.start()
    yield server
    server.stop()


class World:
    def __init__(self, reader: ReplyReader, meetings: MeetingRepository, audit: AuditTrail):
        self.reader = reader
        self.meetings = meetings
        self.audit = audit

    async def answers(self) -> dict[str, str]:
        meeting = await self.meetings.get(UID)
        assert meeting is not None
        return {a.email: a.partstat for a in meeting.attendees}


@pytest.fixture
async def world(imap: ImapServer, tmp_path: Path) -> AsyncIterator[World]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'visio.db'}")
    await migrate(engine)
    sessions = session_factory(engine)
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO users (id, provider, subject, given_name, usual_name, email, "
                "created_at, last_login_at) VALUES (1, 'p', 's', 'Zoe', 'L', 'zoe@example.fr', :now, :now)"
            ),
            {"now": utcnow()},
        )
    room = await RoomRepository(sessions).create(name="Salle", owner_id=1)
    meetings = MeetingRepository(sessions)
    when = When(datetime(2027, 3, 22, 10), "Europe/Paris", timedelta(minutes=45), None)
    stored = await meetings.create(
        UID, room.id, 1, "Point", when, "fr", [Attendee(ANNE, "Anne"), Attendee(BOB, "Bob")]
    )
    await meetings.update(  # the meeting is at SEQUENCE 1
        UID, title="Point", when=when, language="fr", attendees=stored.attendees,
        reset_answers=False,
    )
    audit = AuditTrail(sessions)
    settings = load_settings(**imap.settings())
    yield World(ReplyReader(settings, meetings, audit), meetings, audit)
    await engine.dispose()


def reply(
    attendee: str,
    partstat: str,
    sequence: int,
    *,
    sender: str | None = None,
    uid: str = UID,
    mangle: tuple[bytes, bytes] = (b"", b""),
    padding: int = 0,
) -> bytes:
    """The mail a calendar client sends to answer an invitation (RFC 6047)."""
    calendar = Calendar()
    calendar.add("prodid", "-//Test client//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "REPLY")
    event = Event()
    event.add("uid", uid)
    event.add("sequence", sequence)
    event.add("dtstamp", datetime.now(UTC))
    event.add("organizer", vCalAddress("mailto:zoe@example.fr"))
    address = vCalAddress(f"mailto:{attendee}")
    address.params["PARTSTAT"] = partstat
    event.add("attendee", address, encode=False)
    calendar.add_component(event)
    message = EmailMessage()
    message["From"] = sender or attendee
    message["To"] = "zoe@example.fr"
    message["Subject"] = f"{partstat}: Point"
    message.set_content("See the attached answer." + "x" * padding)
    message.add_attachment(
        calendar.to_ical().replace(*mangle) if mangle[0] else calendar.to_ical(), maintype="text", subtype="calendar",
        params={"method": "REPLY"},
    )
    return bytes(message)


async def test_answers_are_recorded_and_a_newer_one_replaces_them(
    imap: ImapServer, world: World
) -> None:
    imap.append(reply(ANNE, "ACCEPTED", 1))
    assert await world.reader.poll_once() == 1
    assert await world.answers() == {ANNE: "ACCEPTED", BOB: "NEEDS-ACTION"}

    imap.append(reply(ANNE, "DECLINED", 2))
    assert await world.reader.poll_once() == 1
    assert await world.answers() == {ANNE: "DECLINED", BOB: "NEEDS-ACTION"}

    events = await world.audit.query(event="meeting.reply")
    assert sorted((e.actor, e.details["partstat"], e.details["sequence"]) for e in events) == [
        (ANNE, "ACCEPTED", 1), (ANNE, "DECLINED", 2),
    ]
    flags = imap.flags()
    assert flags and all(b"\\Seen" in item for item in flags)
    assert await world.reader.poll_once() == 0  # read once only


async def test_an_answer_to_an_older_version_is_ignored(imap: ImapServer, world: World) -> None:
    imap.append(reply(BOB, "TENTATIVE", 0))
    assert await world.reader.poll_once() == 0
    assert (await world.answers())[BOB] == "NEEDS-ACTION"


async def test_a_forged_sender_changes_nothing(imap: ImapServer, world: World) -> None:
    imap.append(reply(BOB, "DECLINED", 1, sender="mallory@example.org"))
    imap.append(reply("mallory@example.org", "ACCEPTED", 1))  # not invited
    imap.append(reply(BOB, "DECLINED", 1, uid="0" * 32 + "@visio"))  # no such meeting
    assert await world.reader.poll_once() == 0
    assert (await world.answers())[BOB] == "NEEDS-ACTION"


async def test_other_huge_and_malformed_mail_is_skipped(imap: ImapServer, world: World) -> None:
    plain = EmailMessage()
    plain["From"] = BOB
    plain["Subject"] = "Hello"
    plain.set_content("No calendar here.")
    imap.append(bytes(plain))
    huge = reply(BOB, "DECLINED", 1, padding=MAX_MESSAGE_BYTES)
    assert len(huge) > MAX_MESSAGE_BYTES
    imap.append(huge)
    broken = reply(BOB, "DECLINED", 1, mangle=(b"SEQUENCE:1", b"SEQUENCE:one"))
    imap.append(broken)
    imap.append(b"From: " + BOB.encode() + b"\r\nContent-Type: text/calendar\r\n\r\n\xff\x00" * 3)
    imap.append(reply(BOB, "TENTATIVE", 1))  # a good one after the bad ones still counts
    assert await world.reader.poll_once() == 1
    assert (await world.answers())[BOB] == "TENTATIVE"
    flags = imap.flags()
    assert flags and all(b"\\Seen" in item for item in flags)


def test_settings_are_checked_and_the_password_never_shown(imap: ImapServer) -> None:
    with pytest.raises(SettingsError, match="VISIO_IMAP_USERNAME and VISIO_IMAP_PASSWORD"):
        load_settings(imap_host="imap.example.fr")
    with pytest.raises(SettingsError, match="control characters"):
        load_settings(**{**imap.settings(), "imap_mailbox": 'INBOX"\r\nA1 LOGOUT'})
    settings = load_settings(**{**imap.settings(), "imap_port": None, "imap_mailbox": " "})
    assert (settings.effective_imap_port, settings.imap_mailbox) == (993, "INBOX")
    assert PASSWORD not in repr(settings)


def test_a_wrong_password_is_refused_clearly(imap: ImapServer) -> None:
    """What `visio check` reports: the server's refusal, never the password tried."""
    wrong = "not-the-password-" + "9" * 12
    settings = load_settings(**{**imap.settings(), "imap_password": wrong})
    with pytest.raises(imaplib.IMAP4.error) as refused:
        open_mailbox(settings)
    assert wrong not in str(refused.value)
    open_mailbox(load_settings(**imap.settings())).logout()


def _sample(registry: CollectorRegistry, name: str, **labels: str) -> float:
    return registry.get_sample_value(name, labels) or 0.0


async def test_an_unreachable_mailbox_is_tried_again_later_and_later(
    imap: ImapServer, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """Nothing listens at the mailbox's port: each failed poll is counted and logged, the
    next one waits the poll interval (1 s), then twice that; cancelling stops the loop."""
    registry = CollectorRegistry()
    settings = load_settings(**{**imap.settings(), "imap_port": free_port()})
    reader = ReplyReader(settings, world.meetings, world.audit, registry)
    caplog.set_level(logging.WARNING, logger="visio.scheduling.replies")
    polling = asyncio.create_task(reader.run_forever())
    deadline = asyncio.get_running_loop().time() + 30
    while _sample(registry, "visio_meeting_reply_polls_total", outcome="failed") < 2:
        assert asyncio.get_running_loop().time() < deadline, caplog.text
        assert not polling.done()
        await asyncio.sleep(0.05)
    polling.cancel()
    with pytest.raises(asyncio.CancelledError):
        await polling
    waits = re.findall(r"\((\d+) in a row\).*next try in (\d+) s", caplog.text)
    assert waits[:2] == [("1", "1"), ("2", "2")], caplog.text
    assert _sample(registry, "visio_meeting_reply_polls_total", outcome="ok") == 0


def test_a_running_server_reads_replies_by_itself(imap: ImapServer, tmp_path: Path) -> None:
    """`visio serve` with VISIO_IMAP_*: an answer dropped into the mailbox reaches the meeting
    without anyone asking, within a few poll intervals (1 s here), and /metrics counts it."""
    settings = {key: str(value) for key, value in imap.settings().items()}
    with visio_with_provider(tmp_path / "visio", **settings) as (server, provider):
        with Browser(server, provider, "pierre") as pierre:
            start = datetime.now(UTC) + timedelta(days=3)
            created = pierre.http.post(
                "/api/v1/meetings",
                json={
                    "title": "Point réponses",
                    "start": start.strftime("%Y-%m-%dT10:00"),
                    "time_zone": "Europe/Paris",
                    "duration_minutes": 30,
                    "attendees": [{"email": ANNE}, {"email": BOB}],
                },
            )
            assert created.status_code == 201, created.text
            meeting_id = created.json()["id"]
            imap.append(reply(ANNE, "ACCEPTED", 0, uid=f"{meeting_id}@visio"))

            def answers() -> dict[str, str]:
                found = pierre.http.get(f"/api/v1/meetings/{meeting_id}").json()
                return {a["email"]: a["partstat"] for a in found["attendees"]}

            wait_until(
                lambda: answers()[ANNE] == "ACCEPTED",
                30,
                lambda: f"not recorded: {answers()}\n{server.log()[-3000:]}",
            )
            assert answers()[BOB] == "NEEDS-ACTION"
        metrics = server.metrics()
    assert "visio_meeting_replies_recorded_total 1.0" in metrics
    assert re.search(r'visio_meeting_reply_polls_total\{outcome="ok"\} [1-9]', metrics)
    assert all(b"\\Seen" in item for item in imap.flags())
