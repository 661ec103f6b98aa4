"""The job that tells a shared room device's voices apart once its transcript is finished.

A participant marked as a shared room device that speaks while a transcript is on is stored
with the transcript (``transcript_shared_devices``, status ``pending``). When the transcript is
complete (or, after a restart, for every finished transcript still ``pending``), this job, for
each such device: decodes its own audio from the spool (:mod:`visio.transcripts.device_audio`),
diarizes it (:func:`visio.transcripts.shared_devices.split_by_voice`) in a worker process, gives
its turns their voices' labels ("Salle 3 - locuteur 1") and marks the device ``done`` in one
transaction, writes ``transcript.speakers_split`` to the audit trail, then deletes the spooled
audio. A crash before that transaction leaves the device ``pending``: the job runs again at the
next start and, labelling from the device's stored name, gives the same labels (never "Salle 3 -
locuteur 1 - locuteur 1").

When the device's audio is missing (the meeting was not recorded) or cannot be decoded, its
turns keep the device's name, the device is marked ``no_audio`` or ``failed`` with the reason
(shown with the transcript: ``shared_devices`` in ``GET /api/v1/transcripts/{id}``), an error is
logged and the audit trail says so. The spool of a transcript deleted or purged goes with it
(:meth:`VoiceSplits.sweep`, hourly, and at once on deletion).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import shutil
from collections import Counter
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from visio.audit import AuditTrail
from visio.settings import Settings
from visio.tasks import BackgroundTasks
from visio.transcripts import device_audio
from visio.transcripts.store import SharedDevice, StoredTurn, TranscriptStore

if TYPE_CHECKING:
    from visio.recording import Recordings
    from visio.rooms.transcription import TranscriptReady

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Split:
    """What the worker process found: each turn's new label, how many voices, the seconds of
    audio heard."""

    labels: dict[int, str]
    voices: int
    audio_s: float


def split_device(
    folder: Path, feed: int, work: Path, turns: list[StoredTurn], language: str
) -> Split | None:
    """In the worker process: decode the audio of ``feed`` in ``folder`` and label the ``turns``
    it covers (None: no audio at all). Turns outside the audio keep their name: nothing was
    heard of them."""
    audio = device_audio.decode(folder, feed, work)
    if audio is None:
        return None
    # Imported here, in the worker process only: the speaker encoder brings PyTorch.
    from visio.speech.diarization import VoiceEncoder
    from visio.transcripts.shared_devices import split_by_voice

    length = audio.samples.size / device_audio.RATE
    covered = [
        t
        for t in turns
        if (t.ended_at - audio.started_at).total_seconds() > 0
        and (t.started_at - audio.started_at).total_seconds() < length
    ]
    if not covered:
        return Split({}, 0, length)
    labels = split_by_voice(covered, audio.samples, audio.started_at, language, VoiceEncoder())
    voices = len(set(labels.values()))
    return Split(labels, voices, length)


class VoiceSplits:
    """Keeps shared devices' audio in the spool and runs their voice split after the meeting."""

    def __init__(
        self,
        settings: Settings,
        store: TranscriptStore,
        audit: AuditTrail,
        recordings: Recordings,
    ) -> None:
        self._store = store
        self._audit = audit
        self._recordings = recordings
        self.root = settings.effective_recordings_dir / device_audio.SPOOL
        self._background = BackgroundTasks("voice splits")
        self._one_at_a_time = asyncio.Semaphore(1)
        self._executor: ProcessPoolExecutor | None = None
        self._pending = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self.failures = 0
        """Devices whose voices could not be told apart since the start (no audio, or none
        decoded): each is logged and stored with its transcript."""
        self.changed_listeners: list[Callable[[int], Awaitable[None]]] = []
        """Told the transcript id once a device's turns were relabelled (its copies in object
        storage are made again)."""

    def folder(self, transcript_id: int) -> Path:
        return self.root / str(transcript_id)

    # ---- the audio ---------------------------------------------------------------------------

    async def keep_from_recording(
        self, transcript_id: int, recording_id: str, feeds: list[int]
    ) -> None:
        """Link the audio tracks of ``feeds`` from the recording's raw folder into this
        transcript's spool; a failure is logged (the split will then say no audio)."""
        if not feeds:
            return
        raw = self._recordings.raw_folder(recording_id)
        try:
            linked = await asyncio.to_thread(
                device_audio.keep_tracks, raw, self.folder(transcript_id), feeds
            )
        except OSError as exc:
            logger.error(
                "transcript %d: shared devices' tracks of recording %s not kept: %s",
                transcript_id,
                recording_id,
                exc,
            )
            return
        logger.info(
            "transcript %d: %d shared device tracks kept from recording %s",
            transcript_id,
            linked,
            recording_id,
        )

    # ---- the job -----------------------------------------------------------------------------

    async def transcript_ready(self, ready: TranscriptReady) -> None:
        """A transcript is complete: split its shared devices' voices in the background."""
        self._run_later(ready.transcript_id)

    async def resume(self) -> int:
        """At start-up: run the splits a stop interrupted or never reached; return how many
        transcripts have some."""
        pending = await self._store.pending_splits()
        for transcript_id in pending:
            self._run_later(transcript_id)
        return len(pending)

    def _run_later(self, transcript_id: int) -> None:
        self._pending += 1
        self._idle.clear()
        self._background.spawn(self._run(transcript_id))

    async def wait_idle(self) -> None:
        """Until no split is running (tests, and a graceful stop)."""
        await self._idle.wait()

    async def _run(self, transcript_id: int) -> None:
        try:
            async with self._one_at_a_time:
                await self.run(transcript_id)
        finally:
            self._pending -= 1
            if self._pending == 0:
                # The worker process holds the speaker encoder (hundreds of MB): not kept idle.
                if self._executor is not None:
                    self._executor.shutdown(wait=False)
                    self._executor = None
                self._idle.set()

    async def run(self, transcript_id: int) -> None:
        """Split the voices of every ``pending`` shared device of a finished transcript."""
        transcript = await self._store.get(transcript_id)
        if transcript is None or transcript.status == "active":
            return
        devices = [
            d for d in await self._store.shared_devices(transcript_id) if d.status == "pending"
        ]
        if not devices:
            await self._forget_if_finished(transcript_id)
            return
        turns = await self._store.turns(transcript_id)
        for device in devices:
            mine = [t for t in turns if t.participant_id == device.participant_id]
            own = [replace(t, speaker=device.name) for t in mine]
            language = _language(own, transcript.language)
            folder = self.folder(transcript_id)
            work = self.folder(transcript_id) / f"work-{device.feed_id}"
            tracks = await asyncio.to_thread(device_audio.tracks_of, folder, device.feed_id)
            try:
                if not tracks:
                    split = None  # no worker process for nothing
                else:
                    split = await asyncio.get_running_loop().run_in_executor(
                        self._worker(), split_device, folder, device.feed_id, work, own, language
                    )
            except device_audio.DeviceAudioError as exc:
                await self._failed(transcript.room_slug, device, "failed", str(exc))
            except BrokenProcessPool:
                self._executor = None
                await self._failed(
                    transcript.room_slug, device, "failed", "the worker process died"
                )
            else:
                if split is None:
                    await self._failed(
                        transcript.room_slug,
                        device,
                        "no_audio",
                        "no audio of this device was kept: Janus did not record it, or its "
                        "tracks were lost",
                    )
                else:
                    was = {t.id: t.speaker for t in mine}
                    await self._done(transcript.room_slug, device, split, was)
            finally:
                await _remove(work)
            await asyncio.to_thread(device_audio.remove_feed, folder, device.feed_id)
        await self._forget_if_finished(transcript_id)

    def _worker(self) -> ProcessPoolExecutor:
        # Diarization is CPU-heavy (speaker embeddings): never on the event loop. "spawn": a
        # fresh interpreter, not a fork of the server with its sockets and threads.
        if self._executor is None:
            self._executor = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
        return self._executor

    async def _done(
        self, room_slug: str, device: SharedDevice, split: Split, was: dict[int, str]
    ) -> None:
        labelled = await self._store.split_done(device, split.labels, split.voices, was)
        if labelled is None:
            return  # another server was quicker
        logger.info(
            "transcript %d: shared device %s (%s) split into %d voices over %d turns "
            "(%.0f s of audio)",
            device.transcript_id,
            device.participant_id,
            device.name,
            split.voices,
            labelled,
            split.audio_s,
        )
        if labelled < len(split.labels):
            logger.info(
                "transcript %d: %d turns of shared device %s were renamed while its voices were "
                "told apart: they keep the name given",
                device.transcript_id,
                len(split.labels) - labelled,
                device.participant_id,
            )
        await self._audit.record(
            "transcript.speakers_split",
            "success",
            actor="voice split",
            target=room_slug,
            details={
                "transcript": device.transcript_id,
                "participant": device.participant_id,
                "voices": split.voices,
                "turns": labelled,
                "audio_s": round(split.audio_s, 1),
            },
        )
        for listener in self.changed_listeners:
            await listener(device.transcript_id)

    async def _failed(self, room_slug: str, device: SharedDevice, status: str, error: str) -> None:
        self.failures += 1
        logger.error(
            "transcript %d: the voices of shared device %s (%s) were not told apart (%s): %s; "
            "its turns keep its name",
            device.transcript_id,
            device.participant_id,
            device.name,
            status,
            error,
        )
        await self._store.split_failed(device, status, error)
        await self._audit.record(
            "transcript.speakers_split",
            "failure",
            actor="voice split",
            target=room_slug,
            details={
                "transcript": device.transcript_id,
                "participant": device.participant_id,
                "status": status,
                "error": error[:300],
            },
        )

    # ---- what is left behind -----------------------------------------------------------------

    async def _forget_if_finished(self, transcript_id: int) -> None:
        devices = await self._store.shared_devices(transcript_id)
        if all(d.status != "pending" for d in devices):
            await self.forget(transcript_id)

    async def forget(self, transcript_id: int) -> None:
        """Delete whatever audio the spool holds for this transcript (it was deleted, or its
        split is over)."""
        await _remove(self.folder(transcript_id))

    async def sweep(self) -> int:
        """Delete the spool of every transcript that is gone (deleted, purged) or has nothing
        left to split; return how many went. A transcript still active keeps its spool."""
        names = await asyncio.to_thread(
            lambda: [p.name for p in self.root.iterdir()] if self.root.is_dir() else []
        )
        ids = [int(n) for n in names if n.isdigit()]
        existing = await self._store.existing_ids(ids) if ids else set()
        removed = 0
        for transcript_id in ids:
            if transcript_id in existing:
                transcript = await self._store.get(transcript_id)
                devices = await self._store.shared_devices(transcript_id)
                if (transcript is not None and transcript.status == "active") or any(
                    d.status == "pending" for d in devices
                ):
                    continue
            await self.forget(transcript_id)
            removed += 1
        return removed

    def close(self) -> None:
        """Stop splitting; what was interrupted stays ``pending`` and runs at the next start."""
        self._background.cancel_all()
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None


def _language(turns: list[StoredTurn], fallback: str) -> str:
    spoken = Counter(t.language.split("-")[0].lower() for t in turns if t.language)
    return spoken.most_common(1)[0][0] if spoken else fallback


async def _remove(folder: Path) -> None:
    await asyncio.to_thread(shutil.rmtree, folder, ignore_errors=True)
