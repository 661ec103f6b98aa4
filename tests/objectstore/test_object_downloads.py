"""Downloads and deletions through a real `visio serve` whose recordings live in a real S3
server (SeaweedFS): a recording whose file is not on this app server is streamed from the
bucket (HTTP Range passed on, so players seek), to its room's owners only; deleting it or a
transcript through the API deletes their objects, and the audit trail says so; renaming a
transcript's speaker makes its copies again."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from tests.auth.signin import audit_events
from tests.objectstore.seaweed import S3Server
from tests.oidc.provider import TestProvider, visio_with_provider
from tests.rooms.people import Browser
from tests.support import RunningServer, wait_until
from visio.recording import RecordingStore, StoredRecording
from visio.rooms.repository import RoomRepository
from visio.storage.database import create_engine, session_factory
from visio.transcripts.store import TranscriptStore, Turn

ADMIN_EMAIL = "rssi@numerique.gouv.fr"


@pytest.fixture(scope="module")
def store_bucket(s3: S3Server) -> str:
    return s3.new_bucket()


@pytest.fixture(scope="module")
def stack(
    tmp_path_factory: pytest.TempPathFactory, s3: S3Server, store_bucket: str
) -> Iterator[tuple[RunningServer, TestProvider]]:
    with visio_with_provider(
        tmp_path_factory.mktemp("visio-objects"),
        admins=ADMIN_EMAIL,
        **s3.settings(store_bucket),
    ) as pair:
        yield pair


@pytest.fixture(scope="module")
def people(stack: tuple[RunningServer, TestProvider]) -> Iterator[dict[str, Browser]]:
    server, provider = stack
    opened = {user: Browser(server, provider, user) for user in ("pierre", "marie")}
    yield opened
    for browser in opened.values():
        browser.close()


def _in_database(server: RunningServer, work: object) -> object:
    """Run ``work(sessions)`` against the running server's own database."""

    async def run() -> object:
        engine = create_engine(f"sqlite+aiosqlite:///{server.data_dir / 'visio.db'}")
        try:
            return await work(session_factory(engine))  # type: ignore[operator]
        finally:
            await engine.dispose()

    return asyncio.run(run())


def finished_transcript(
    server: RunningServer, slug: str, turns: list[tuple[str, str, str]] | None = None
) -> int:
    """A transcript of the room's meeting an hour ago, finished, with ``turns`` (participant,
    speaker, text) three seconds apart."""

    async def write(sessions: object) -> int:
        room = await RoomRepository(sessions).get(slug)  # type: ignore[arg-type]
        assert room is not None
        store = TranscriptStore(sessions)  # type: ignore[arg-type]
        started = datetime.now(UTC) - timedelta(hours=1)
        made = await store.create(room.id, started, "Pierre", None, "fr")
        for n, (participant, speaker, text) in enumerate(turns or []):
            said = started + timedelta(seconds=3 * (n + 1))
            end = said + timedelta(seconds=2)
            await store.add_turn(made, Turn(participant, speaker, None, said, end, text, "fr"))
        await store.finish(made, started + timedelta(minutes=5), "complete")
        return made

    return int(_in_database(server, write))  # type: ignore[call-overload]


def recording_elsewhere(server: RunningServer, slug: str) -> StoredRecording:
    """A ready recording processed on another app server: its row, and no local file."""
    recording_id = "rec_" + secrets.token_urlsafe(16)

    async def write(sessions: object) -> StoredRecording:
        room = await RoomRepository(sessions).get(slug)  # type: ignore[arg-type]
        assert room is not None
        store = RecordingStore(sessions)  # type: ignore[arg-type]
        started = datetime.now(UTC) - timedelta(hours=1)
        await store.add(
            StoredRecording(recording_id, room.id, slug, "audio", "ready", started, None, "Pierre")
        )
        await store.change(
            recording_id,
            file_path=f"{recording_id}/recording.ogg",
            media_type="audio/ogg",
            size_bytes=len(CONTENT),
            duration_s=3.0,
            ended_at=started + timedelta(seconds=3),
        )
        found = await store.get(recording_id)
        assert found is not None
        return found

    return _in_database(server, write)  # type: ignore[return-value]


CONTENT = bytes(range(256)) * 300


def test_a_recording_not_on_this_server_streams_from_the_bucket(
    stack: tuple[RunningServer, TestProvider],
    people: dict[str, Browser],
    s3: S3Server,
    store_bucket: str,
) -> None:
    """The owner plays the whole file and a range of it from the bucket; another person is
    told there is no such recording; nothing of the store's address or keys shows."""
    server, _ = stack
    pierre, marie = people["pierre"], people["marie"]
    slug = pierre.create_room()
    recording = recording_elsewhere(server, slug)
    key = f"visio/recordings/{recording.id}/recording.ogg"
    s3.client().put_object(Bucket=store_bucket, Key=key, Body=CONTENT, ContentType="audio/ogg")

    whole = pierre.http.get(f"/api/v1/recordings/{recording.id}/media", params={"download": "1"})
    assert whole.status_code == 200, whole.text
    assert whole.content == CONTENT
    assert whole.headers["content-type"] == "audio/ogg"
    assert whole.headers["content-disposition"].startswith("attachment; filename=")
    assert whole.headers["cache-control"] == "private, no-store"
    seek = pierre.http.get(
        f"/api/v1/recordings/{recording.id}/media", headers={"Range": "bytes=1000-1999"}
    )
    assert seek.status_code == 206
    assert seek.headers["content-range"] == f"bytes 1000-1999/{len(CONTENT)}"
    assert seek.content == CONTENT[1000:2000]
    outside = pierre.http.get(
        f"/api/v1/recordings/{recording.id}/media", headers={"Range": "bytes=999999-"}
    )
    assert outside.status_code == 416
    refused = marie.http.get(f"/api/v1/recordings/{recording.id}/media")
    assert refused.status_code == 404
    for answer in (whole, seek, outside, refused):
        assert store_bucket not in str(answer.headers) and s3.endpoint not in str(answer.headers)


def test_deleting_through_the_api_deletes_the_objects_and_audits_it(
    stack: tuple[RunningServer, TestProvider],
    people: dict[str, Browser],
    s3: S3Server,
    store_bucket: str,
) -> None:
    """The owner deletes a recording and a transcript: their objects leave the bucket, and
    each deletion's audit event says its copies were deleted."""
    server, provider = stack
    pierre = people["pierre"]
    slug = pierre.create_room()
    recording = recording_elsewhere(server, slug)
    client = s3.client()
    client.put_object(
        Bucket=store_bucket, Key=f"visio/recordings/{recording.id}/recording.ogg", Body=CONTENT
    )

    transcript_id = finished_transcript(server, slug)
    for extension in ("vtt", "json"):
        client.put_object(
            Bucket=store_bucket,
            Key=f"visio/transcripts/{transcript_id}/transcript.{extension}",
            Body=b"copy",
        )

    assert pierre.http.delete(f"/api/v1/recordings/{recording.id}").status_code == 204
    assert pierre.http.delete(f"/api/v1/transcripts/{transcript_id}").status_code == 204
    left = s3.keys(store_bucket)
    assert not any(recording.id in key for key in left)
    assert not any(key.startswith(f"visio/transcripts/{transcript_id}/") for key in left)
    [deleted] = [
        e
        for e in audit_events(server, provider, "recording.deleted")
        if e["details"]["recording"] == recording.id
    ]
    assert deleted["details"]["object_copies"] == "deleted"
    assert deleted["details"]["objects_deleted"] == 1
    [gone] = [
        e
        for e in audit_events(server, provider, "transcript.deleted")
        if e["details"]["transcript"] == transcript_id
    ]
    assert gone["details"]["object_copies"] == "deleted"
    assert gone["details"]["objects_deleted"] == 2


def test_renaming_a_speaker_through_the_api_makes_the_copies_again(
    stack: tuple[RunningServer, TestProvider],
    people: dict[str, Browser],
    s3: S3Server,
    store_bucket: str,
) -> None:
    """The owner renames a shared device's voice: the transcript's copies in the bucket (made
    before, with the old name) are written again with the new one."""
    server, _ = stack
    pierre = people["pierre"]
    slug = pierre.create_room()
    voice = "Salle 3 \N{EN DASH} locuteur 1"

    transcript_id = finished_transcript(server, slug, [("p_salle3", voice, "Bonjour.")])
    key = f"visio/transcripts/{transcript_id}/transcript.md"
    s3.client().put_object(Bucket=store_bucket, Key=key, Body=f"**{voice}**".encode())
    renamed = pierre.http.post(
        f"/api/v1/transcripts/{transcript_id}/speakers/rename",
        json={"speaker": voice, "name": "Aïcha Benali"},
    )
    assert renamed.status_code == 200, renamed.text
    wait_until(
        lambda: "Aïcha Benali" in s3.read(store_bucket, key).decode(),
        30,
        "the transcript's copy still has the old name",
    )
    assert voice not in s3.read(store_bucket, key).decode()
    json_copy = f"visio/transcripts/{transcript_id}/transcript.json"
    assert "Aïcha Benali" in s3.read(store_bucket, json_copy).decode()
