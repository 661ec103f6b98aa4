"""Settings of ``visio speech-worker``: environment variables prefixed ``VISIO_`` (or ``.env``)."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from visio.speech.models import FolderModel, ModelCatalog


class SpeechWorkerSettings(BaseSettings):
    """A speech worker's configuration. See docs/speech.md."""

    model_config = SettingsConfigDict(
        env_prefix="VISIO_", env_file=".env", extra="ignore", frozen=True
    )

    speech_server_url: str | None = None  # ws(s)://app-server/api/v1/speech/workers/ws
    speech_worker_secret: SecretStr | None = None
    speech_worker_host: str = "127.0.0.1"
    speech_worker_id: str = Field(
        default_factory=lambda: f"{socket.gethostname()}-{os.getpid()}", min_length=1
    )
    speech_worker_capacity: int = Field(default=8, ge=1, le=256)
    speech_recogniser: Literal["whisper", "kyutai"] = "whisper"
    speech_default_model: str = "whisper-base"
    speech_english_model: str | None = "whisper-tiny.en"
    speech_french_model: str | None = None  # None: the default model
    speech_device: Literal["cpu", "cuda"] = "cpu"  # cuda: an NVIDIA GPU (CTranslate2's CUDA)
    speech_cpu_threads: int = Field(default=0, ge=0, le=256)  # 0: every core
    speech_model_dir: Path | None = None  # an operator's faster-whisper model folder
    speech_model_name: str = "custom"
    speech_model_sha256: str | None = None
    speech_kyutai_url: str | None = None  # ws(s)://host:8080/api/asr-streaming
    speech_kyutai_api_key: SecretStr | None = None
    data_dir: Path = Path("var")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("speech_server_url", "speech_kyutai_url")
    @classmethod
    def _websocket_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("ws://", "wss://")):
            raise ValueError("must be a ws:// or wss:// URL")
        return value

    @property
    def cpu_threads(self) -> int:
        return self.speech_cpu_threads or os.cpu_count() or 1

    def catalog(self) -> ModelCatalog:
        """The models this worker may load."""
        folders: tuple[FolderModel, ...] = ()
        if self.speech_model_dir is not None:
            folders = (
                FolderModel(
                    self.speech_model_name, self.speech_model_dir, self.speech_model_sha256
                ),
            )
        return ModelCatalog(self.data_dir / "speech-models", folders)
