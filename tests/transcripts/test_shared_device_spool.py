"""A shared room device's own audio kept by a real Janus while the meeting is transcribed (not
recorded): a GStreamer publisher joins as a shared device, the meeting is transcribed, Janus
records that publisher on its own into the transcript's spool, and after the meeting the split
finds and decodes it, then deletes it."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.captions.protocol_worker import ProtocolWorker
from tests.e2e.large_meeting import GstPublishers
from tests.recording.media import raw_audio_bytes, recording_rows, wait_finished
from tests.support import RunningServer, start_server, wait_until
from visio.transcripts.device_audio import SPOOL

SECRET = "worker-secret-for-tests-0123456789"
ENOUGH_AUDIO_BYTES = 15_000
"""About two seconds of Opus in a track: the device is being recorded."""


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RunningServer]:
    running = start_server(tmp_path / "visio", speech_worker_secret=SECRET)
    yield running
    running.stop()


def _devices(server: RunningServer) -> list[dict[str, Any]]:
    connection = sqlite3.connect(f"file:{server.data_dir / 'visio.db'}?mode=ro", uri=True)
    connection.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in connection.execute("SELECT * FROM transcript_shared_devices")]
    finally:
        connection.close()


def _spooled_audio(spool: Path) -> dict[str, int]:
    sizes = {}
    for path in spool.glob("*/*-audio-*.mjr"):
        try:
            sizes[path.name] = path.stat().st_size
        except FileNotFoundError:
            continue  # removed between the listing and the look: the clean-up the test waits for
    return sizes


def test_janus_records_a_shared_device_into_the_spool_while_transcribed(
    server: RunningServer, tmp_path: Path
) -> None:
    """The device's microphone lands in the spool as a Janus track of its feed while the
    transcript is on (no recording asked). A recording started meanwhile records the device
    with everyone (its raw track named after its feed, the recording processed), and its track
    is kept in the spool when the recording stops. Once the transcript stops, the split decodes
    the device's audio (``done``, not ``no_audio``) and the spool is empty."""
    worker = ProtocolWorker(f"{server.ws_base}/api/v1/speech/workers/ws", SECRET)
    crowd = GstPublishers(tmp_path)
    try:
        slug = server.create_room()
        crowd.add(server.ws_base, slug, 1, shared_device=True)
        [device] = crowd.bots
        crowd.talk(device, True)
        crowd.send(device, {"type": "transcription.start", "id": 3, "language": "fr"})
        [stream] = worker.wait_for_streams(1, timeout=30)
        worker.send_caption(stream.stream_id, "bonjour à tous", language="fr")
        wait_until(lambda: _devices(server), 20, lambda: f"no device stored: {device.errors}")

        spool = server.data_dir / "recordings" / SPOOL
        wait_until(
            lambda: any(size > ENOUGH_AUDIO_BYTES for size in _spooled_audio(spool).values()),
            30,
            lambda: f"the device's audio is not in the spool: {_spooled_audio(spool)}",
        )
        [row] = _devices(server)
        assert all(f"-user-{row['feed_id']}-" in name for name in _spooled_audio(spool))
        assert not list((server.data_dir / "recordings").glob("rec_*"))  # no recording made

        crowd.send(device, {"type": "recording.start", "id": 5, "video": False})
        recording = wait_until(lambda: recording_rows(server), 20, "no recording")[0]["id"]
        wait_until(
            lambda: any(
                f"-user-{row['feed_id']}-" in name and size > ENOUGH_AUDIO_BYTES
                for name, size in raw_audio_bytes(server, recording).items()
            ),
            30,
            lambda: f"the recording misses the device: {raw_audio_bytes(server, recording)}",
        )
        raw = server.data_dir / "recordings" / recording / "raw"
        recorded = {(p.stat().st_dev, p.stat().st_ino) for p in raw.glob("*-audio-*.mjr")}
        crowd.send(device, {"type": "recording.stop", "id": 6})
        assert wait_finished(server, recording, 120)["status"] == "ready"
        assert not raw.exists()  # processed: the raw tracks are gone, except as kept here
        kept = {(p.stat().st_dev, p.stat().st_ino) for p in spool.glob("*/*-audio-*.mjr")}
        assert recorded <= kept, (recorded, _spooled_audio(spool))
        assert len(kept) >= 2  # its own track before the recording, the recording's own

        crowd.send(device, {"type": "transcription.stop", "id": 4})
        done = wait_until(
            lambda: [r for r in _devices(server) if r["status"] != "pending"],
            90,
            lambda: f"the split never ran: {_devices(server)}\n{server.log()[-3000:]}",
        )
        assert done[0]["status"] == "done", done
        wait_until(lambda: not _spooled_audio(spool), 10, "the spool was left behind")
        assert device.errors == []
        assert re.search(r"^visio_shared_device_failures_total 0", server.metrics(), re.M)
    finally:
        crowd.close()
        worker.close()
