"""``visio transcribe``: a transcript of audio files from the command line.

Several files are per-participant tracks (each speaker named after their file's stem), each
transcribed on its own (side by side, one core each, as many at once as there are cores) and
merged in time order; one file is diarized
(:mod:`visio.speech.diarization`) unless ``--speakers 1``, its voices named
"<stem> - speaker k" (an en dash).
Transcription is the offline pass: faster-whisper with beam search, Silero VAD and word times.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from visio.speech.diarization import RATE, DiarizationError, Turn, VoiceEncoder, diarize

DASH = "\N{EN DASH}"


@dataclass(frozen=True)
class Word:
    text: str
    start: float
    end: float


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    speaker: str
    text: str
    words: list[Word] = field(default_factory=list)


def decode(path: Path) -> NDArray[np.float32]:
    """Any audio or video file ffmpeg reads, as 16 kHz mono float32."""
    import av

    chunks: list[NDArray[np.float32]] = []
    resampler = av.AudioResampler(format="flt", layout="mono", rate=RATE)
    with av.open(str(path)) as container:
        if not container.streams.audio:
            raise ValueError(f"{path}: no audio stream")
        for frame in container.decode(audio=0):
            for out in resampler.resample(frame):
                chunks.append(np.asarray(out.to_ndarray(), dtype=np.float32).reshape(-1))
        for out in resampler.resample(None):
            chunks.append(np.asarray(out.to_ndarray(), dtype=np.float32).reshape(-1))
    return np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)


def attribute(words: Sequence[Word], turns: Sequence[Turn], name: str) -> list[Segment]:
    """Words grouped into segments by the diarized speaker whose turn covers each word most
    (the nearest turn for a word in none); a new segment at every change of speaker."""
    segments: list[Segment] = []
    for word in words:
        if turns:
            overlap = [min(word.end, t.end) - max(word.start, t.start) for t in turns]
            best = int(np.argmax(overlap))
            if overlap[best] <= 0:
                middle = (word.start + word.end) / 2
                best = int(np.argmin([abs((t.start + t.end) / 2 - middle) for t in turns]))
            speaker = f"{name} {DASH} speaker {turns[best].speaker + 1}"
        else:
            speaker = f"{name} {DASH} speaker 1"
        if segments and segments[-1].speaker == speaker and word.start - segments[-1].end < 2.0:
            last = segments[-1]
            segments[-1] = Segment(last.start, word.end, speaker, "", [*last.words, word])
        else:
            segments.append(Segment(word.start, word.end, speaker, "", [word]))
    return [
        Segment(s.start, s.end, s.speaker, "".join(w.text for w in s.words).strip(), s.words)
        for s in segments
    ]


def recognise(
    model: Any, audio: NDArray[np.float32], language: str, progress: Callable[[float], None]
) -> list[list[Word]]:
    """faster-whisper's segments as lists of timed words (beam 5, VAD, word timestamps)."""
    found, _ = model.transcribe(
        audio,
        language=None if language == "auto" else language,
        beam_size=5,
        vad_filter=True,
        word_timestamps=True,
    )
    result = []
    for segment in found:
        result.append([Word(w.word, round(w.start, 3), round(w.end, 3)) for w in segment.words])
        progress(segment.end)
    return result


def transcribe(
    files: Sequence[Path],
    *,
    model: Any,
    language: str,
    speakers: int | None,
    encoder: VoiceEncoder | None = None,
    progress: Callable[[float], None] = lambda _: None,
    parallel: int = 1,
) -> list[Segment]:
    """The transcript of ``files``: tracks of one speaker each (``parallel`` of them at once:
    the model needs as many workers), or one diarized file. ``progress`` gets the seconds of
    audio transcribed so far, all tracks together."""
    if len(files) == 1 and speakers != 1:
        audio = decode(files[0])
        turns = diarize(audio, encoder or VoiceEncoder(), speakers=speakers)
        words = [w for segment in recognise(model, audio, language, progress) for w in segment]
        return attribute(words, turns, files[0].stem)
    positions = [0.0] * len(files)  # seconds transcribed of each track
    lock = threading.Lock()

    def track(index: int) -> list[Segment]:
        def moved(seconds: float) -> None:
            with lock:
                positions[index] = seconds
                progress(sum(positions))

        path = files[index]
        segments = []
        for words in recognise(model, decode(path), language, moved):
            if words:
                text = "".join(w.text for w in words).strip()
                segments.append(Segment(words[0].start, words[-1].end, path.stem, text, words))
        return segments

    with ThreadPoolExecutor(max(1, parallel), thread_name_prefix="transcribe") as pool:
        tracks = list(pool.map(track, range(len(files))))
    return sorted((s for t in tracks for s in t), key=lambda s: (s.start, s.speaker))


def render(segments: Sequence[Segment], format: str, title: str) -> bytes:
    """The transcript as JSON (segments with words), or through the meeting exports."""
    if format == "json":
        body = {"segments": [asdict(s) for s in segments]}
        return json.dumps(body, ensure_ascii=False, indent=2).encode("utf-8")
    from visio.transcripts.exports import export
    from visio.transcripts.store import StoredTranscript, StoredTurn

    origin = datetime(2000, 1, 1, tzinfo=UTC)
    transcript = StoredTranscript(
        id=0,
        room_id=0,
        room_slug=title,
        room_name=title,
        started_at=origin,
        ended_at=origin + timedelta(seconds=max((s.end for s in segments), default=0)),
        started_by="",
        status="complete",
        language="",
        turn_count=len(segments),
    )
    turns = [
        StoredTurn(
            id=index,
            participant_id=s.speaker,
            speaker=s.speaker,
            user_id=None,
            started_at=origin + timedelta(seconds=s.start),
            ended_at=origin + timedelta(seconds=s.end),
            text=s.text,
            language="",
        )
        for index, s in enumerate(segments)
    ]
    return export(transcript, turns, format).body  # type: ignore[arg-type]


def cmd_transcribe(args: argparse.Namespace) -> int:
    from faster_whisper import WhisperModel

    from visio.speech.commands import _settings
    from visio.speech.models import ModelError

    files = [Path(f) for f in args.files]
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        print(f"no such file: {', '.join(missing)}", file=sys.stderr)
        return 2
    settings = _settings()
    if settings is None:
        return 2
    name = args.model or (
        settings.speech_english_model
        if args.language == "en" and settings.speech_english_model
        else settings.speech_default_model
    )
    try:
        folder = settings.catalog().prepare(name)
        # Tracks side by side, one core each (Whisper's decoder gains little from a second
        # thread: docs/speech.md); one file gets every core.
        parallel = min(len(files), settings.cpu_threads) if len(files) > 1 else 1
        model = WhisperModel(
            str(folder),
            device="cpu",
            compute_type="int8",
            cpu_threads=max(1, settings.cpu_threads // parallel),
            num_workers=parallel,
        )
        encoder = VoiceEncoder() if len(files) == 1 and args.speakers != 1 else None
    except (ModelError, DiarizationError) as exc:
        print(exc, file=sys.stderr)
        return 2

    def progress(seconds: float) -> None:
        if sys.stderr.isatty() or args.progress:
            print(f"\rtranscribed {seconds:7.1f} s", end="", file=sys.stderr, flush=True)

    try:
        segments = transcribe(
            files, model=model, language=args.language, speakers=args.speakers,
            encoder=encoder, progress=progress, parallel=parallel,
        )  # fmt: skip
    except (ValueError, OSError) as exc:  # av's errors are OSError or ValueError
        print(f"\n{exc}", file=sys.stderr)
        return 1
    print(file=sys.stderr)
    body = render(segments, args.format, files[0].stem if len(files) == 1 else "transcript")
    if args.output in (None, "-"):
        sys.stdout.buffer.write(body)
    else:
        Path(args.output).write_bytes(body)
    return 0
