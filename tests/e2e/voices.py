"""Fake microphones for the active-speaker tests: one person reads aloud, the others are silent."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from tests.speech.recordings import LIBRIVOX

SPEECH = LIBRIVOX / "sense_and_sensibility_01_austen_64kb-0870.wav"
"""A real recording of someone reading (Debian's pocketsphinx-testdata), about 5 s long."""


def _loud_reading() -> tuple[int, NDArray[np.int16]]:
    """The recording's sample rate, and its voiced 20-ms frames raised to 0.9 of full scale."""
    with wave.open(str(SPEECH)) as source:
        rate = source.getframerate()
        samples = np.frombuffer(source.readframes(source.getnframes()), dtype="<i2")
    frame = rate // 50  # 20 ms, one Opus packet
    frames = samples[: len(samples) // frame * frame].reshape(-1, frame).astype(np.float32)
    loudness = np.sqrt((frames**2).mean(axis=1))
    voiced = frames[loudness > loudness.max() / 10]
    voiced *= 0.9 * 32767 / np.abs(voiced).max()
    return rate, voiced.reshape(-1).astype("<i2")


def _write(path: Path, rate: int, samples: NDArray[np.int16]) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples.astype("<i2").tobytes())
    return path


def write_speech(path: Path, repeat: int = 3) -> Path:
    """The recording with its pauses cut out and its level raised, several times over: a fake
    microphone that keeps talking. Janus averages -dBov over a window (0.1 s by default; 0.5 s
    before issue 9), where one pause of silence (127) weighs as much as several words, so the
    pauses of a real reading would make whether it is heard depend on how each window falls."""
    rate, speech = _loud_reading()
    return _write(path, rate, np.tile(speech, repeat))


def write_silence(path: Path, seconds: float = 5.0, rate: int = 48000) -> Path:
    """A WAV of digital silence, for a fake microphone that never speaks."""
    return _write(path, rate, np.zeros(int(seconds * rate), dtype="<i2"))


def write_coughs(path: Path, burst: float = 0.15, every: float = 2.0, count: int = 5) -> Path:
    """A fake microphone that only coughs: ``burst`` seconds of the loud reading every ``every``
    seconds, silence between. Janus decides on 0.1-s windows (5 packets): 0.15 s of loud voice
    fills at least four packets of one window, which it hears, and Janus's talking/stopped pair
    spans 0.1-0.2 s of it (measured up to 0.3 s apart on arrival with 0.2-s bursts on a loaded
    machine), well before the speaker confirmation (0.3 s)."""
    rate, speech = _loud_reading()
    period = np.zeros(int(every * rate), dtype="<i2")
    loud = int(burst * rate)
    bursts = []
    for index in range(count):  # each burst from another part of the reading
        start = (index * loud * 3) % max(1, speech.size - loud)
        one = period.copy()
        one[:loud] = speech[start : start + loud]
        bursts.append(one)
    return _write(path, rate, np.concatenate(bursts))
