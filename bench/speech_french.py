"""Offline WER of a packaged Whisper model on Visio's French test set, per speaker and meeting.

    PYTHONPATH=src:. .venv/bin/python -m bench.speech_french [--model whisper-base] [--beam-size 5]

Each speaker's whole track goes through faster-whisper's ``transcribe`` (Silero VAD on, the
speaker's language given), as an offline reference for the live recogniser. The score uses
``visio.speech.scoring`` (see its docstring for the normalisation). ``--prompts N`` adds real
French speech: the first N of Asterisk's French prompts (tests/speech/prompts_fr.py). The set is
held out: read these figures, never tune on them.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from faster_whisper import WhisperModel
from tests.speech.meetings import DATA, meetings
from tests.speech.prompts_fr import prompts

from visio.speech.models import ModelCatalog
from visio.speech.scoring import WordErrors, count_word_errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="whisper-base")
    parser.add_argument("--beam-size", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--show", action="store_true", help="print each hypothesis")
    parser.add_argument("--meetings", nargs="*", help="meeting names (default: all)")
    parser.add_argument("--data", type=Path, default=DATA, help="the set's folder")
    parser.add_argument(
        "--prompts", type=int, default=0, help="also score the first N Asterisk French prompts"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as cache:
        folder = ModelCatalog(Path(cache)).prepare(args.model)
        model = WhisperModel(
            str(folder), device="cpu", compute_type="int8", cpu_threads=args.threads
        )
        by_voice: dict[str, WordErrors] = {}
        by_language: dict[str, WordErrors] = {}
        print(f"{args.model}, beam {args.beam_size}, whole tracks, VAD on")
        print(f"{'meeting':<22} {'speaker':<8} {'voice':<14} lang  words  sub  del  ins    WER")
        for meeting in meetings(args.data):
            if args.meetings and meeting.name not in args.meetings:
                continue
            total = WordErrors()
            for speaker in meeting.speakers:
                started = time.monotonic()
                segments, _ = model.transcribe(
                    speaker.track,
                    language=speaker.language,
                    beam_size=args.beam_size,
                    vad_filter=True,
                )
                hypothesis = " ".join(segment.text.strip() for segment in segments)
                counts = count_word_errors(
                    meeting.transcript(speaker.id), hypothesis, speaker.language
                )
                total += counts
                by_voice[speaker.voice] = by_voice.get(speaker.voice, WordErrors()) + counts
                by_language[speaker.language] = (
                    by_language.get(speaker.language, WordErrors()) + counts
                )
                print(
                    f"{meeting.name:<22} {speaker.id:<8} {speaker.voice:<14} {speaker.language:<4}"
                    f" {counts.reference_words:5d} {counts.substitutions:4d}"
                    f" {counts.deletions:4d} {counts.insertions:4d} {counts.rate:6.1%}"
                    f"  ({time.monotonic() - started:.0f} s)",
                    flush=True,
                )
                if args.show:
                    print(f"    {hypothesis}")
            print(
                f"{meeting.name:<22} {'all':<8} {'':<14} {'':<4} {total.reference_words:5d}"
                f" {total.substitutions:4d} {total.deletions:4d} {total.insertions:4d}"
                f" {total.rate:6.1%}"
            )
        if args.prompts:
            real = WordErrors()
            recordings = prompts()[: args.prompts]
            for recording in recordings:
                segments, _ = model.transcribe(
                    recording.audio, language="fr", beam_size=args.beam_size, vad_filter=True
                )
                hypothesis = " ".join(segment.text.strip() for segment in segments)
                real += count_word_errors(recording.transcript, hypothesis, "fr")
                if args.show:
                    print(f"    {recording.transcript} | {hypothesis}")
            print(
                f"Asterisk fr prompts (real speech, 8 kHz): {len(recordings)} prompts,"
                f" {real.reference_words} words, WER {real.rate:.1%}"
            )
        for label, table in (("voice", by_voice), ("language", by_language)):
            for key, counts in table.items():
                print(
                    f"{label} {key:<14} {counts.reference_words:5d} words  WER {counts.rate:6.1%}"
                )


if __name__ == "__main__":
    main()
