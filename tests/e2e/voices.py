"""Fake microphones for the active-speaker tests: one person reads aloud, the others are silent."""

from __future__ import annotations

import wave
from pathlib import Path

from tests.speech.recordings import LIBRIVOX

SPEECH = LIBRIVOX / "sense_and_sensibility_01_austen_64kb-0870.wav"
"""A real recording of someone reading (Debian's pocketsphinx-testdata), about 5 s long."""


def write_speech(path: Path, repeat: int = 3) -> Path:
    """The recording several times over, with no pause: a fake microphone that keeps talking."""
    with wave.open(str(SPEECH)) as source:
        rate, frames = source.getframerate(), source.readframes(source.getnframes())
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames * repeat)
    return path


def write_silence(path: Path, seconds: float = 5.0, rate: int = 48000) -> Path:
    """A WAV of digital silence, for a fake microphone that never speaks."""
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"\x00\x00" * int(seconds * rate))
    return path
