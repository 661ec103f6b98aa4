"""Word error rate, for tests and benchmarks of the recognisers, in English and French.

Reference and hypothesis go through the same :func:`normalise` before they are aligned (by
``jiwer``), so that a caption is not counted wrong for a spelling choice that a reader would not
notice. The normalisation, in order:

1. Unicode NFC; lower case; typographic apostrophes (U+2019, U+02BC, U+2018) become ``'``.
2. Symbols and abbreviations spelled out: ``%`` (pour cent / percent), ``€`` (euros), ``$``
   (dollars; "$23" is read "23 dollars"), ``&`` (et / and); French ``M.`` (monsieur),
   ``Mme`` (madame), ``Mlle`` (mademoiselle), ``Dr`` (docteur), ``St``/``Ste`` (saint/sainte),
   ``etc.``; English ``Mr`` (mister), ``Mrs`` (missus), ``Dr`` (doctor), ``St`` (saint);
   ``okay``/``o.k.`` → ``ok``.
3. Numbers unified as digits: spelled-out numbers become digits with ``text2num``'s
   ``alpha2digit`` (threshold 0, so every number, even "un"/"one", becomes a digit on both sides:
   "vingt-trois" = "23", "deux mille vingt-six" = "2026", "la version deux" = "la version 2");
   digit groups are joined ("23 000", "23,000", "23.000" → "23000"); decimal commas become points
   ("1,5" → "1.5"); ordinals keep one form per language (French "deuxième", "2ème", "2e", "2è" →
   "2e"; "premier", "1er", "1re", "1ère" → "1er"; English "sixteenth" → "16th").
4. Times of day, in French: "quinze heures trente", "15 h 30", "15h30" and "15:30" all become
   "15 h 30" (three words); "neuf heures" = "9 h". In English "10:40" becomes "10 40".
5. Elisions split (French and English alike): "l'équipe" → "l équipe", "qu'on" → "qu on",
   "j'ai" → "j ai"; but "aujourd'hui" stays one word. English contractions stay one word:
   "don't", "I'll", "we're" (the apostrophe is kept inside them).
6. Hyphens split words ("est-ce" → "est ce", "mi-septembre" → "mi septembre"); all other
   punctuation is removed.

    >>> normalise("Aujourd'hui, l'équipe a vingt-trois tickets!", "fr")
    "aujourd'hui l équipe a 23 tickets"
    >>> normalise("Rendez-vous à 15h30, le 2e étage.", "fr")
    'rendez vous à 15 h 30 le 2e étage'
    >>> normalise("I'll send twenty-three thousand dollars.", "en")
    "i'll send 23000 dollars"
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import jiwer
from text_to_num import alpha2digit

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u02bc": "'", "\u2018": "'", "`": "'"})
_SYMBOLS = {
    "fr": {"%": " pour cent ", "€": " euros ", "$": " dollars ", "&": " et "},
    "en": {"%": " percent ", "€": " euros ", "$": " dollars ", "&": " and "},
}
# Dotted forms, looked up before punctuation goes ("M." is monsieur, "m" alone an elided "me").
_DOTTED = {"fr": {"m.": "monsieur", "etc.": "etc", "o.k.": "ok"}, "en": {"o.k.": "ok"}}
# Words, looked up after punctuation went ("Mme." and "Mme" alike).
_ABBREVIATIONS = {
    "fr": {
        "mme": "madame",
        "mlle": "mademoiselle",
        "dr": "docteur",
        "st": "saint",
        "ste": "sainte",
        "okay": "ok",
    },
    "en": {"mr": "mister", "mrs": "missus", "dr": "doctor", "st": "saint", "okay": "ok"},
}
_CURRENCY_FIRST = re.compile(r"([$€])\s*(\d(?:[\d,.]*\d)?)")
_FRENCH_ORDINAL = re.compile(r"\b(\d+)(?:ème|eme|è|e)\b")
_FRENCH_FIRST = re.compile(r"\b1(?:er|re|ère)\b")
_FRENCH_TIME = re.compile(r"\b(\d{1,2}) ?(?:heures?|h)(?![^\W\d_])(?: ?(\d{2})\b)?")
_CLOCK = re.compile(r"\b(\d{1,2}):(\d{2})\b")
_DIGIT_GROUP = re.compile(r"(?<=\d)[ \u00a0\u202f.,](?=\d{3}\b)")
_DECIMAL_COMMA = re.compile(r"(?<=\d),(?=\d)")
_WORD = re.compile(r"\d+(?:\.\d+)+|[^\W_]+(?:'[^\W_]+)*")
_ELISION = re.compile(r"\b(?!aujourd'hui\b)([^\W\d_]+)'(?=[^\W_])")


def normalise(text: str, language: str) -> str:
    """``text`` as the space-separated words that WER compares (see the module docstring)."""
    return " ".join(normalise_words(text, language))


def normalise_words(text: str, language: str = "en") -> list[str]:
    """The words of ``text`` after normalisation; ``language`` is ``"fr"`` or ``"en"``."""
    language = "fr" if language.startswith("fr") else "en"
    text = unicodedata.normalize("NFC", text).lower().translate(_APOSTROPHES)
    text = _CURRENCY_FIRST.sub(r"\2 \1", text)  # "$23" is read "23 dollars"
    for symbol, spelled in _SYMBOLS[language].items():
        text = text.replace(symbol, spelled)
    dotted = _DOTTED[language]
    text = " ".join(dotted.get(token, token) for token in text.split())
    text = alpha2digit(text, language, threshold=0)
    text = text.replace("pour 100", "pour cent")  # "%" spelled, and read back by alpha2digit
    text = _DIGIT_GROUP.sub("", _DIGIT_GROUP.sub("", text))
    if language == "fr":
        text = _DECIMAL_COMMA.sub(".", text)
        text = _FRENCH_FIRST.sub("1er", _FRENCH_ORDINAL.sub(r"\1e", text))
        text = _CLOCK.sub(r"\1 h \2", text)
        text = _FRENCH_TIME.sub(lambda m: f"{m[1]} h {m[2] or ''}", text)
        text = _ELISION.sub(r"\1 ", text)
    else:
        # English contractions ("don't", "I'll") stay whole; a French elision in an English
        # caption (a name such as "l'Oréal") is split as in French.
        text = re.sub(r"\b([dljmnst]|qu)'(?=[aeiouyhàâéèêëîïôûù])", r"\1 ", text)
    words = _WORD.findall(text.replace("-", " "))
    abbreviations = _ABBREVIATIONS[language]
    return [abbreviations.get(word, word) for word in words]


@dataclass(frozen=True)
class WordErrors:
    """Word-level alignment counts of one hypothesis (or a sum of them) against its reference."""

    substitutions: int = 0
    deletions: int = 0
    insertions: int = 0
    reference_words: int = 0

    @property
    def errors(self) -> int:
        return self.substitutions + self.deletions + self.insertions

    @property
    def rate(self) -> float:
        """Errors per reference word (0.0 is perfect; above 1.0 when the hypothesis rambles)."""
        return self.errors / max(1, self.reference_words)

    def __add__(self, other: WordErrors) -> WordErrors:
        return WordErrors(
            self.substitutions + other.substitutions,
            self.deletions + other.deletions,
            self.insertions + other.insertions,
            self.reference_words + other.reference_words,
        )


def count_word_errors(reference: str, hypothesis: str, language: str = "en") -> WordErrors:
    """Substitutions, deletions and insertions of ``hypothesis`` against ``reference``."""
    ref = normalise_words(reference, language)
    hyp = normalise_words(hypothesis, language)
    if not ref or not hyp:
        return WordErrors(deletions=len(ref), insertions=len(hyp), reference_words=len(ref))
    out = jiwer.process_words(" ".join(ref), " ".join(hyp))
    return WordErrors(out.substitutions, out.deletions, out.insertions, len(ref))


def word_errors(reference: str, hypothesis: str, language: str = "en") -> tuple[int, int]:
    """(substitutions + deletions + insertions, reference length) after normalisation."""
    counts = count_word_errors(reference, hypothesis, language)
    return counts.errors, counts.reference_words


def word_error_rate(reference: str, hypothesis: str, language: str = "en") -> float:
    """Word error rate of ``hypothesis`` against ``reference`` (0.0 is perfect)."""
    return count_word_errors(reference, hypothesis, language).rate


def corpus_word_error_rate(pairs: Iterable[tuple[str, str]], language: str = "en") -> float:
    """Corpus WER of (reference, hypothesis) pairs: all their errors over all reference words."""
    total = WordErrors()
    for reference, hypothesis in pairs:
        total += count_word_errors(reference, hypothesis, language)
    return total.rate
