"""Caption translation: how good whisper-base's English is on Visio's French meetings, and what
it costs per final.

    PYTHONPATH=src:. .venv/bin/python -m bench.translation [--model whisper-base] [--show]

Every French utterance of ``french_meetings()`` is cut from its speaker's track (its manifest
start and end, 0.2 s of padding each side) and decoded as the live final of a stream opened with
``translate`` is (``decode_batch(..., final=True, translate=[True])``, and, as the recogniser
does, once more on the full 30 s window when the final loops). The English is scored against
the manifest's reference translations with sacrebleu's corpus BLEU and chrF, per meeting and
overall. Each utterance is also decoded without ``translate``, alternately, to time what the
translation adds to a final. The set is held out: read these figures, never tune on them.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from sacrebleu.metrics import BLEU, CHRF
from tests.speech.meetings import RATE, french_meetings

from visio.speech.models import ModelCatalog
from visio.speech.whisper import (
    Hypothesis,
    StreamingOptions,
    WhisperRecogniser,
    decode_batch,
)

PADDING = 0.2  # seconds of the track kept before and after each utterance
FULL_WINDOW = 30.0


def live_final(
    engine: WhisperRecogniser, model: str, audio: NDArray[np.float32], translate: bool
) -> Hypothesis:
    """The final the recogniser would give for this utterance (language given: ``fr``)."""
    loaded = engine._model(model)
    options = engine.options
    hypothesis = decode_batch(
        loaded, [audio], ["fr"], final=True, options=options, translate=[translate]
    )[0]
    if hypothesis.looped and options.final_context < FULL_WINDOW:
        hypothesis = decode_batch(
            loaded,
            [audio],
            [hypothesis.language],
            final=True,
            options=options,
            window=FULL_WINDOW,
            translate=[translate],
        )[0]
    return hypothesis


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="whisper-base")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--show", action="store_true", help="print each translation")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as cache:
        engine = WhisperRecogniser(
            ModelCatalog(Path(cache)),
            default_model=args.model,
            options=StreamingOptions(),
            cpu_threads=args.threads,
        )
        engine.preload(args.model)
        live_final(engine, args.model, np.zeros(RATE, dtype=np.float32), True)  # warm up
        all_hypotheses: list[str] = []
        all_references: list[str] = []
        plain_seconds: list[float] = []
        translated_seconds: list[float] = []
        missing = 0
        rows: list[tuple[str, int, float, float]] = []
        for meeting in french_meetings():
            hypotheses: list[str] = []
            references: list[str] = []
            for utterance in meeting.utterances:
                if utterance.language != "fr":
                    continue
                track = meeting.speaker(utterance.speaker).track
                first = max(0, round((utterance.start - PADDING) * RATE))
                audio = track[first : round((utterance.end + PADDING) * RATE)]
                started = time.perf_counter()
                live_final(engine, args.model, audio, False)
                plain_seconds.append(time.perf_counter() - started)
                started = time.perf_counter()
                hypothesis = live_final(engine, args.model, audio, True)
                translated_seconds.append(time.perf_counter() - started)
                if not hypothesis.translation:
                    missing += 1
                hypotheses.append(hypothesis.translation)
                references.append(utterance.translation)
                if args.show:
                    print(f"  {utterance.text}\n  > {hypothesis.translation}", flush=True)
            bleu = BLEU().corpus_score(hypotheses, [references]).score
            chrf = CHRF().corpus_score(hypotheses, [references]).score
            rows.append((meeting.name, len(hypotheses), bleu, chrf))
            print(f"{meeting.name}: {len(hypotheses)} utterances, BLEU {bleu:.1f}", flush=True)
            all_hypotheses += hypotheses
            all_references += references
        overall_bleu, overall_chrf = BLEU(), CHRF()
        bleu = overall_bleu.corpus_score(all_hypotheses, [all_references]).score
        chrf = overall_chrf.corpus_score(all_hypotheses, [all_references]).score
        rows.append(("all", len(all_hypotheses), bleu, chrf))

    print(f"\n{args.model}, live finals (beam {engine.options.final_beam_size}), translate task")
    print(f"{'meeting':<24} {'utterances':>10} {'BLEU':>6} {'chrF':>6}")
    for name, count, bleu, chrf in rows:
        print(f"{name:<24} {count:>10} {bleu:>6.1f} {chrf:>6.1f}")
    print(f"utterances without a translation (transcription refused or empty): {missing}")
    plain, translated = np.array(plain_seconds), np.array(translated_seconds)
    extra = translated - plain
    print(
        f"\ndecode time per final (median): {np.median(plain):.2f} s without translate, "
        f"{np.median(translated):.2f} s with; extra per final: median {np.median(extra):.2f} s, "
        f"+{100 * np.median(extra / plain):.0f} % of the final's own time"
    )
    print(f"signatures: {overall_bleu.get_signature()} / {overall_chrf.get_signature()}")


if __name__ == "__main__":
    main()
