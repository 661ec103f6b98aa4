"""Live subtitles end to end: real speech into fake microphones, captions under the right names.

Each participant's fake microphone loops a real LibriVox recording (Debian's
pocketsphinx-testdata); `visio serve` runs its embedded speech worker with the packaged Whisper
models; another participant's browser shows what each one said, attributed to them.
"""

from __future__ import annotations

import re
import struct
import wave
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Playwright, expect

from tests.e2e.browser import Participant, Participants
from tests.speech.recordings import LIBRIVOX
from tests.support import RunningServer, wait_until

SPEECH = {
    "alice": "sense_and_sensibility_01_austen_64kb-0870",  # "... mister john dashwood had then leisure ..."
    "bob": "sense_and_sensibility_01_austen_64kb-0920",  # "had he married a more amiable woman ..."
}
EXPECTED = {
    "alice": {"dashwood", "leisure", "consider", "prudently", "power"},
    "bob": {"married", "amiable", "woman", "respectable"},
}


def looped_with_pause(source: Path, target: Path, pause: float = 2.5) -> Path:
    """The recording followed by silence, so each loop ends an utterance (a final caption)."""
    with wave.open(str(source)) as file:
        rate, frames = file.getframerate(), file.readframes(file.getnframes())
    with wave.open(str(target), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames + struct.pack("<h", 0) * int(pause * rate))
    return target


@pytest.fixture
def speakers(playwright: Playwright, tmp_path: Path) -> Iterator[Participants]:
    voices = {
        name: looped_with_pause(LIBRIVOX / f"{file}.wav", tmp_path / f"{name}.wav")
        for name, file in SPEECH.items()
    }
    crowd = Participants(playwright, voices)
    yield crowd
    crowd.close()


def final_words_under(page_owner: Participant, speaker_id: str) -> set[str]:
    texts = page_owner.page.evaluate(
        """(id) => [...document.querySelectorAll('[data-testid="caption-entry"]')]
             .filter(e => e.dataset.participantId === id).map(e => e.textContent)""",
        speaker_id,
    )
    return {w for text in texts for w in re.findall(r"[a-z]+", text.lower())}


def test_captions_show_what_each_person_said_under_their_name(
    captioning_server: RunningServer, speakers: Participants
) -> None:
    """Alice and Bob speak; each sees the other's words, finalised, under the other's name."""
    server = captioning_server
    alice, bob = speakers.meeting(server.url, server.create_room(), "Alice", "Bob")
    alice.page.get_by_test_id("toggle-captions-panel").click()
    alice.page.get_by_test_id("captions-language").select_option("en")
    alice.page.get_by_test_id("captions-on").click()
    expect(bob.page.get_by_test_id("captions-indicator")).to_be_visible()
    bob.page.get_by_test_id("toggle-captions-panel").click()

    heard: dict[str, set[str]] = {}

    def both_understood() -> bool:
        heard["bob"] = final_words_under(alice, bob.participant_id)
        heard["alice"] = final_words_under(bob, alice.participant_id)
        return all(len(heard[n] & EXPECTED[n]) >= 3 for n in EXPECTED)

    wait_until(both_understood, timeout=90, message=lambda: f"captions so far: {heard}")
    for name, words in EXPECTED.items():
        assert len(heard[name] & words) >= 3, f"{name}'s captions: {sorted(heard[name])}"
    assert not heard["bob"] & {"dashwood", "prudently"}, "Alice's words under Bob's name"
    assert not heard["alice"] & {"amiable", "respectable"}, "Bob's words under Alice's name"
