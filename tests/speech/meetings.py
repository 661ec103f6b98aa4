"""Visio's French speech test set: synthesised meetings, one track per speaker (held out).

    from tests.speech.meetings import meetings, mixed_meeting, write_wav
    for meeting in meetings():            # the French meetings and the mixed-language one
        for speaker in meeting.speakers:
            speaker.track                 # 16 kHz mono float32, the meeting's length
            meeting.utterances_of(speaker.id)

Made by ``bench/data/make_french.py``; see ``tests/speech/data/french/README.md``. Never tune
anything on this set: it measures, it does not train.
"""

from __future__ import annotations

import json
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile
from numpy.typing import NDArray

DATA = Path(__file__).parent / "data" / "french"
RATE = 16000


@dataclass(frozen=True)
class Utterance:
    """One sentence on one speaker's track (times in seconds from the track's start)."""

    speaker: str
    language: str  # "fr" or "en"
    start: float
    end: float
    text: str  # exactly as synthesised
    translation: str  # English reference translation (the text itself for English)
    turn: int


@dataclass(frozen=True)
class Speaker:
    id: str
    name: str
    voice: str  # Kokoro voice it was synthesised with
    language: str
    track: NDArray[np.float32]  # 16 kHz mono, silence when this speaker does not speak


@dataclass(frozen=True)
class Meeting:
    name: str
    title: str
    speakers: tuple[Speaker, ...]
    utterances: tuple[Utterance, ...]

    @property
    def seconds(self) -> float:
        return self.speakers[0].track.size / RATE

    @property
    def mixed(self) -> bool:
        """Whether its speakers do not all speak the same language."""
        return len({speaker.language for speaker in self.speakers}) > 1

    def speaker(self, speaker_id: str) -> Speaker:
        return next(speaker for speaker in self.speakers if speaker.id == speaker_id)

    def utterances_of(self, speaker_id: str) -> list[Utterance]:
        return [u for u in self.utterances if u.speaker == speaker_id]

    def transcript(self, speaker_id: str) -> str:
        """Everything ``speaker_id`` says, in order: the reference for a whole-track WER."""
        return " ".join(u.text for u in self.utterances_of(speaker_id))

    def mix(self) -> NDArray[np.float32]:
        """All the tracks summed, as one room microphone would hear them."""
        total = np.sum([speaker.track for speaker in self.speakers], axis=0, dtype=np.float32)
        return np.clip(total, -1.0, 1.0)


def load_meeting(folder: Path) -> Meeting:
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    speakers = []
    for entry in manifest["speakers"]:
        track, rate = soundfile.read(folder / entry["track"], dtype="float32")
        assert rate == RATE and track.ndim == 1, folder / entry["track"]
        speakers.append(
            Speaker(entry["id"], entry["name"], entry["voice"], entry["language"], track)
        )
    length = min(speaker.track.size for speaker in speakers)  # Opus may pad a few samples
    speakers = [
        Speaker(s.id, s.name, s.voice, s.language, s.track[:length].copy()) for s in speakers
    ]
    utterances = tuple(Utterance(**entry) for entry in manifest["utterances"])
    return Meeting(manifest["meeting"], manifest["title"], tuple(speakers), utterances)


def meetings(data: Path = DATA) -> list[Meeting]:
    """Every meeting of the set, the French ones first, then the mixed-language one."""
    loaded = [load_meeting(folder.parent) for folder in sorted(data.glob("*/manifest.json"))]
    return sorted(loaded, key=lambda meeting: (meeting.mixed, meeting.name))


def french_meetings() -> list[Meeting]:
    """The meetings where everyone speaks French."""
    return [meeting for meeting in meetings() if not meeting.mixed]


def mixed_meeting() -> Meeting:
    """The meeting where one speaker speaks English and the others French."""
    return next(meeting for meeting in meetings() if meeting.mixed)


def write_wav(track: NDArray[np.float32], path: Path) -> Path:
    """``track`` as a 16 kHz mono 16-bit WAV file (what Chromium's fake microphone reads)."""
    pcm = (np.clip(track, -1.0, 1.0) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as file:
        file.setnchannels(1)
        file.setsampwidth(2)
        file.setframerate(RATE)
        file.writeframes(pcm.tobytes())
    return path
