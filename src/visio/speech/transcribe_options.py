"""The options of ``visio transcribe`` (kept apart from the command's body, which loads NumPy and
the models, so that building the CLI's parser stays cheap for every other command)."""

from __future__ import annotations

import argparse
from typing import Any

FORMATS = ("json", "vtt", "srt", "md", "docx")
MAX_SPEAKERS = 20


def speakers_option(value: str) -> int | None:
    """``auto`` (None) or a number of speakers from 1 to 20."""
    if value == "auto":
        return None
    try:
        count = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is neither 'auto' nor a number") from None
    if not 1 <= count <= MAX_SPEAKERS:
        raise argparse.ArgumentTypeError(f"the number of speakers must be 1 to {MAX_SPEAKERS}")
    return count


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "transcribe", help="transcribe audio files (several: one speaker each; one: diarized)"
    )
    parser.add_argument("files", nargs="+", metavar="FILE")
    parser.add_argument("--language", choices=("fr", "en", "auto"), default="auto")
    parser.add_argument("--format", choices=FORMATS, default="json")
    parser.add_argument(
        "--speakers", type=speakers_option, default=None, metavar="auto|N",
        help="speakers in a single file: 'auto' (found by clustering) or a number",
    )  # fmt: skip
    parser.add_argument("--model", help="speech model (see `visio models`)")
    parser.add_argument("--output", "-o", help="file to write (default: standard output)")
    parser.add_argument("--progress", action="store_true", help="show progress even when piped")
