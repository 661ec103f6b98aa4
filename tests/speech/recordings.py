"""Real English speech with transcripts, from Debian's pocketsphinx-testdata."""

from __future__ import annotations

import re
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

LIBRIVOX = Path("/usr/share/pocketsphinx/test/data/librivox")
CARDS = Path("/usr/share/pocketsphinx/test/data/cards")
RATE = 16000


@dataclass(frozen=True)
class Recording:
    name: str
    audio: NDArray[np.float32]  # 16 kHz mono
    transcript: str

    @property
    def seconds(self) -> float:
        return self.audio.size / RATE


def available() -> bool:
    return (LIBRIVOX / "transcription").is_file()


def load_wav(path: Path) -> NDArray[np.float32]:
    with wave.open(str(path)) as file:
        assert file.getframerate() == RATE and file.getnchannels() == 1
        data = np.frombuffer(file.readframes(file.getnframes()), dtype=np.int16)
    return data.astype(np.float32) / 32768


def librivox() -> list[Recording]:
    """The five LibriVox sentences (Sense and Sensibility) with their transcripts."""
    recordings = []
    for line in (LIBRIVOX / "transcription").read_text().splitlines():
        match = re.match(r"<s> (.*) </s> \((.*)\)", line.strip())
        if match:
            text, name = match.groups()
            recordings.append(Recording(name, load_wav(LIBRIVOX / f"{name}.wav"), text))
    return recordings


def cards() -> list[Recording]:
    """CMU's "cards" speaker: five short phrases naming playing cards (one to four seconds)."""
    recordings = []
    for line in (CARDS / "cards.transcription").read_text().splitlines():
        match = re.match(r"<s> (.*?)\s*</s> \((.*)\)", line.strip())
        if match:
            text, name = match.groups()
            recordings.append(Recording(name, load_wav(CARDS / f"{name}.wav"), text))
    return recordings


def silence(seconds: float) -> NDArray[np.float32]:
    return np.zeros(int(seconds * RATE), dtype=np.float32)


def white_noise(seconds: float, level: float = 0.05, seed: int = 1) -> NDArray[np.float32]:
    return (np.random.default_rng(seed).standard_normal(int(seconds * RATE)) * level).astype(
        np.float32
    )


def babble_noise(seconds: float, level: float = 0.05, seed: int = 2) -> NDArray[np.float32]:
    """Brown-ish noise with a slow amplitude wobble: closer to a room's hum and fan than hiss."""
    rng = np.random.default_rng(seed)
    brown = np.cumsum(rng.standard_normal(int(seconds * RATE)))
    brown -= np.convolve(brown, np.ones(400) / 400, mode="same")
    brown /= np.abs(brown).max() + 1e-9
    wobble = 0.6 + 0.4 * np.sin(np.linspace(0, seconds * 2 * np.pi * 0.7, brown.size))
    return (brown * wobble * level * 4).astype(np.float32)
