"""Text that people type, checked once at the edge: every name, label and message a client sends.

Anything Unicode allows can arrive in a JSON string, including things that must never reach
another person's screen, a log line or the database: lone surrogates (JSON ``"\\ud800"``, which
no encoder can write back out), NUL and other control characters, bidirectional overrides that
make a name read backwards, and zero-width characters that make two names look the same. The
validators here refuse those with a sentence saying what is wrong; what they accept is NFC
normalised and stripped of surrounding white space.

Use :func:`one_line` for one-line text (display names, room names, labels) and
:func:`multi_line` for text that may span lines (chat messages).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Annotated, Final

from pydantic import AfterValidator

ZERO_WIDTH_JOINER: Final = "\u200d"
_LINE_BREAKS: Final = frozenset("\n")
_TAB: Final = "\t"


class TextError(ValueError):
    """The text holds something people's text may not hold; the message says what."""


def _is_noncharacter(char: str) -> bool:
    code = ord(char)
    return 0xFDD0 <= code <= 0xFDEF or (code & 0xFFFE) == 0xFFFE


def _emoji_joiner(text: str, index: int) -> bool:
    """A zero-width joiner between two symbols (the family and profession emoji sequences)."""
    if index == 0 or index == len(text) - 1:
        return False
    before, after = text[index - 1], text[index + 1]
    return unicodedata.category(after) == "So" and (
        unicodedata.category(before) == "So" or before == "\ufe0f"
    )


def encodable(text: str) -> bool:
    """True when ``text`` can be written as UTF-8 (it holds no lone surrogate)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def problem(text: str, *, multiline: bool = False) -> str | None:
    """Why ``text`` may not be accepted from a client, or None when it may."""
    for index, char in enumerate(text):
        category = unicodedata.category(char)
        if category == "Cs":
            return "is not valid Unicode (it holds a lone surrogate)"
        if char == "\x00":
            return "must not contain NUL characters"
        if category == "Cc" and not (multiline and (char in _LINE_BREAKS or char == _TAB)):
            return "must not contain control characters" + (
                "" if multiline else " (it must be one line)"
            )
        if category in ("Zl", "Zp"):
            return "must not contain line or paragraph separators"
        if category == "Cf" and not (char == ZERO_WIDTH_JOINER and _emoji_joiner(text, index)):
            return "must not contain invisible formatting characters (bidi or zero-width)"
        if _is_noncharacter(char):
            return "must not contain Unicode noncharacters"
    return None


def clean(text: str, *, max_length: int, multiline: bool = False, allow_empty: bool = False) -> str:
    """Check and normalise one text from a client; raise :class:`TextError` saying why not."""
    reason = problem(text, multiline=multiline)
    if reason is not None:
        raise TextError(reason)
    text = unicodedata.normalize("NFC", text).strip()
    if not text and not allow_empty:
        raise TextError("must not be empty")
    if len(text) > max_length:
        raise TextError(f"must be at most {max_length} characters")
    return text


def one_line(max_length: int) -> Callable[[str], str]:
    """A validator for one line of text a person typed (a name, a label), for
    ``Annotated[str, AfterValidator(one_line(64))]``."""

    def check(value: str) -> str:
        return clean(value, max_length=max_length)

    return check


def multi_line(max_length: int) -> Callable[[str], str]:
    """A validator for text that may span lines (a chat message)."""

    def check(value: str) -> str:
        return clean(value, max_length=max_length, multiline=True)

    return check


DisplayName = Annotated[str, AfterValidator(one_line(64))]
"""A participant's name as others see it."""


def safe_for_output(text: str, *, max_length: int | None = None) -> str:
    """Text from elsewhere (a speech worker, an identity provider) made safe to send on:
    lone surrogates replaced, control and formatting characters dropped, NFC, bounded."""
    text = text.encode("utf-8", "replace").decode("utf-8")
    text = "".join(
        char
        for char in text
        if unicodedata.category(char) not in ("Cc", "Cf", "Zl", "Zp") or char == " "
    )
    text = unicodedata.normalize("NFC", text)
    return text if max_length is None else text[:max_length]
