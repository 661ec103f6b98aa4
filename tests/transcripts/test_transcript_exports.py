"""The export writers on their own: hostile names and text (line breaks, cue timings, markup)
cannot break WebVTT, SRT or Markdown, and the file name is safe for any room name."""

from __future__ import annotations

import html
import io
from datetime import UTC, datetime, timedelta

import docx
import pytest
import srt
import webvtt

from visio.transcripts import exports
from visio.transcripts.store import StoredTranscript, StoredTurn

START = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def transcript(name: str | None = "Comité") -> StoredTranscript:
    return StoredTranscript(1, 1, "abc-defg-hij", name, START, START, "x", "complete", "fr", 2)


def turn(speaker: str, text: str, second: int) -> StoredTurn:
    at = START + timedelta(seconds=second)
    return StoredTurn("p", speaker, None, at, at + timedelta(seconds=2), text, "fr", id=second)


HOSTILE = [
    turn("Eve\n\n00:00:00.000 --> 00:09:00.000\nMallory", "fin\u2028de\u2029cue\r\n\nWEBVTT", 1),
    turn("<b>Zoé</b> & *Léa*", "a --> b <c.x>tag</c> &amp;", 5),
]


def test_vtt_keeps_each_turn_in_its_own_cue_under_its_voice() -> None:
    cues = webvtt.from_string(exports.to_vtt(transcript(), HOSTILE))
    assert [html.unescape(c.voice) for c in cues] == [
        "Eve 00:00:00.000 --> 00:09:00.000 Mallory",
        "<b>Zoé</b> & *Léa*",
    ]
    assert html.unescape(cues[1].text) == "a --> b <c.x>tag</c> &amp;"
    assert [(c.start, c.end) for c in cues] == [
        ("00:00:01.000", "00:00:03.000"),
        ("00:00:05.000", "00:00:07.000"),
    ]


def test_srt_and_markdown_keep_one_line_per_turn() -> None:
    parsed = list(srt.parse(exports.to_srt(transcript(), HOSTILE)))
    assert len(parsed) == 2 and all("\n" not in s.content for s in parsed)
    assert parsed[0].content.startswith("Eve 00:00:00.000 --> 00:09:00.000 Mallory: fin de cue")
    markdown = exports.to_markdown(transcript(), HOSTILE)
    turns = [line for line in markdown.splitlines() if line.startswith("**")]
    assert len(turns) == 2
    assert turns[1].startswith(r"**\<b\>Zoé\</b\> \& \*Léa\***")


def test_docx_opens_with_every_turn() -> None:
    body = exports.export(transcript(), HOSTILE, "docx").body
    paragraphs = [p.text for p in docx.Document(io.BytesIO(body)).paragraphs]
    assert paragraphs[0] == "Comité"
    assert paragraphs[-1].startswith("<b>Zoé</b> & *Léa* (09:00:05): a --> b")


@pytest.mark.parametrize(
    ("name", "ascii_start"),
    [
        ("Réunion / ../etc", "Reunion-etc-20261202-0900.vtt"),
        ("会议", "abc-defg-hij-20261202-0900.vtt"),
        (None, "abc-defg-hij-20261202-0900.vtt"),
        ('a"b;c\\d', "a-b-c-d-20261202-0900.vtt"),
    ],
)
def test_content_disposition_is_safe_for_any_room_name(name: str | None, ascii_start: str) -> None:
    header = exports.content_disposition(transcript(name), "vtt")
    plain = header.split("; filename*=")[0]
    assert plain == f'attachment; filename="{ascii_start}"'
    assert all(32 <= ord(c) < 127 for c in header) and "\n" not in header
    if "filename*=" in header:
        encoded = header.split("filename*=UTF-8''")[1]
        assert not set(encoded) & set('"/\\; ')
