"""A busy meeting for the subtitles: three speakers taking turns, a silent viewer reading.

Shared by ``tests/e2e/test_captions_busy.py`` (every utterance must reach the viewer) and
``bench/captions.py --busy`` (how many do, and how late). Each speaker's fake microphone plays its
own *meeting track*: LibriVox sentences (Debian's pocketsphinx-testdata) at set times, separated by
long silences, then silence long enough that Chromium's looping of the file never replays speech
during a run. Speaker ``i`` opens their microphone about ``JOIN_SPACING * i`` seconds after the
first, and their track is shifted by as much, so that speakers mostly take turns.

Matching (what "this utterance reached the viewer" means): each sentence has a few distinctive
words (below, chosen by hand: rare in English, and not in that speaker's other sentences); an
utterance is found when at least half of them (rounded up) appear in one short stretch of the
speaker's final captions, in the order the speaker said them. Whisper tiny.en misses or misspells
a word now and then; it does not drop half of a sentence's rare words unless the audio never
reached it.
"""

from __future__ import annotations

import math
import re
import time
import wave
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tests.e2e.browser import Participant, Participants
from tests.speech.recordings import LIBRIVOX, RATE, load_wav
from tests.support import RunningServer, wait_until

JOIN_SPACING = 10.0
"""Seconds between one speaker opening their microphone and the next."""
LEAD = 24.0
"""Silence before a speaker's first turn: time to join, publish and be captioned."""
ROUND = 24.0
"""Seconds between a speaker's turns (each of the three speakers gets a third of it)."""
TAIL = 600.0
"""Silence after the last turn: longer than a run, so the file never loops back to speech."""

SENTENCES = {
    # file suffix: (transcript, distinctive words)
    "0870": (
        "and mister john dashwood had then leisure to consider how much there might be "
        "prudently in his power to do for them",
        ("john", "dashwood", "leisure", "consider", "prudently", "power"),
    ),
    "0880": ("he was not an ill disposed young man", ("ill", "disposed", "young", "man")),
    "0890": (
        "unless to be rather cold hearted and rather selfish is to be ill disposed",
        ("unless", "rather", "cold", "hearted", "selfish", "disposed"),
    ),
    "0920": (
        "had he married a more a amiable woman he might have been made still more respectable "
        "than he was",
        ("married", "woman", "still", "respectable"),
    ),
    "0930": ("he might even have been made amiable himself", ("even", "himself")),
}

TURNS = {
    "alice": ("0870", "0880", "0870"),
    "bob": ("0920", "0930", "0920"),
    "carol": ("0890", "0890", "0890"),
}
"""What each speaker says, in order (one sentence per round)."""

SPEAKERS = tuple(TURNS)


@dataclass(frozen=True)
class Utterance:
    speaker: str
    sentence: str
    start: float
    """Seconds from the start of the speaker's track."""
    end: float
    """When the speech itself ends (the recording's trailing quiet left out)."""

    @property
    def distinctive(self) -> tuple[str, ...]:
        return SENTENCES[self.sentence][1]

    @property
    def needed(self) -> int:
        return max(1, math.ceil(len(self.distinctive) / 2))


def _recording(sentence: str) -> np.ndarray:
    return load_wav(LIBRIVOX / f"sense_and_sensibility_01_austen_64kb-{sentence}.wav")


def _speech_end(audio: np.ndarray) -> float:
    """Seconds to the last 20 ms frame louder than quiet room noise."""
    frames = audio[: audio.size - audio.size % 320].reshape(-1, 320)
    loud = np.flatnonzero(np.sqrt((frames**2).mean(axis=1)) > 0.01)
    return float((loud[-1] + 1) * 320 / RATE) if loud.size else 0.0


def schedule(speaker: str) -> list[Utterance]:
    """When ``speaker`` says each of their sentences, from the start of their own track."""
    index = SPEAKERS.index(speaker)
    slot = ROUND / len(SPEAKERS)
    utterances = []
    for turn, sentence in enumerate(TURNS[speaker]):
        # On the meeting's clock (the first speaker's track) this turn starts at
        # LEAD + ROUND * turn + slot * index; this speaker's track started JOIN_SPACING * index later.
        start = LEAD + ROUND * turn + slot * index - JOIN_SPACING * index
        audio = _recording(sentence)
        utterances.append(Utterance(speaker, sentence, start, start + _speech_end(audio)))
    return utterances


def write_track(speaker: str, path: Path) -> list[Utterance]:
    """The speaker's meeting track as a 16 kHz mono WAV file; returns its utterances."""
    utterances = schedule(speaker)
    length = utterances[-1].start + _recording(utterances[-1].sentence).size / RATE + TAIL
    track = np.zeros(int(length * RATE), dtype=np.float32)
    for utterance in utterances:
        audio = _recording(utterance.sentence)
        at = int(utterance.start * RATE)
        track[at : at + audio.size] = audio
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes((np.clip(track, -1, 1) * 32767).astype("<i2").tobytes())
    return utterances


def write_silence(path: Path, seconds: float = TAIL) -> Path:
    """A silent microphone (Chromium's default fake microphone beeps)."""
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(b"\0\0" * int(seconds * RATE))
    return path


def words(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text.lower())


def match_utterances(utterances: list[Utterance], finals: list[str]) -> list[int | None]:
    """For each utterance, in order, the index of the final caption by which it had arrived
    (None: not found). Finals are one speaker's, in the order the viewer received them; an
    utterance may be split over consecutive finals, and each one is looked for after the
    previous one found."""
    tokens: list[tuple[str, int]] = [(w, i) for i, text in enumerate(finals) for w in words(text)]
    found: list[int | None] = []
    cursor = 0
    for utterance in utterances:
        span = len(words(SENTENCES[utterance.sentence][0])) + 4
        wanted = set(utterance.distinctive)
        hit: int | None = None
        for start in range(cursor, len(tokens)):
            if tokens[start][0] not in wanted:
                continue
            window = tokens[start : start + span]
            first: dict[str, int] = {}  # each distinctive word's first place in the window
            for k, (w, _) in enumerate(window):
                if w in wanted:
                    first.setdefault(w, k)
            if len(first) >= utterance.needed:
                last = start + max(first.values())
                cursor = last + 1  # the next utterance is looked for after
                hit = tokens[last][1]
                break
        found.append(hit)
    return found


MIC_START_JS = """
const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
navigator.mediaDevices.getUserMedia = async (constraints) => {
  const stream = await original(constraints);
  if (stream.getAudioTracks().length && !window.__micStartedAt) window.__micStartedAt = Date.now();
  return stream;
};
"""
"""When this browser's fake microphone started playing its file (ms since the epoch)."""

FINALS_WATCH_JS = """
window.__finals = [];
window.addEventListener('DOMContentLoaded', () => {
  const seen = new WeakSet();
  const scan = () => {
    for (const entry of document.querySelectorAll('[data-testid="caption-entry"]')) {
      if (seen.has(entry)) continue;
      seen.add(entry);
      const text = (entry.querySelector('.caption-entry__text') ?? entry).textContent;
      const name = entry.querySelector('.caption-entry__speaker')?.textContent ?? '';
      window.__finals.push({at: Date.now(), who: entry.dataset.participantId, name, text});
    }
  };
  new MutationObserver(scan).observe(document.body, {subtree: true, childList: true});
});
"""
"""Every final caption-history entry, with when it first showed on this screen and under
which name (the history keeps its entries: none is removed before 500 lines)."""


def write_tracks(folder: Path) -> tuple[dict[str, Path], dict[str, list[Utterance]]]:
    """Every participant's microphone file (the viewer's is silent), and what each speaker says."""
    files = {"viewer": write_silence(folder / "viewer.wav")}
    said = {}
    for speaker in SPEAKERS:
        files[speaker] = folder / f"{speaker}.wav"
        said[speaker] = write_track(speaker, files[speaker])
    return files, said


@dataclass
class BusyMeeting:
    """The meeting under way: the viewer, the speakers, and what reached the viewer."""

    viewer: Participant
    said: dict[str, list[Utterance]]
    speakers: dict[str, Participant] = field(default_factory=dict)
    mic_started: dict[str, float] = field(default_factory=dict)
    """When each speaker's microphone started playing their track (s since the epoch)."""

    @classmethod
    def start(
        cls,
        server: RunningServer,
        crowd: Participants,
        said: dict[str, list[Utterance]],
        cameras: bool,
    ) -> BusyMeeting:
        """The viewer joins and turns subtitles on (English); then the speakers join,
        JOIN_SPACING seconds apart, each captioned before their first word (or this fails)."""
        slug = server.create_room()
        viewer = crowd.join(server.url, slug, "Viewer", init_script=FINALS_WATCH_JS)
        viewer.page.get_by_test_id("toggle-captions-panel").click()
        viewer.page.get_by_test_id("captions-language").select_option("en")
        viewer.page.get_by_test_id("captions-on").click()
        viewer.page.get_by_test_id("captions-off").wait_for()  # the server turned them on
        meeting = cls(viewer, said)
        for index, name in enumerate(SPEAKERS):
            if index:
                # The meeting's pace, not a wait for something: speakers open their microphones
                # JOIN_SPACING seconds apart, as their tracks were written for.
                due = meeting.mic_started[SPEAKERS[0]] + index * JOIN_SPACING
                wait_until(
                    lambda due=due: time.time() >= due,
                    timeout=JOIN_SPACING * index + 5,
                    message="the clock stopped",
                )
            person = crowd.join(
                server.url, slug, name.capitalize(), init_script=MIC_START_JS, camera=cameras
            )
            meeting.speakers[name] = person
            person.page.wait_for_function("() => window.__micStartedAt")
            meeting.mic_started[name] = person.page.evaluate("() => window.__micStartedAt") / 1000
            pid = person.participant_id
            wait_until(
                lambda pid=pid: f"captioning {pid} on" in server.log(),
                timeout=60,
                message=lambda name=name: f"{name} never captioned:\n{server.log()[-3000:]}",
            )
            # Precondition, not the feature: the machine let them in before their first word.
            late = time.time() - meeting.mic_started[name] - said[name][0].start
            assert late < 0, f"{name} was captioned only {late:.1f} s after starting to speak"
        return meeting

    @property
    def last_word_at(self) -> float:
        """When the last utterance of the meeting ends (s since the epoch)."""
        return max(self.mic_started[name] + u.end for name, said in self.said.items() for u in said)

    def finals(self) -> dict[str, list[dict[str, Any]]]:
        """Each speaker's finals in the viewer's history, in order: {at (ms), name, text}."""
        entries: list[dict[str, Any]] = self.viewer.page.evaluate("() => window.__finals")
        ids = {person.participant_id: name for name, person in self.speakers.items()}
        mine: dict[str, list[dict[str, Any]]] = {name: [] for name in self.speakers}
        for entry in entries:
            if entry["who"] in ids:
                mine[ids[entry["who"]]].append(entry)
        return mine

    def found(self) -> dict[str, list[int | None]]:
        """For each speaker's utterances, the index of the final by which each arrived."""
        return {
            name: match_utterances(self.said[name], [f["text"] for f in finals])
            for name, finals in self.finals().items()
        }

    def missing(self) -> str:
        """What has not arrived, for a failure message."""
        finals, found = self.finals(), self.found()
        lines = []
        for name, person in self.speakers.items():
            lost = [
                u.sentence for u, f in zip(self.said[name], found[name], strict=True) if f is None
            ]
            # 20 ms a packet: how far into the track the microphone got (a loaded machine
            # plays it slower than the wall clock)
            sent = person.published_audio().get("packetsSent", 0) * 0.02
            lines.append(
                f"{name} (sent {sent:.0f} s of audio in {time.time() - self.mic_started[name]:.0f}"
                f" s): {lost} missing from {[f['text'] for f in finals[name]]}"
            )
        return "\n".join(lines)
