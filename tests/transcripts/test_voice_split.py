"""A shared room device's voices told apart after the meeting, with real parts: its track as
Janus records it (a real ``.mjr``, decoded by janus-pp-rec and ffmpeg) kept from the meeting's
recording, the split in its worker process (Resemblyzer, Silero VAD), the turns relabelled in
a real database (SQLite, and PostgreSQL for what is stored), the audit trail, and the spool
deleted afterwards. Missing or undecodable audio leaves the device's name and says so."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from tests.postgres import throwaway_postgres
from tests.speech.meetings import meetings
from tests.transcripts.mjr import write_mjr
from visio.audit import AuditTrail
from visio.recording import Recordings, RecordingStore
from visio.rooms.repository import RoomRepository, StoredRoom
from visio.settings import Settings
from visio.storage.database import create_engine, migrate, session_factory
from visio.transcripts.shared_devices import DASH
from visio.transcripts.store import TranscriptStore, Turn
from visio.transcripts.voice_split import VoiceSplits

FEED = 4242
OTHER_FEED = 77
START = datetime(2026, 3, 12, 9, 30, tzinfo=UTC)
LEAD_S = 2.0
"""The device's first packet comes this long after the transcript started."""


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    with throwaway_postgres() as url:
        yield url


@dataclass
class World:
    url: str
    settings: Settings
    store: TranscriptStore
    audit: AuditTrail
    recordings: Recordings
    splits: VoiceSplits
    room: StoredRoom


async def _world(url: str, tmp_path: Path) -> AsyncIterator[World]:
    engine = create_engine(url)
    try:
        await migrate(engine)
        sessions = session_factory(engine)
        settings = Settings(data_dir=tmp_path)
        store = TranscriptStore(sessions)
        audit = AuditTrail(sessions)
        recordings = Recordings(settings, RecordingStore(sessions), audit)
        splits = VoiceSplits(settings, store, audit, recordings)
        room = await RoomRepository(sessions).create("Salle du conseil")
        yield World(url, settings, store, audit, recordings, splits, room)
        splits.close()
    finally:
        await engine.dispose()


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async for made in _world(f"sqlite+aiosqlite:///{tmp_path / 'visio.db'}", tmp_path):
        yield made


@pytest.fixture(params=["sqlite", "postgresql"])
async def any_world(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[World]:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'visio.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    async for made in _world(url, tmp_path):
        yield made


def _turn(participant: str, speaker: str, start: float, end: float, text: str) -> Turn:
    return Turn(
        participant_id=participant,
        speaker=speaker,
        user_id=None,
        started_at=START + timedelta(seconds=start),
        ended_at=START + timedelta(seconds=end),
        text=text,
        language="fr",
    )


async def _transcript(world: World) -> int:
    return await world.store.create(world.room.id, START, "Anne", None, "fr")


async def test_a_shared_device_voices_are_told_apart_from_its_recorded_track(
    world: World,
) -> None:
    """Sophie and Marc speak through "Salle 3" while the meeting is recorded and transcribed:
    the device's track (a real .mjr in the recording's raw folder) is kept for the split, the
    job labels each of its turns with one of two voices (at least 80 % agreeing with who
    spoke), Anne's turns keep her name, the device is stored ``done`` with 2 voices, the audit
    trail has it, the spool is gone (the recording's own file stays), the transcript is said
    changed (once), and the owner can still rename a voice."""
    meeting = next(m for m in meetings() if m.name == "incident-client")
    people = ("sophie", "marc")
    audio = np.clip(sum(meeting.speaker(p).track for p in people), -1, 1).astype(np.float32)
    spoken = [u for u in meeting.utterances if u.speaker in people]
    transcript = await _transcript(world)
    await world.store.add_shared_device(transcript, "p_salle3", FEED, "Salle 3")
    truth: dict[int, str] = {}
    for u in spoken:
        turn = _turn("p_salle3", "Salle 3", LEAD_S + u.start, LEAD_S + u.end, u.text)
        truth[await world.store.add_turn(transcript, turn)] = u.speaker
    anne = await world.store.add_turn(transcript, _turn("p_anne", "Anne", 0.2, 1.5, "Bonjour."))
    await world.store.finish(transcript, START + timedelta(seconds=meeting.seconds), "complete")

    recording = await world.recordings.begin(world.room.id, world.room.slug, "audio", None, "A")
    raw = world.recordings.raw_folder(recording.id)
    first_us = round((START + timedelta(seconds=LEAD_S)).timestamp() * 1e6)
    track = write_mjr(
        raw / f"videoroom-9-user-{FEED}-{first_us}-audio-0.mjr", audio, 16000, first_us
    )
    write_mjr(
        raw / f"videoroom-9-user-{OTHER_FEED}-{first_us}-audio-0.mjr",
        meeting.speaker("sophie").track[: 16000 * 2],
        16000,
        first_us,
    )
    await world.splits.keep_from_recording(transcript, recording.id, [FEED])
    spool = world.splits.folder(transcript)
    assert [p.name for p in spool.iterdir()] == [track.name]  # only the shared device's
    changed: list[int] = []

    async def copies_made_again(transcript_id: int) -> None:
        changed.append(transcript_id)

    world.splits.changed_listeners.append(copies_made_again)

    await world.splits.run(transcript)

    turns = {t.id: t for t in await world.store.turns(transcript)}
    assert turns[anne].speaker == "Anne"
    labels = {n: turns[n].speaker for n in truth}
    assert set(labels.values()) == {f"Salle 3 {DASH} locuteur 1", f"Salle 3 {DASH} locuteur 2"}
    best = {
        person: Counter(labels[n] for n, who in truth.items() if who == person).most_common(1)[0]
        for person in people
    }
    assert best["sophie"][0] != best["marc"][0], labels
    agreeing = sum(count for _, count in best.values())
    assert agreeing / len(truth) >= 0.8, (agreeing, len(truth), labels)

    [device] = await world.store.shared_devices(transcript)
    assert (device.status, device.voices, device.turns_labelled) == ("done", 2, len(truth))
    [event] = await world.audit.query(event="transcript.speakers_split")
    assert event.outcome == "success" and event.details["voices"] == 2
    assert not spool.exists()
    assert track.exists()  # the recording's own track is the recording's business
    assert changed == [transcript]  # its copies in object storage are made again

    await world.splits.run(transcript)  # again: nothing changes, no label on a label
    assert changed == [transcript]
    assert {t.id: t.speaker for t in await world.store.turns(transcript)} == {
        **labels,
        anne: "Anne",
    }
    renamed = await world.store.rename_speaker(transcript, f"Salle 3 {DASH} locuteur 1", "Sophie")
    assert renamed == Counter(labels.values())[f"Salle 3 {DASH} locuteur 1"]


async def test_without_the_device_audio_its_turns_keep_its_name_and_it_says_why(
    world: World,
) -> None:
    """Janus recorded nothing of the device: its turns keep its name, the device is stored ``no_audio`` with the reason, the failure is counted and
    audited."""
    transcript = await _transcript(world)
    await world.store.add_shared_device(transcript, "p_salle3", FEED, "Salle 3")
    await world.store.add_turn(transcript, _turn("p_salle3", "Salle 3", 1, 3, "Bonjour à tous."))
    await world.store.finish(transcript, START + timedelta(minutes=1), "complete")
    await world.splits.run(transcript)
    assert [t.speaker for t in await world.store.turns(transcript)] == ["Salle 3"]
    [device] = await world.store.shared_devices(transcript)
    assert device.status == "no_audio" and device.error and "Janus did not" in device.error
    assert world.splits.failures == 1
    [event] = await world.audit.query(event="transcript.speakers_split")
    assert event.outcome == "failure" and event.details["status"] == "no_audio"


async def test_an_undecodable_device_track_fails_visibly_and_is_deleted(world: World) -> None:
    """The device's kept track is not a recording at all: the device is ``failed`` (none of
    its tracks decoded), its turns keep its name and the bad file does not stay behind."""
    transcript = await _transcript(world)
    await world.store.add_shared_device(transcript, "p_salle3", FEED, "Salle 3")
    await world.store.add_turn(transcript, _turn("p_salle3", "Salle 3", 1, 3, "Bonjour."))
    await world.store.finish(transcript, START + timedelta(minutes=1), "complete")
    folder = world.splits.folder(transcript)
    folder.mkdir(parents=True)
    (folder / f"videoroom-9-user-{FEED}-1-audio-0.mjr").write_bytes(b"MJR00002\x00\x05{zzz")
    await world.splits.run(transcript)
    [device] = await world.store.shared_devices(transcript)
    assert device.status == "failed" and device.error and "could be decoded" in device.error
    assert [t.speaker for t in await world.store.turns(transcript)] == ["Salle 3"]
    assert not world.splits.folder(transcript).exists()


async def test_a_device_renamed_while_its_voices_are_told_apart_keeps_the_owner_name(
    any_world: World,
) -> None:
    """On SQLite and PostgreSQL: the split read the device's turns, then the owner renamed
    "Salle 3" before the split wrote its labels: the owner's name stays (no edit is lost),
    a turn added by nobody else takes its voice, and the device counts what was labelled."""
    world = any_world
    transcript = await _transcript(world)
    await world.store.add_shared_device(transcript, "p_salle3", FEED, "Salle 3")
    first = await world.store.add_turn(transcript, _turn("p_salle3", "Salle 3", 1, 2, "Oui."))
    second = await world.store.add_turn(transcript, _turn("p_salle3", "Salle 3", 3, 4, "Non."))
    anne = await world.store.add_turn(transcript, _turn("p_anne", "Anne", 5, 6, "Bien."))
    await world.store.finish(transcript, START + timedelta(minutes=1), "complete")
    [device] = await world.store.shared_devices(transcript)
    was = {t.id: t.speaker for t in await world.store.turns(transcript) if t.id != anne}
    assert await world.store.rename_speaker(transcript, "Salle 3", "Salle du conseil") == 2
    labels = {first: f"Salle 3 {DASH} locuteur 1", second: f"Salle 3 {DASH} locuteur 2"}
    assert await world.store.split_done(device, labels, 2, was) == 0
    speakers = [t.speaker for t in await world.store.turns(transcript)]
    assert speakers == ["Salle du conseil", "Salle du conseil", "Anne"]
    [done] = await world.store.shared_devices(transcript)
    assert (done.status, done.voices, done.turns_labelled) == ("done", 2, 0)

    # Without a rename in between, the same write labels every turn.
    again = await _transcript(world)
    await world.store.add_shared_device(again, "p_salle3", FEED, "Salle 3")
    one = await world.store.add_turn(again, _turn("p_salle3", "Salle 3", 1, 2, "Oui."))
    await world.store.finish(again, START + timedelta(minutes=1), "complete")
    [device] = await world.store.shared_devices(again)
    label = {one: f"Salle 3 {DASH} locuteur 1"}
    assert await world.store.split_done(device, label, 1, {one: "Salle 3"}) == 1
    assert [t.speaker for t in await world.store.turns(again)] == [label[one]]


async def test_shared_devices_are_stored_with_the_transcript_and_resumed_after_a_restart(
    any_world: World, tmp_path: Path
) -> None:
    """On SQLite and PostgreSQL: the device is stored once (a second mark changes nothing),
    survives a new connection to the database (a restart), is listed as pending once the
    transcript is finished (not while active), is run by the restarted server's resume, and
    goes with the transcript when it is deleted, its spool with it. A second server finishing
    the same device late changes nothing."""
    world = any_world
    transcript = await _transcript(world)
    await world.store.add_shared_device(transcript, "p_salle3", FEED, "Salle 3")
    await world.store.add_shared_device(transcript, "p_salle3", FEED, "Renamed later")
    turn = await world.store.add_turn(transcript, _turn("p_salle3", "Salle 3", 1, 2, "Oui."))
    assert await world.store.pending_splits() == []  # still being transcribed
    await world.store.finish(transcript, START + timedelta(minutes=1), "interrupted")

    async for restarted in _world(world.url, tmp_path):
        [device] = await restarted.store.shared_devices(transcript)
        assert (device.participant_id, device.feed_id, device.name, device.status) == (
            "p_salle3",
            FEED,
            "Salle 3",
            "pending",
        )
        assert await restarted.store.pending_splits() == [transcript]
        assert await restarted.splits.resume() == 1
        await restarted.splits.wait_idle()
        [finished] = await restarted.store.shared_devices(transcript)
        assert finished.status == "no_audio"
        assert await restarted.store.pending_splits() == []
        # Another server that split it too, late, changes nothing.
        assert await restarted.store.split_done(device, {turn: "Salle 3 - x"}, 2) is None
        await restarted.store.split_failed(device, "failed", "late")
        assert await restarted.store.shared_devices(transcript) == [finished]
        assert [t.speaker for t in await restarted.store.turns(transcript)] == ["Salle 3"]

    (world.splits.folder(transcript) / str(FEED)).mkdir(parents=True)
    await world.store.delete(transcript)
    assert await world.store.shared_devices(transcript) == []
    assert await world.splits.sweep() == 1
    assert not world.splits.folder(transcript).exists()
