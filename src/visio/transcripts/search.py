"""How transcripts are searched: words folded (case, accents) and stemmed in French or English,
so that "reunions" finds "réunion" and "meetings" finds "meeting", the same on SQLite (FTS5)
and PostgreSQL (tsvector); and the snippets that show where a turn matched.

Stemming happens here, in Python, with the Snowball stemmers (the algorithms PostgreSQL's
``french`` and ``english`` configurations use), because SQLite's FTS5 has no French stemmer.
A turn is indexed with its own language's stemmer; a query's words are stemmed with both, and a
turn matches when each word matches in one of them.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from typing import Final

import snowballstemmer

MAX_QUERY_WORDS: Final = 8
"""A query's words beyond this are ignored (each costs a join in the index)."""
MAX_WORD_CHARACTERS: Final = 64
_WORD = re.compile(r"\w+")
_LANGUAGES: Final = ("french", "english")


@functools.cache
def _stemmer(language: str) -> snowballstemmer.Stemmer:
    return snowballstemmer.stemmer(language)


def stemmer_language(language: str) -> str:
    """The Snowball (and PostgreSQL) configuration for a turn's language code."""
    return "french" if language.lower().startswith("fr") else "english"


def fold(word: str) -> str:
    """Lower case without accents or ligatures: ``Réunion`` and ``reunion`` are one word."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    """The words of a text, in order, folded."""
    return [fold(match) for match in _WORD.findall(text)]


def index_text(text: str, language: str) -> str:
    """What the index stores for a turn: its words folded and stemmed in its language."""
    stemmer = _stemmer(stemmer_language(language))
    return " ".join(stemmer.stemWord(word) for word in words(text))


@dataclass(frozen=True)
class QueryWord:
    """One word of a query, stemmed each way it could have been indexed."""

    french: str
    english: str

    @property
    def stems(self) -> frozenset[str]:
        return frozenset((self.french, self.english))


def parse_query(query: str) -> list[QueryWord]:
    """The words a person searched for (punctuation and operators are not syntax here: they
    separate words), at most :data:`MAX_QUERY_WORDS`, duplicates dropped."""
    found: list[QueryWord] = []
    for word in words(query):
        word = word[:MAX_WORD_CHARACTERS]
        stemmed = QueryWord(_stemmer("french").stemWord(word), _stemmer("english").stemWord(word))
        if stemmed not in found:
            found.append(stemmed)
    return found[:MAX_QUERY_WORDS]


def fts5_query(query: list[QueryWord]) -> str:
    """An FTS5 MATCH expression for the words: every word, in either stemming, each stem a
    quoted string (the only FTS5 syntax used; a stem holds only word characters, and quotes
    are doubled anyway)."""

    def quoted(stem: str) -> str:
        return '"' + stem.replace('"', '""') + '"'

    return " AND ".join(
        "(" + " OR ".join(quoted(stem) for stem in sorted(word.stems)) + ")" for word in query
    )


@dataclass(frozen=True)
class Fragment:
    """A piece of a snippet; ``match`` pieces are the words that matched. A client marks them
    (the text itself is never markup)."""

    text: str
    match: bool


def snippet(text: str, language: str, query: list[QueryWord], width: int = 160) -> list[Fragment]:
    """The part of a turn around its first match, cut at about ``width`` characters, as plain
    fragments with the matching words apart."""
    stems = set().union(*(word.stems for word in query)) if query else set()
    stemmer = _stemmer(stemmer_language(language))
    spans = [
        (match.start(), match.end())
        for match in _WORD.finditer(text)
        if stemmer.stemWord(fold(match.group())) in stems
        or _stemmer("english" if stemmer_language(language) == "french" else "french").stemWord(
            fold(match.group())
        )
        in stems
    ]
    begin, end = 0, len(text)
    if len(text) > width:
        first = spans[0][0] if spans else 0
        begin = max(0, first - width // 3)
        end = min(len(text), begin + width)
    fragments: list[Fragment] = []
    if begin > 0:
        fragments.append(Fragment("…", False))
    position = begin
    for start, stop in spans:
        if start < begin or stop > end:
            continue
        if start > position:
            fragments.append(Fragment(text[position:start], False))
        fragments.append(Fragment(text[start:stop], True))
        position = stop
    if position < end:
        fragments.append(Fragment(text[position:end], False))
    if end < len(text):
        fragments.append(Fragment("…", False))
    return fragments
