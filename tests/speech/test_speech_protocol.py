"""The worker protocol's fields added after version 1 shipped stay invisible to older peers."""

from __future__ import annotations

import json

from visio.speech.protocol import CaptionMessage, StreamStart, server_message, worker_message


def test_translate_is_sent_only_when_asked_for() -> None:
    """A stream.start without translate reads as before (older workers refuse unknown fields);
    with it, the worker reads it back."""
    plain = json.loads(StreamStart(stream_id="s").model_dump_json())
    assert "translate" not in plain and plain["type"] == "stream.start"
    asked = StreamStart(stream_id="s", translate=True).model_dump_json()
    parsed = server_message.validate_json(asked)
    assert isinstance(parsed, StreamStart) and parsed.translate is True


def test_caption_translation_is_sent_only_when_there_is_one() -> None:
    """A caption without English reads as before (older servers refuse unknown fields)."""
    caption = CaptionMessage(
        stream_id="s",
        segment_id="1",
        kind="final",
        text="bonjour",
        language="fr",
        start=0.0,
        end=1.0,
        words=[],
    )
    assert "translation" not in json.loads(caption.model_dump_json())
    translated = caption.model_copy(update={"translation": "hello"}).model_dump_json()
    parsed = worker_message.validate_json(translated)
    assert isinstance(parsed, CaptionMessage) and parsed.translation == "hello"
