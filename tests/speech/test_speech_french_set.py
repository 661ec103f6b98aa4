"""The French speech test set loads, and its manifests say where each speaker speaks."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from tests.speech.meetings import RATE, french_meetings, meetings, mixed_meeting, write_wav


def test_french_set_has_four_french_meetings_and_one_mixed() -> None:
    """Four French meetings of 3-4 speakers, about a minute or more each, and one French-English
    meeting."""
    french = french_meetings()
    assert len(french) >= 4
    for meeting in meetings():
        assert 55 <= meeting.seconds <= 100, meeting.name
        assert len(meeting.speakers) in (3, 4), meeting.name
        assert {u.speaker for u in meeting.utterances} == {s.id for s in meeting.speakers}
    assert {s.language for s in mixed_meeting().speakers} == {"fr", "en"}


def test_french_set_speech_is_where_the_manifest_says() -> None:
    """Each track is loud inside its speaker's utterances and silent between them."""
    for meeting in meetings():
        for speaker in meeting.speakers:
            track = speaker.track
            assert track.dtype == np.float32 and track.size == meeting.speakers[0].track.size
            speaking = np.zeros(track.size, dtype=bool)
            for u in meeting.utterances_of(speaker.id):
                assert u.text and u.translation and 0 < u.start < u.end <= meeting.seconds
                span = track[round(u.start * RATE) : round(u.end * RATE)]
                assert np.sqrt(np.mean(span**2)) > 0.02, (meeting.name, u.text)
                speaking[round(u.start * RATE) - 800 : round(u.end * RATE) + 800] = True
            assert np.abs(track[~speaking]).max() < 0.02, (meeting.name, speaker.id)


def test_french_set_track_as_wav(tmp_path: Path) -> None:
    """write_wav gives the 16 kHz mono 16-bit WAV that Chromium's fake microphone reads."""
    track = mixed_meeting().speakers[0].track
    path = write_wav(track, tmp_path / "marc.wav")
    with wave.open(str(path)) as file:
        assert (file.getframerate(), file.getnchannels(), file.getsampwidth()) == (RATE, 1, 2)
        pcm = np.frombuffer(file.readframes(file.getnframes()), dtype=np.int16)
    assert pcm.size == track.size
    assert np.abs(pcm / 32767 - track).max() < 1e-3
