"""The one place that builds Visio's object graph from its settings, and starts and stops it."""

from __future__ import annotations

import logging

from visio.media.engine import MediaEngine
from visio.media.janus.config import write_janus_config
from visio.media.janus.process import JanusProcess
from visio.rooms.repository import RoomRepository
from visio.rooms.service import RoomService
from visio.settings import Settings
from visio.storage.database import create_engine, migrate, session_factory

logger = logging.getLogger(__name__)


class Container:
    """Holds the services of one running Visio server."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.database = create_engine(settings.effective_database_url)
        self.room_repository = RoomRepository(session_factory(self.database))
        self.janus_process: JanusProcess | None = None
        if settings.janus_mode == "embedded":
            runtime = write_janus_config(settings, settings.data_dir.resolve() / "janus")
            self.janus_process = JanusProcess(settings.janus_binary, runtime.config_dir)
            self.media_engine = MediaEngine(
                runtime.ws_url, runtime.api_secret, runtime.videoroom_admin_key
            )
        else:
            assert settings.janus_url is not None
            self.media_engine = MediaEngine(
                settings.janus_url, settings.janus_api_secret, settings.janus_videoroom_admin_key
            )
        self.room_service = RoomService(settings, self.room_repository, self.media_engine)

    async def start(self) -> None:
        if self.settings.database_url is None:
            await migrate(self.database)
        if self.janus_process is not None:
            await self.janus_process.start()
        await self.media_engine.start()
        try:
            await self.media_engine.wait_ready(timeout=10)
        except TimeoutError:
            logger.error("Janus is not answering yet; meetings will start once it does")

    async def stop(self) -> None:
        await self.room_service.close()
        await self.media_engine.stop()
        if self.janus_process is not None:
            await self.janus_process.stop()
        await self.database.dispose()
