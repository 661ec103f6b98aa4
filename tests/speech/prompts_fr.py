"""Real French speech with transcripts: Asterisk's Canadian French voice prompts (June Wallack).

Debian's ``asterisk-core-sounds-fr-wav`` (8 kHz telephone recordings, CC-BY-SA-3.0) with the
transcripts in ``asterisk-core-sounds-fr`` (``core-sounds-fr.txt``); installed by
``./scripts/setup --test``. One speaker reading short prompts ("Composez votre mot de passe suivi
du dièse."), so a check that real French speech is understood, not a meeting. Held out, like the
synthesised set.
"""

from __future__ import annotations

import gzip
import re
import wave
from pathlib import Path

import numpy as np

from tests.speech.recordings import RATE, Recording

SOUNDS = Path("/usr/share/asterisk/sounds/fr_CA_f_June")
TRANSCRIPTS = Path("/usr/share/doc/asterisk-core-sounds-fr/core-sounds-fr.txt.gz")


def available() -> bool:
    return SOUNDS.is_dir() and TRANSCRIPTS.is_file()


def load_8khz_wav(path: Path) -> np.ndarray:
    """A 8 kHz 16-bit mono WAV at 16 kHz (linear interpolation: the band above 4 kHz is empty)."""
    with wave.open(str(path)) as file:
        assert file.getframerate() == 8000 and file.getnchannels() == 1, path
        data = np.frombuffer(file.readframes(file.getnframes()), dtype=np.int16)
    audio = data.astype(np.float32) / 32768
    times = np.arange(audio.size * 2, dtype=np.float32) / 2
    return np.interp(times, np.arange(audio.size), audio).astype(np.float32)


def prompts(min_words: int = 4) -> list[Recording]:
    """The prompts whose transcript is a sentence of at least ``min_words`` words."""
    recordings = []
    for line in gzip.decompress(TRANSCRIPTS.read_bytes()).decode("utf-8").splitlines():
        match = re.match(r"([\w-]+): (.+)$", line.strip())
        if not match or re.search(r"[\[\](){}<>]", match[2]):
            continue  # comments, and sound effects such as "[ascending tones]"
        name, text = match.groups()
        path = SOUNDS / f"{name}.wav"
        if len(text.split()) >= min_words and path.is_file():
            recordings.append(Recording(name, load_8khz_wav(path), text))
    assert all(r.audio.dtype == np.float32 for r in recordings) and RATE == 16000
    return recordings
