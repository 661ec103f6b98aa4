"""The bodies of ``visio models`` and ``visio speech-worker``."""

from __future__ import annotations

import asyncio
import logging
import sys

from pydantic import ValidationError

from visio.speech.models import ModelCatalog, ModelError
from visio.speech.recogniser import Recogniser
from visio.speech.settings import SpeechWorkerSettings
from visio.speech.whisper import WhisperRecogniser
from visio.speech.worker import SpeechWorker, WorkerIdentity

log = logging.getLogger(__name__)


def _settings() -> SpeechWorkerSettings | None:
    try:
        return SpeechWorkerSettings()
    except ValidationError as exc:
        for error in exc.errors():
            name = "VISIO_" + "_".join(str(part) for part in error["loc"]).upper()
            print(f"invalid setting {name}: {error['msg']}", file=sys.stderr)
        return None


def _size(size: int | None) -> str:
    return "-" if size is None else f"{size / 1e6:.0f} MB"


def print_models(catalog: ModelCatalog, verify: bool) -> int:
    """Print the model table; 1 when a model is missing or fails its hash."""
    infos = catalog.describe(verify=verify)
    rows = [("NAME", "LANGUAGES", "SIZE", "HASH", "SOURCE")]
    for info in infos:
        if info.problem and info.hash_ok is None:
            check = "missing"
        elif info.hash_ok is None:
            check = "not pinned" if verify else "not checked"
        else:
            check = "ok" if info.hash_ok else "MISMATCH"
        rows.append(
            (info.name, ",".join(info.languages) or "-", _size(info.size), check, info.source)
        )
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        print("  ".join([*cells, row[4]]))
    for info in infos:
        if info.problem:
            print(f"{info.name}: {info.problem}", file=sys.stderr)
    return 1 if any(info.problem for info in infos) else 0


def cmd_models(verify: bool) -> int:
    settings = _settings()
    if settings is None:
        return 2
    return print_models(settings.catalog(), verify)


def build_recogniser(settings: SpeechWorkerSettings) -> tuple[Recogniser, list[str]]:
    """The recogniser the settings ask for, started, and the model names it offers."""
    if settings.speech_recogniser == "kyutai":
        from visio.speech.kyutai import KyutaiRecogniser

        if settings.speech_kyutai_url is None:
            raise ModelError(
                "VISIO_SPEECH_KYUTAI_URL is required with VISIO_SPEECH_RECOGNISER=kyutai"
            )
        key = settings.speech_kyutai_api_key
        kyutai = KyutaiRecogniser(
            settings.speech_kyutai_url, key.get_secret_value() if key else None
        )
        return kyutai, ["kyutai"]
    catalog = settings.catalog()
    whisper = WhisperRecogniser(
        catalog,
        default_model=settings.speech_default_model,
        english_model=settings.speech_english_model,
        french_model=settings.speech_french_model,
        device=settings.speech_device,
        cpu_threads=settings.cpu_threads,
    )
    whisper.start()
    wanted = {settings.speech_default_model}
    if settings.speech_english_model:
        wanted.add(settings.speech_english_model)
    if settings.speech_french_model:
        if catalog.languages(settings.speech_french_model) == ("en",):
            raise ModelError(
                f"VISIO_SPEECH_FRENCH_MODEL: {settings.speech_french_model} only knows English"
            )
        wanted.add(settings.speech_french_model)
    whisper.preload(*sorted(wanted))  # fail at start-up, not at the first meeting
    return whisper, catalog.names()


def cmd_speech_worker() -> int:
    settings = _settings()
    if settings is None:
        return 2
    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if settings.speech_server_url is None or settings.speech_worker_secret is None:
        print(
            "set VISIO_SPEECH_SERVER_URL (ws://app-server/api/v1/speech/workers/ws) and "
            "VISIO_SPEECH_WORKER_SECRET",
            file=sys.stderr,
        )
        return 2
    try:
        recogniser, models = build_recogniser(settings)
    except ModelError as exc:
        print(f"cannot load the speech model: {exc}", file=sys.stderr)
        return 1
    identity = WorkerIdentity(
        settings.speech_worker_id,
        settings.speech_worker_host,
        settings.speech_worker_capacity,
        models,
    )
    worker = SpeechWorker(
        settings.speech_server_url,
        settings.speech_worker_secret.get_secret_value(),
        identity,
        recogniser,
    )
    try:
        asyncio.run(worker.run())
    except KeyboardInterrupt:
        pass
    finally:
        recogniser.close()
    return 0
