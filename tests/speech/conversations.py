"""Multi-speaker audio with known speaker times, for diarization (one microphone, several voices).

- :func:`meeting_reference`: who speaks when in a meeting of the French set (tests/speech/
  meetings.py), from the manifest's sentences narrowed to where the speaker's own track is
  voiced, so that the breath pauses inside a sentence are not counted as speech.
- :func:`english_conversations`: real English speech (Debian's pocketsphinx-testdata: a LibriVox
  reader and the "cards" speaker) laid out as a conversation, also through a telephone band and
  with overlaps. Test data: nothing is tuned on it.
- :func:`prompt_conversations`: Asterisk's telephone prompts in four languages by three people
  (Allison in English and Spanish, June in French, Carlo in Italian). The development set that
  ``visio.speech.diarization.DISTANCE_THRESHOLD`` was chosen on.
"""

from __future__ import annotations

import random
import wave
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from tests.speech.meetings import RATE, Meeting
from tests.speech.recordings import CARDS, LIBRIVOX, load_wav

ASTERISK = Path("/usr/share/asterisk/sounds")
PROMPT_VOICES = {
    "allison": ["en_US_f_Allison", "es_MX_f_Allison"],
    "june": ["fr_CA_f_June"],
    "carlo": ["it_IT_m_Carlo"],
}

Reference = list[tuple[float, float, str]]


@dataclass(frozen=True)
class Conversation:
    name: str
    audio: NDArray[np.float32]  # 16 kHz mono
    reference: Reference  # (start, end, speaker) in seconds

    @property
    def seconds(self) -> float:
        return self.audio.size / RATE

    @property
    def speakers(self) -> int:
        return len({name for _, _, name in self.reference})


def voiced_spans(audio: NDArray[np.float32], *, bridge: float = 0.3) -> list[tuple[float, float]]:
    """Where ``audio`` (one clean voice) is voiced: 10 ms frames within 35 dB of its loudest,
    gaps under ``bridge`` seconds joined."""
    frames = audio[: audio.size // 160 * 160].reshape(-1, 160)
    level = np.sqrt((frames.astype(np.float64) ** 2).mean(axis=1))
    if level.size == 0 or level.max() <= 0:
        return []
    voiced = level > level.max() * 10 ** (-35 / 20)
    spans: list[tuple[float, float]] = []
    for index in np.flatnonzero(voiced):
        start = index / 100
        if spans and start - spans[-1][1] < bridge:
            spans[-1] = (spans[-1][0], start + 0.01)
        else:
            spans.append((start, start + 0.01))
    return spans


def meeting_reference(meeting: Meeting) -> Reference:
    """Each sentence of the manifest, narrowed to where its speaker's track is voiced."""
    reference: Reference = []
    for utterance in meeting.utterances:
        track = meeting.speaker(utterance.speaker).track
        first = int(utterance.start * RATE)
        clip = track[first : int(utterance.end * RATE)]
        for start, end in voiced_spans(clip):
            reference.append((utterance.start + start, utterance.start + end, utterance.speaker))
    return reference


def telephone(audio: NDArray[np.float32]) -> NDArray[np.float32]:
    """``audio`` as a telephone line carries it: 300-3400 Hz only."""
    spectrum = np.fft.rfft(audio)
    bins = np.fft.rfftfreq(audio.size, 1 / RATE)
    spectrum[(bins < 300) | (bins > 3400)] = 0
    return np.fft.irfft(spectrum, audio.size).astype(np.float32)


def lay_out(
    name: str,
    clips: Sequence[tuple[str, NDArray[np.float32]]],
    *,
    seed: int,
    overlap_every: int = 0,
) -> Conversation:
    """The clips one after another, 0.4-1.2 s apart; with ``overlap_every`` = n, every n-th clip
    starts 0.5 s before the previous one ends (both are heard: the reference has both)."""
    rng = random.Random(seed)
    placed: list[tuple[int, str, NDArray[np.float32]]] = []
    cursor = int(0.5 * RATE)
    for index, (speaker, clip) in enumerate(clips):
        spans = voiced_spans(clip)
        clip = clip[int(spans[0][0] * RATE) : int(spans[-1][1] * RATE)]  # trim its silences
        clip = clip * (0.5 / max(float(np.abs(clip).max()), 1e-6))
        overlapping = overlap_every and index and index % overlap_every == 0
        if overlapping and placed[-1][1] != speaker:
            cursor -= int(0.5 * RATE)
        else:
            cursor += int(rng.uniform(0.4, 1.2) * RATE)
        placed.append((cursor, speaker, clip.astype(np.float32)))
        cursor += clip.size
    audio = np.zeros(cursor + int(0.5 * RATE), dtype=np.float32)
    reference: Reference = []
    for start, speaker, clip in placed:
        audio[start : start + clip.size] += clip
        for begin, end in voiced_spans(clip):
            reference.append((start / RATE + begin, start / RATE + end, speaker))
    return Conversation(name, np.clip(audio, -1, 1), sorted(reference))


def _load_8k(path: Path) -> NDArray[np.float32]:
    with wave.open(str(path)) as file:
        data = np.frombuffer(file.readframes(file.getnframes()), dtype=np.int16)
        rate = file.getframerate()
    audio = data.astype(np.float32) / 32768
    if rate == RATE:
        return audio
    times = np.arange(int(audio.size * RATE / rate)) * rate / RATE
    return np.interp(times, np.arange(audio.size), audio).astype(np.float32)


def english_available() -> bool:
    return LIBRIVOX.is_dir() and CARDS.is_dir()


def english_conversations() -> list[Conversation]:
    """Two real English speakers taking turns: clean, with overlaps, and through a telephone
    band (the LibriVox reader's five sentences, the "cards" speaker's five)."""
    reader = [("reader", load_wav(p)) for p in sorted(LIBRIVOX.glob("*.wav"))]
    cards = [("cards", load_wav(p)) for p in sorted(CARDS.glob("*.wav"))]
    interleaved = [clip for pair in zip(reader, cards, strict=True) for clip in pair]
    clean = lay_out("english", interleaved, seed=1)
    overlapped = lay_out("english-overlap", interleaved, seed=2, overlap_every=2)
    phone = Conversation("english-telephone", telephone(clean.audio), clean.reference)
    return [clean, overlapped, phone]


def prompts_available() -> bool:
    return all((ASTERISK / voice).is_dir() for voices in PROMPT_VOICES.values() for voice in voices)


def prompt_conversations(count: int = 4, clips: int = 24) -> list[Conversation]:
    """Development conversations from Asterisk's prompts (telephone audio, 8 kHz), each of
    ``clips`` prompts of 2-6 s by two or three of the voices."""
    rng = random.Random(7)
    pool: dict[str, list[Path]] = {}
    for speaker, voices in PROMPT_VOICES.items():
        files = [f for voice in voices for f in sorted((ASTERISK / voice).glob("*.wav"))]
        pool[speaker] = [f for f in files if 32000 <= f.stat().st_size <= 96000]  # 2-6 s at 8 kHz
    conversations = []
    for number in range(count):
        speakers = rng.sample(sorted(pool), 2 + number % 2)
        chosen: list[tuple[str, NDArray[np.float32]]] = []
        current = rng.choice(speakers)
        for _ in range(clips):
            if rng.random() < 0.6:
                current = rng.choice([s for s in speakers if s != current])
            chosen.append((current, _load_8k(rng.choice(pool[current]))))
        conversations.append(
            lay_out(f"prompts-{number + 1}", chosen, seed=number, overlap_every=5 * (number % 2))
        )
    return conversations
