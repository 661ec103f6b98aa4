from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.speech import recordings
from visio.speech.models import ModelCatalog
from visio.speech.whisper import WhisperRecogniser


@pytest.fixture(scope="session")
def librivox() -> list[recordings.Recording]:
    if not recordings.available():
        pytest.skip("needs Debian's pocketsphinx-testdata (./scripts/setup --test)")
    return recordings.librivox()


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("speech-models")


@pytest.fixture(scope="session")
def whisper(model_cache: Path) -> Iterator[WhisperRecogniser]:
    """The embedded recogniser with tiny.en for English, loaded once for the session."""
    recogniser = WhisperRecogniser(ModelCatalog(model_cache), cpu_threads=2)
    recogniser.start()
    recogniser.preload("whisper-tiny.en")
    yield recogniser
    recogniser.close()


@pytest.fixture(scope="session")
def whisper_base(model_cache: Path) -> Iterator[WhisperRecogniser]:
    """whisper-base without a decoder thread: tests decode in virtual time (run_until_idle)."""
    recogniser = WhisperRecogniser(ModelCatalog(model_cache), cpu_threads=2)
    recogniser.start(thread=False)
    recogniser.preload("whisper-base")
    yield recogniser
    recogniser.close()
