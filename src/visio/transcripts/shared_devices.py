"""A shared room device's turns told apart by voice.

A participant marked as a shared device ("several people use this microphone") speaks with
several voices under one name. Once the meeting is over, the audio of that participant's own
track is diarized (:func:`visio.speech.diarization.diarize`, the number of voices estimated)
and each of its turns goes to the voice heard most during it: "Salle 3 - locuteur 1",
"Salle 3 - locuteur 2", … in order of first appearance (``speaker`` in English transcripts).
The owner renames them afterwards (``POST /api/v1/transcripts/{id}/speakers/rename``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import numpy as np
from numpy.typing import NDArray

from visio.speech.diarization import Turn as Voice
from visio.speech.diarization import VoiceEncoder, diarize
from visio.speech.vad import SileroVad
from visio.transcripts.store import StoredTurn

DASH = "\N{EN DASH}"
"""Between the device's name and the voice's number, as in "Salle 3 - locuteur 1"."""

WORDS = {"fr": "locuteur", "en": "speaker"}
"""The word after the device's name, by the transcript's language (French otherwise)."""


def speaker_label(name: str, number: int, language: str) -> str:
    """``"Salle 3 - locuteur 1"``: the device's name and the voice's number, counted from 1;
    kept within the 64 characters a speaker name may have."""
    word = WORDS.get(language.split("-")[0].lower(), WORDS["fr"])
    suffix = f" {DASH} {word} {number}"
    return name[: 64 - len(suffix)] + suffix


def voice_of(turn: tuple[float, float], voices: Sequence[Voice]) -> int | None:
    """The voice heard longest during ``turn`` (seconds on the track); the nearest voice when
    none overlaps it; None when there are no voices."""
    if not voices:
        return None
    start, end = turn
    heard: dict[int, float] = {}
    for voice in voices:
        overlap = min(end, voice.end) - max(start, voice.start)
        if overlap > 0:
            heard[voice.speaker] = heard.get(voice.speaker, 0.0) + overlap
    if heard:
        return max(heard, key=lambda speaker: (heard[speaker], -speaker))
    middle = (start + end) / 2
    nearest = min(voices, key=lambda v: min(abs(v.start - middle), abs(v.end - middle)))
    return nearest.speaker


def split_by_voice(
    turns: Sequence[StoredTurn],
    audio: NDArray[np.float32],
    track_start: datetime,
    language: str,
    encoder: VoiceEncoder,
    *,
    vad: SileroVad | None = None,
) -> dict[int, str]:
    """New speaker labels for a shared device's ``turns`` (turn id → label), from its track's
    16 kHz mono ``audio`` whose first sample was heard at ``track_start``. Voices are numbered
    in the order their first turn comes; a turn with no voice keeps its label."""
    voices = diarize(audio, encoder, vad=vad)
    numbers: dict[int, int] = {}
    labels: dict[int, str] = {}
    for turn in sorted(turns, key=lambda t: (t.started_at, t.id)):
        start = (turn.started_at - track_start).total_seconds()
        end = (turn.ended_at - track_start).total_seconds()
        voice = voice_of((start, end), voices)
        if voice is None:
            continue
        number = numbers.setdefault(voice, len(numbers) + 1)
        labels[turn.id] = speaker_label(turn.speaker, number, language)
    return labels
