"""What happens when a meeting's records are ready: a complete transcript e-mails the room's
owners a link to it (never a word of its content) and sends the webhook event
``transcript.ready``; a processed recording sends ``recording.ready``."""

from __future__ import annotations

import logging
from urllib.parse import quote

from visio.mail import Mailer
from visio.mail.message import Recipient
from visio.recording.service import RecordingReady
from visio.rooms.repository import RoomRepository
from visio.rooms.transcription import TranscriptReady
from visio.settings import Settings
from visio.webhooks import WebhookService

logger = logging.getLogger(__name__)


class RecordsReady:
    """Listens to the recordings and the transcripts, and tells people and programs."""

    def __init__(
        self,
        settings: Settings,
        repository: RoomRepository,
        mailer: Mailer,
        webhooks: WebhookService,
    ) -> None:
        self._settings = settings
        self._repository = repository
        self._mailer = mailer
        self._webhooks = webhooks

    async def recording_ready(self, ready: RecordingReady) -> None:
        self._webhooks.emit(
            "recording.ready", ready.room_slug, {"recording_id": ready.recording_id}
        )

    async def transcript_ready(self, ready: TranscriptReady) -> None:
        self._webhooks.emit(
            "transcript.ready",
            ready.room_slug,
            {"transcript_id": ready.transcript_id, "turns": ready.turns},
        )
        if ready.turns == 0 or not self._mailer.enabled:
            return
        if self._settings.public_url is None:
            logger.warning(
                "transcript %d is ready, but no e-mail was sent: links in mail need "
                "VISIO_PUBLIC_URL",
                ready.transcript_id,
            )
            return
        room = await self._repository.get(ready.room_slug)
        if room is None:
            return
        base = str(self._settings.public_url).rstrip("/")
        link = f"{base}/rooms/{quote(room.slug, safe='')}/records?transcript={ready.transcript_id}"
        owners = [
            holder
            for holder in await self._repository.roles(room)
            if holder.role == "owner" and holder.email
        ]
        for owner in owners:
            assert owner.email is not None
            await self._mailer.transcript_ready(
                Recipient(owner.email, owner.full_name), room.name or room.slug, link
            )
