"""Diarization error rate of one shared microphone (visio.speech.diarization).

    PYTHONPATH=src:. .venv/bin/python -m bench.diarization [--sets dev french english]
        [--threshold 0.30] [--oracle]

Sets: ``dev`` is Asterisk's telephone prompts by three people (where the clustering threshold
was chosen); ``french`` is the French test set's five meetings, every track summed into one
"room microphone" (held out); ``english`` is real English speech by two people
(pocketsphinx-testdata) as a conversation, with overlaps, and through a telephone band. DER on
10 ms frames, no collar, overlapping speech scored, the number of speakers estimated (``--oracle``
also runs with it given). Compute is the wall time over the audio's length, one thread.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from tests.speech.conversations import (
    Conversation,
    english_available,
    english_conversations,
    meeting_reference,
    prompt_conversations,
    prompts_available,
)
from tests.speech.meetings import meetings

from visio.speech.diarization import (
    DISTANCE_THRESHOLD,
    DiarizationScore,
    VoiceEncoder,
    diarize,
    score,
)
from visio.speech.vad import SileroVad


def conversations(name: str) -> list[Conversation]:
    if name == "dev":
        return prompt_conversations() if prompts_available() else []
    if name == "english":
        return english_conversations() if english_available() else []
    return [Conversation(m.name, m.mix(), meeting_reference(m)) for m in meetings()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="*", default=["dev", "french", "english"])
    parser.add_argument("--threshold", type=float, default=DISTANCE_THRESHOLD)
    parser.add_argument("--oracle", action="store_true", help="also with the speaker count given")
    args = parser.parse_args()
    encoder = VoiceEncoder()
    vad = SileroVad()
    print(f"threshold {args.threshold}")
    print(f"{'set':<8} {'recording':<22} {'length':>7} {'spk':>3} {'found':>5} "
          f"{'miss':>6} {'fa':>6} {'conf':>6} {'DER':>6} {'oracle':>7} {'compute':>8}")  # fmt: skip
    for name in args.sets:
        total: list[DiarizationScore] = []
        for conversation in conversations(name):
            started = time.perf_counter()
            turns = diarize(conversation.audio, encoder, threshold=args.threshold, vad=vad)
            elapsed = time.perf_counter() - started
            result = score(conversation.reference, turns, conversation.seconds)
            total.append(result)
            oracle = ""
            if args.oracle:
                given = diarize(
                    conversation.audio, encoder, speakers=conversation.speakers, vad=vad
                )
                oracle = (
                    f"{score(conversation.reference, given, conversation.seconds).error_rate:.1%}"
                )
            print(
                f"{name:<8} {conversation.name:<22} {conversation.seconds:>6.1f}s "
                f"{result.speakers_true:>3} {result.speakers_found:>5} "
                f"{result.missed / result.reference:>6.1%} "
                f"{result.false_alarm / result.reference:>6.1%} "
                f"{result.confusion / result.reference:>6.1%} {result.error_rate:>6.1%} "
                f"{oracle:>7} {elapsed / conversation.seconds:>7.3f}x"
            )
        if total:
            reference = sum(r.reference for r in total)
            errors = sum(r.missed + r.false_alarm + r.confusion for r in total)
            confusion = sum(r.confusion for r in total)
            print(f"{name:<8} {'all':<22} {reference:>6.1f}s of speech: DER {errors / reference:.1%}"
                  f" (confusion {confusion / reference:.1%})")  # fmt: skip


if __name__ == "__main__":
    main()
