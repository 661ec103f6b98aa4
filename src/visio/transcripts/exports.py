"""A transcript written out as WebVTT, SRT, Markdown, DOCX or JSON.

Names and text come from people (any Unicode) and from a recogniser: nothing in them may break
a format. Every format gets the turn on one line (line breaks become spaces, so no blank line
ends a cue early and no line of text can look like a timing line); WebVTT's text and voice names
escape ``&``, ``<`` and ``>`` (so ``-->`` cannot appear in a cue either); Markdown escapes its
punctuation; DOCX and JSON are written by their libraries.
"""

from __future__ import annotations

import io
import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Literal
from urllib.parse import quote

import docx
import srt
import webvtt

from visio.transcripts.store import StoredTranscript, StoredTurn

ExportFormat = Literal["vtt", "srt", "md", "docx", "json"]


@dataclass(frozen=True)
class Export:
    body: bytes
    media_type: str
    extension: str


MEDIA_TYPES: Final[dict[ExportFormat, str]] = {
    "vtt": "text/vtt; charset=utf-8",
    "srt": "application/x-subrip; charset=utf-8",
    "md": "text/markdown; charset=utf-8",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "json": "application/json",
}


def one_line(value: str) -> str:
    """Line and paragraph breaks (and other controls) become spaces, runs of spaces one."""
    flat = "".join(" " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c for c in value)
    return re.sub(r"\s+", " ", flat).strip()


def _offset(transcript: StoredTranscript, moment: datetime) -> timedelta:
    """Where a moment falls in the transcript, never before its start."""
    return max(moment - transcript.started_at, timedelta(0))


def _vtt_escape(value: str) -> str:
    return one_line(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _vtt_time(offset: timedelta) -> str:
    milliseconds = int(offset.total_seconds() * 1000)
    hours, rest = divmod(milliseconds, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, milliseconds = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{milliseconds:03d}"


def to_vtt(transcript: StoredTranscript, turns: list[StoredTurn]) -> str:
    """WebVTT, each turn a cue whose text is a voice span naming the speaker."""
    document = webvtt.WebVTT()
    for turn in turns:
        start = _offset(transcript, turn.started_at)
        end = max(_offset(transcript, turn.ended_at), start + timedelta(milliseconds=1))
        document.captions.append(
            webvtt.Caption(
                _vtt_time(start),
                _vtt_time(end),
                f"<v {_vtt_escape(turn.speaker)}>{_vtt_escape(turn.text)}</v>",
            )
        )
    return str(document.content)


def to_srt(transcript: StoredTranscript, turns: list[StoredTurn]) -> str:
    """SubRip, the speaker's name before each turn's text."""
    return str(
        srt.compose(
            [
                srt.Subtitle(
                    index=number,
                    start=_offset(transcript, turn.started_at),
                    end=max(
                        _offset(transcript, turn.ended_at),
                        _offset(transcript, turn.started_at) + timedelta(milliseconds=1),
                    ),
                    content=f"{one_line(turn.speaker)}: {one_line(turn.text)}",
                )
                for number, turn in enumerate(turns, start=1)
            ]
        )
    )


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~&])")


def _md(value: str) -> str:
    return _MARKDOWN_SPECIAL.sub(r"\\\1", one_line(value))


def _title(transcript: StoredTranscript) -> str:
    return transcript.room_name or transcript.room_slug


def _clock(moment: datetime) -> str:
    return moment.strftime("%H:%M:%S")


def to_markdown(transcript: StoredTranscript, turns: list[StoredTurn]) -> str:
    lines = [
        f"# {_md(_title(transcript))}",
        "",
        f"{transcript.started_at.strftime('%Y-%m-%d %H:%M')} UTC",
        "",
    ]
    for turn in turns:
        lines.append(f"**{_md(turn.speaker)}** ({_clock(turn.started_at)}): {_md(turn.text)}")
        lines.append("")
    return "\n".join(lines)


def to_docx(transcript: StoredTranscript, turns: list[StoredTurn]) -> bytes:
    document = docx.Document()
    document.add_heading(one_line(_title(transcript)), level=1)
    document.add_paragraph(f"{transcript.started_at.strftime('%Y-%m-%d %H:%M')} UTC")
    for turn in turns:
        paragraph = document.add_paragraph()
        paragraph.add_run(one_line(turn.speaker)).bold = True
        paragraph.add_run(f" ({_clock(turn.started_at)}): ")
        paragraph.add_run(one_line(turn.text))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def to_json(transcript: StoredTranscript, turns: list[StoredTurn]) -> str:
    return json.dumps(
        {
            "id": transcript.id,
            "room": {"slug": transcript.room_slug, "name": transcript.room_name},
            "started_at": transcript.started_at.isoformat(),
            "ended_at": transcript.ended_at.isoformat() if transcript.ended_at else None,
            "language": transcript.language,
            "status": transcript.status,
            "turns": [
                {
                    "speaker": turn.speaker,
                    "user_id": turn.user_id,
                    "start": turn.started_at.isoformat(),
                    "end": turn.ended_at.isoformat(),
                    "offset_s": round(_offset(transcript, turn.started_at).total_seconds(), 3),
                    "text": turn.text,
                    "language": turn.language,
                }
                for turn in turns
            ],
        },
        ensure_ascii=False,
        indent=2,
    )


_TEXT_WRITERS: Final[dict[ExportFormat, Callable[[StoredTranscript, list[StoredTurn]], str]]] = {
    "vtt": to_vtt,
    "srt": to_srt,
    "md": to_markdown,
    "json": to_json,
}


def export(transcript: StoredTranscript, turns: list[StoredTurn], format: ExportFormat) -> Export:
    """The transcript in one format, with its media type and file extension."""
    if format == "docx":
        body = to_docx(transcript, turns)
    else:
        body = _TEXT_WRITERS[format](transcript, turns).encode("utf-8")
    return Export(body=body, media_type=MEDIA_TYPES[format], extension=format)


def file_name(transcript: StoredTranscript, extension: str) -> str:
    """A file name that is safe anywhere: ASCII letters, digits and dashes from the room's name
    (accents dropped, everything else a dash), then the date; the room's code when nothing of
    the name survives."""
    ascii_name = (
        unicodedata.normalize("NFKD", _title(transcript)).encode("ascii", "ignore").decode()
    )
    stem = re.sub(r"[^A-Za-z0-9]+", "-", ascii_name).strip("-")[:60] or transcript.room_slug
    return f"{stem}-{transcript.started_at.strftime('%Y%m%d-%H%M')}.{extension}"


def content_disposition(transcript: StoredTranscript, extension: str) -> str:
    """``attachment`` with an ASCII ``filename`` every client reads, and the room's own name
    (any Unicode, percent-encoded, without path or reserved characters) in ``filename*``."""
    ascii_name = file_name(transcript, extension)
    own = re.sub(r'[\\/:*?"<>|%;]+', "-", one_line(_title(transcript)))[:80].strip(" .-")
    if not own:
        return f'attachment; filename="{ascii_name}"'
    encoded = quote(f"{own}-{transcript.started_at.strftime('%Y%m%d-%H%M')}.{extension}", safe="")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{encoded}"
