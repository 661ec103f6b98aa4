"""The one place that builds Visio's object graph from its settings, and starts and stops it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import sys
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import httpx

from visio.audit import AuditTrail
from visio.auth.oidc import OidcClient
from visio.auth.service import AuthService
from visio.auth.sessions import SessionStore
from visio.auth.tokens import TokenStore
from visio.auth.users import UserRepository
from visio.calendars import (
    CalDavClient,
    CalendarAccounts,
    CalendarPolicy,
    Calendars,
    PasswordSeal,
    guarded_client,
)
from visio.calendars.agenda import Agenda
from visio.calendars.scheduled import CalendarFollower
from visio.cluster import redis as cluster_redis
from visio.cluster.load import ClusterLoad
from visio.cluster.node import ClusterNode
from visio.cluster.placement import NodeLoad
from visio.directory import DirectoryRepository, DirectorySync
from visio.directory.people import PeopleDirectory
from visio.mail import Mailer, Outbox, SmtpTransport
from visio.media.janus.config import janus_command, write_janus_config
from visio.media.janus.videoroom import TalkDetection
from visio.media.pool import JanusPool
from visio.observability import JanusFigures, Metrics, Snapshot, SpeechWorkerFigures
from visio.ratelimit import LimitCounters, RateLimits
from visio.recording import Recordings, RecordingStore
from visio.recording.claims import RedisRecordingClaims
from visio.rooms.administration import RoomAdministration
from visio.rooms.audible import AudioSelection
from visio.rooms.captions import RoomCaptions
from visio.rooms.chat_history import ChatHistory
from visio.rooms.chat_mirror import RedisChatMirror
from visio.rooms.device_spool import DeviceSpool
from visio.rooms.media import RoomMedia
from visio.rooms.participant import Participant
from visio.rooms.repository import RoomRepository
from visio.rooms.resume import resumption_for
from visio.rooms.room import Room
from visio.rooms.service import RoomService
from visio.rooms.signaling import RoomConnection
from visio.scheduling.replies import ReplyReader
from visio.scheduling.repository import MeetingRepository
from visio.scheduling.service import CHANGES_PER_MINUTE, MeetingScheduler
from visio.settings import Settings
from visio.speech.pool import SpeechWorkerPool
from visio.storage.database import create_engine, migrate, session_factory
from visio.supervision import SupervisedProcess
from visio.tasks import BackgroundTasks
from visio.transcripts import device_audio
from visio.transcripts.library import TranscriptLibrary
from visio.transcripts.ready import RecordsReady
from visio.transcripts.store import TranscriptStore
from visio.transcripts.voice_split import VoiceSplits
from visio.turn.credentials import TurnCredentials
from visio.turn.usage import TurnUsage, TurnUsageCollector, parse_stats_url
from visio.webhooks import WebhookService
from visio.webhooks.service import WebhookAdministration
from visio.webhooks.signing import SecretBox
from visio.webhooks.store import WebhookStore

if TYPE_CHECKING:
    from visio.recording.copies import ObjectCopies

logger = logging.getLogger(__name__)

HOUSEKEEPING_INTERVAL_S = 3600.0


class Container:
    """Holds the services of one running Visio server."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.database = create_engine(settings.effective_database_url)
        database_sessions = session_factory(self.database)
        self.room_repository = RoomRepository(database_sessions)
        self.transcripts = TranscriptStore(database_sessions)
        self.directory_groups = DirectoryRepository(database_sessions)
        self.directory_people = PeopleDirectory(database_sessions)
        self.directory_sync = DirectorySync(settings, self.directory_groups, self.directory_people)
        self.audit = AuditTrail(
            database_sessions,
            refusals_per_minute=settings.rate_limit_refusals_audited_per_minute,
        )
        self.users = UserRepository(database_sessions)
        self.sessions = SessionStore(database_sessions)
        self.tokens = TokenStore(database_sessions)
        self.http = httpx.AsyncClient(timeout=10, follow_redirects=False)
        self.auth = AuthService(
            settings,
            {p.id: OidcClient(p, self.http) for p in settings.oidc_providers},
            self.users,
            self.sessions,
            self.audit,
            database_sessions,
        )
        self._housekeeping: asyncio.Task[None] | None = None
        self._directory_syncing: asyncio.Task[None] | None = None
        self.janus_process: SupervisedProcess | None = None
        if settings.janus_mode == "embedded":
            runtime = write_janus_config(settings, settings.data_dir.resolve() / "janus")
            self.janus_process = SupervisedProcess(
                "janus", janus_command(settings.janus_binary, runtime.config_dir)
            )
            self.janus = JanusPool.connect_to(
                [runtime.ws_url], runtime.api_secret, runtime.videoroom_admin_key
            )
        else:
            self.janus = JanusPool.connect_to(
                settings.janus_instance_urls,
                settings.janus_api_secret,
                settings.janus_videoroom_admin_key,
            )
        self.recordings = Recordings(settings, RecordingStore(database_sessions), self.audit)
        self.voice_splits = VoiceSplits(settings, self.transcripts, self.audit, self.recordings)
        self.speech_pool = SpeechWorkerPool()
        self.speech_worker_secret = (
            settings.speech_worker_secret.get_secret_value()
            if settings.speech_worker_secret
            else secrets.token_urlsafe(32)
        )
        self.speech_workers = [
            SupervisedProcess(
                f"speech-worker-{index}",
                [sys.executable, "-m", "visio", "speech-worker"],
                env=self._speech_worker_env(index),
            )
            for index in range(settings.speech_embedded_workers)
        ]
        captions = RoomCaptions(self.speech_pool, settings.speech_srtp)
        self._captions = captions
        self.device_spool = DeviceSpool(settings.effective_recordings_dir / device_audio.SPOOL)
        self._spooling = BackgroundTasks("shared device spool")
        webhook_store = WebhookStore(database_sessions)
        webhook_box = SecretBox.from_setting_or_file(
            settings.webhooks_encryption_key.get_secret_value()
            if settings.webhooks_encryption_key
            else None,
            settings.data_dir.resolve(),
        )
        self.webhooks = WebhookService(settings, webhook_store, webhook_box)
        # One Redis client (one connection pool) for every user of Redis on this server:
        # placement and relay, rate limits, the role memory, the chat mirror, recording claims.
        # Closed once, in ``stop``. The relay's pub/sub subscription holds one connection of it.
        self.redis = cluster_redis.connect(settings)
        if self.redis is not None:
            self.recordings.claims = RedisRecordingClaims(self.redis, settings.effective_node_id)
        self.room_service = RoomService(
            settings,
            self.room_repository,
            self.janus,
            RoomMedia(
                self.janus,
                settings.room_max_participants,
                on_publishing=self._media_up,
                talk_detection=(
                    TalkDetection(
                        settings.speaker_detection_packets, settings.speaker_detection_level
                    )
                    if settings.speaker_detection
                    else None
                ),
                audio_selection=AudioSelection(
                    settings.audio_selection_above, settings.audio_selection_speakers
                ),
                speaker_hold=settings.speaker_hold_seconds,
                speaker_confirm=settings.speaker_confirm_seconds,
            ),
            captions,
            self.audit,
            ChatHistory(database_sessions),
            self.recordings,
            self.transcripts,
            observer=self.webhooks.meetings,
            turn=TurnCredentials(settings, on_minted=lambda: self.metrics.turn_credentials.inc()),
            chat_mirror=RedisChatMirror(self.redis) if self.redis is not None else None,
            resumption=resumption_for(
                settings,
                self.redis,
                on_outcome=lambda outcome: self.metrics.resumes.labels(outcome).inc(),
            ),
        )
        self.room_administration = RoomAdministration(
            settings, self.room_repository, self.audit, self.auth.is_admin, self.directory_groups
        )
        self.transcript_library = TranscriptLibrary(
            settings, self.transcripts, self.room_administration, self.audit
        )
        self.webhook_administration = WebhookAdministration(
            settings,
            self.webhooks,
            webhook_store,
            webhook_box,
            self.room_administration,
            self.audit,
        )
        self.metrics = Metrics(self.snapshot)
        self.turn_usage: TurnUsage | None = None
        if settings.turn_stats_redis_url is not None:
            self.turn_usage = TurnUsage(
                parse_stats_url(settings.turn_stats_redis_url.get_secret_value()),
                settings.turn_realm,
            )
            self.metrics.registry.register(TurnUsageCollector(self.turn_usage))
        self.rate_limits = RateLimits(
            LimitCounters(self.redis, self.metrics.rate_limit_storage_errors.inc),
            on_rejected=lambda name: self.metrics.rate_limit_rejections.labels(name).inc(),
            sign_in=settings.rate_limit_sign_in_per_minute,
            room_creation=settings.rate_limit_room_creation_per_minute,
            joins=settings.rate_limit_joins_per_minute,
            sockets=settings.protocol_max_sockets_per_address,
            node=settings.effective_node_id,
        )
        self.outbox = Outbox(
            database_sessions, SmtpTransport(settings) if settings.mail_configured else None
        )
        self.mailer = Mailer(settings, self.outbox)
        self.meetings = MeetingScheduler(
            settings,
            MeetingRepository(database_sessions),
            self.room_administration,
            self.audit,
            self.mailer,
            rate=self.rate_limits.limit("meeting_changes", CHANGES_PER_MINUTE),
        )
        self.directory_search_rate = self.rate_limits.limit("directory_search", 60)
        self.connection_test_rate = self.rate_limits.limit(
            "connection_tests", settings.rate_limit_connection_tests_per_minute
        )
        self._mail_sending: asyncio.Task[None] | None = None
        self.replies = ReplyReader(
            settings, self.meetings.repository, self.audit, self.metrics.registry
        )
        self._reply_reading: asyncio.Task[None] | None = None
        self.calendar_http = guarded_client(
            allow_private=settings.caldav_allow_private, timeout=settings.caldav_timeout_seconds
        )
        self.calendars = Calendars(
            CalendarPolicy(
                deployment_url=settings.caldav_url,
                deployment_username=settings.caldav_username,
                deployment_password=settings.caldav_password,
                allow_http=settings.caldav_allow_http,
                allow_private=settings.caldav_allow_private,
            ),
            CalDavClient(self.calendar_http),
            CalendarAccounts(
                database_sessions,
                PasswordSeal(settings.caldav_encryption_key.get_secret_value()),
            )
            if settings.caldav_encryption_key
            else None,
            self.metrics.registry,
        )
        self.calendar_requests = self.rate_limits.limit(
            "calendar_requests", settings.caldav_requests_per_minute
        )
        self.meetings.listeners.append(CalendarFollower(self.calendars))
        self.agenda = Agenda(
            self.meetings,
            self.calendars,
            self.calendar_requests,
            str(settings.public_url) if settings.public_url else None,
        )
        self.room_service.transcription.device_spool = self.device_spool
        self.room_service.recorder.device_spool = self.device_spool
        self.room_service.transcription.voice_splits = self.voice_splits
        self.room_service.recorder.voice_splits = self.voice_splits
        self.room_service.transcription.ready_listeners.append(self.voice_splits.transcript_ready)
        self.transcript_library.voice_splits = self.voice_splits
        records_ready = RecordsReady(settings, self.room_repository, self.mailer, self.webhooks)
        self.recordings.on_ready(records_ready.recording_ready)
        self.room_service.transcription.ready_listeners.append(records_ready.transcript_ready)
        self.object_copies: ObjectCopies | None = None
        if settings.object_store_configured:
            # Imported only then: boto3 takes half a second to import.
            from visio.recording.copies import ObjectCopies
            from visio.storage.objects import ObjectStore

            self.object_copies = ObjectCopies(
                settings, ObjectStore(settings), self.recordings, self.transcripts, self.audit
            )
            self.recordings.copies = self.object_copies
            self.transcript_library.copies = self.object_copies
            self.recordings.on_ready(self.object_copies.recording_ready)
            self.room_service.transcription.ready_listeners.append(
                self.object_copies.transcript_ready
            )
            self.voice_splits.changed_listeners.append(self.object_copies.transcript_changed)
        self.cluster: ClusterNode | None = None
        if self.redis is not None:
            own_janus_load = self.janus.load
            self.cluster = ClusterNode(
                self.redis,
                settings,
                self.metrics.registry,
                lambda transport, slug, visitor: RoomConnection(
                    transport,
                    slug,
                    visitor,
                    self.room_service,
                    settings,
                    self.metrics,
                    self.rate_limits.joins,
                ),
                lambda: NodeLoad(
                    self.room_service.live_rooms(),
                    self.room_service.participants_total(),
                    janus_streams=own_janus_load.forwarded_streams(),
                    janus_rooms=own_janus_load.rooms(),
                ),
            )
            # Rooms go to the Janus forwarding the fewest streams across every app server.
            cluster_load = ClusterLoad(own_janus_load, self.cluster.node_id)
            self.cluster.on_nodes = cluster_load.others_reported
            self.janus.measure_with(cluster_load, local=own_janus_load)

    def snapshot(self) -> Snapshot:
        return Snapshot(
            rooms=self.room_service.live_rooms(),
            participants=self.room_service.participants_total(),
            media_engine_up=self.janus.connected,
            media_engine_connections=self.janus.connections,
            janus_restarts=self.janus_process.restarts if self.janus_process else 0,
            speech_workers=len(self.speech_pool.workers()),
            caption_streams=self.room_service.caption_streams_total(),
            captions_undelivered=(
                self.room_service.captions.undelivered + self.speech_pool.stray_captions
            ),
            caption_streams_unplaced=self.room_service.captions.unplaced,
            shared_device_failures=self.voice_splits.failures + self.device_spool.failures,
            speech_worker_figures=tuple(
                SpeechWorkerFigures(
                    worker.worker_id,
                    worker.load.dropped_seconds,
                    worker.load.backlog_seconds,
                    worker.load.decode_errors,
                    worker.load.final_lag_seconds,
                    worker.load.rtp_packets,
                    worker.load.rtp_lost,
                    worker.load.rtp_rejected,
                    worker.load.silent_streams,
                )
                for worker in self.speech_pool.workers()
                if worker.load is not None
            ),
            janus_figures=tuple(
                JanusFigures(f.name, f.up, f.rooms, f.forwarded_streams)
                for f in self.janus.figures()
            ),
            janus_room_moves=self.room_service.media.moves,
            webhook_attempts=tuple(self.webhooks.dispatcher.attempts.items()),
            webhook_claims_lost=self.webhooks.dispatcher.claims_lost,
        )

    def _speech_worker_env(self, index: int) -> dict[str, str]:
        """An embedded worker talks to this server over loopback, with this run's secret."""
        host = self.settings.host
        if host in ("0.0.0.0", "::", "", "localhost"):  # noqa: S104 - comparing, not binding
            host = "127.0.0.1"
        return {
            **os.environ,
            "VISIO_SPEECH_SERVER_URL": (
                f"ws://{host}:{self.settings.port}/api/v1/speech/workers/ws"
            ),
            "VISIO_SPEECH_WORKER_SECRET": self.speech_worker_secret,
            "VISIO_SPEECH_WORKER_HOST": "127.0.0.1",
            "VISIO_SPEECH_WORKER_ID": f"embedded-{index}",
            "VISIO_SPEECH_WORKER_CAPACITY": str(self.settings.speech_worker_capacity),
        }

    def _media_up(self, room: Room, participant: Participant) -> None:
        """Someone's media reached Janus: their captions start (if on), and a shared device
        of a transcribed meeting is recorded on its own."""
        self._captions.participant_media_up(room, participant)
        if participant.shared_device and room.transcript is not None:
            self._spooling.spawn(self.device_spool.start(room, participant))

    async def start(self) -> None:
        if self.settings.database_url is None:
            await migrate(self.database)
            # One server owns the embedded database: a transcript it left active was cut short.
            interrupted = await self.transcripts.interrupt_active(datetime.now(UTC))
            if interrupted:
                logger.warning("%d transcripts were cut short by the last stop", interrupted)
        resumed = await self.recordings.resume()
        if resumed:
            logger.info("processing %d recordings a restart interrupted", resumed)
        splits = await self.voice_splits.resume()
        if splits:
            logger.info("telling apart the shared devices' voices of %d transcripts", splits)
        if self.janus_process is not None:
            await self.janus_process.start()
        self._housekeeping = asyncio.create_task(self._keep_house(), name="housekeeping")
        self.webhooks.start()
        if self.directory_sync.configured:
            self._directory_syncing = asyncio.create_task(
                self.directory_sync.run_forever(), name="directory-sync"
            )
        if self.outbox.enabled:
            self._mail_sending = asyncio.create_task(self.outbox.run_forever(), name="mail")
        if self.settings.replies_configured:
            self._reply_reading = asyncio.create_task(
                self.replies.run_forever(), name="meeting-replies"
            )
        if self.cluster is not None:
            await self.cluster.start()
        if self.turn_usage is not None:
            await self.turn_usage.start()
        await self.janus.start()
        try:
            await self.janus.wait_ready(timeout=10)
        except TimeoutError:
            logger.error("Janus is not answering yet; meetings will start once it does")

    async def start_background_workers(self) -> None:
        """Start the embedded speech workers (once the server accepts their connections)."""
        for worker in self.speech_workers:
            await worker.start()

    async def _keep_house(self) -> None:
        """Apply the audit and chat retention periods and drop expired sessions, once an hour."""
        retention = timedelta(days=self.settings.audit_retention_days)
        while True:
            try:
                removed = await self.audit.purge(retention)
                expired = await self.sessions.purge_expired()
                if removed or expired:
                    logger.info("purged %d audit events, %d expired sessions", removed, expired)
                chat = await self.room_service.chat.purge()
                if chat:
                    logger.info("purged %d chat messages past their retention", chat)
                recordings = await self.recordings.purge()
                if recordings:
                    logger.info("deleted %d recordings past their retention", recordings)
                transcripts = await self.transcripts.purge(
                    datetime.now(UTC) - timedelta(days=self.settings.transcript_retention_days)
                )
                if transcripts:
                    logger.info("purged %d transcripts past their retention", transcripts)
                spooled = await self.voice_splits.sweep()
                if spooled:
                    logger.info("deleted the shared devices' audio of %d transcripts", spooled)
                if self.object_copies is not None:
                    await self._sweep_object_copies(self.object_copies)
                deliveries = await self.webhooks.purge()
                if deliveries:
                    logger.info("purged %d webhook deliveries past their retention", deliveries)
                mail = await self.outbox.purge()
                if mail:
                    logger.info("purged %d sent or abandoned mail messages", mail)
            except Exception:
                logger.exception("housekeeping failed; trying again in an hour")
            await asyncio.sleep(HOUSEKEEPING_INTERVAL_S)

    async def _sweep_object_copies(self, copies: ObjectCopies) -> None:
        """Delete the copies of what is gone (the transcripts just purged) and copy what has
        none; a store that cannot be reached is tried again in an hour."""
        from visio.storage.objects import ObjectStoreError

        try:
            deleted, copied = await copies.sweep()
        except ObjectStoreError as exc:
            logger.error("object storage sweep failed (%s); trying again in an hour", exc)
            return
        if deleted or copied:
            logger.info("object storage: %d stale objects deleted, %d copies made", deleted, copied)

    async def stop(self) -> None:
        for task in (
            self._housekeeping,
            self._directory_syncing,
            self._mail_sending,
            self._reply_reading,
        ):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        for worker in self.speech_workers:
            await worker.stop()
        if self.cluster is not None:
            await self.cluster.stop()
        if self.turn_usage is not None:
            await self.turn_usage.stop()
        await self.room_service.close()
        self.recordings.close()
        self.voice_splits.close()
        self._spooling.cancel_all()
        if self.object_copies is not None:
            self.object_copies.close()
        await self.webhooks.stop()
        await self.janus.stop()
        if self.janus_process is not None:
            await self.janus_process.stop()
        await self.calendars.close()
        await self.calendar_http.aclose()
        await self.http.aclose()
        await self.rate_limits.close()
        if self.redis is not None:
            await self.redis.aclose()
        await self.database.dispose()
