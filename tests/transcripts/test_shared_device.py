"""A shared room device's turns told apart by voice: two people of a French meeting on one
microphone, their turns (the sentences each said) relabelled from the diarized track."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import numpy as np

from tests.speech.meetings import meetings
from visio.speech.diarization import Turn as Voice
from visio.speech.diarization import VoiceEncoder
from visio.transcripts.shared_devices import DASH, speaker_label, split_by_voice, voice_of
from visio.transcripts.store import StoredTurn

START = datetime(2026, 3, 12, 9, 30, tzinfo=UTC)


def test_a_shared_device_turns_are_labelled_by_voice() -> None:
    """Sophie and Marc share "Salle 3": each of their sentences is a turn of "Salle 3"; after
    diarization the turns of one person carry one label and the two people two labels (at
    least 80 % of the turns agree with who really spoke)."""
    meeting = next(m for m in meetings() if m.name == "incident-client")
    people = ("sophie", "marc")
    audio = np.clip(sum(meeting.speaker(p).track for p in people), -1, 1).astype(np.float32)
    spoken = [u for u in meeting.utterances if u.speaker in people]
    turns = [
        StoredTurn(
            id=n,
            participant_id="p_salle3",
            speaker="Salle 3",
            user_id=None,
            started_at=START + timedelta(seconds=u.start),
            ended_at=START + timedelta(seconds=u.end),
            text=u.text,
            language="fr",
        )
        for n, u in enumerate(spoken, start=1)
    ]
    labels = split_by_voice(turns, audio, START, "fr", VoiceEncoder())
    assert set(labels) == {t.id for t in turns}
    assert set(labels.values()) == {f"Salle 3 {DASH} locuteur 1", f"Salle 3 {DASH} locuteur 2"}
    truth = {n: u.speaker for n, u in enumerate(spoken, start=1)}
    best = {
        person: Counter(labels[n] for n, who in truth.items() if who == person).most_common(1)[0]
        for person in people
    }
    assert best["sophie"][0] != best["marc"][0], labels
    agreeing = sum(count for _, count in best.values())
    assert agreeing / len(turns) >= 0.8, (agreeing, len(turns), labels)


def test_turns_go_to_the_voice_heard_longest_and_labels_stay_short() -> None:
    voices = [Voice(0.0, 2.0, 0), Voice(2.0, 5.0, 1), Voice(8.0, 9.0, 0)]
    assert voice_of((1.5, 4.0), voices) == 1
    assert voice_of((0.0, 2.5), voices) == 0
    assert voice_of((6.0, 7.5), voices) == 0  # nearest
    assert voice_of((1.0, 2.0), []) is None
    assert speaker_label("Meeting room", 2, "en") == f"Meeting room {DASH} speaker 2"
    long = speaker_label("S" * 80, 12, "fr")
    assert len(long) == 64 and long.endswith(f" {DASH} locuteur 12")
