"""The WER normalisation and counting of visio.speech.scoring, in French and English."""

from __future__ import annotations

import pytest

from visio.speech.scoring import (
    WordErrors,
    corpus_word_error_rate,
    count_word_errors,
    normalise,
    word_error_rate,
    word_errors,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("L'équipe, qu'on a vue hier: j'ai dit oui!", "l équipe qu on a vue hier j ai dit oui"),
        ("Aujourd'hui", "aujourd'hui"),
        ("Est-ce que c'est à mi-septembre ?", "est ce que c est à mi septembre"),
        ("C\u2019est l\u2019heure", "c est l heure"),
        ("ÉTÉ", "été"),
        ("M. Dupont et Mme Martin", "monsieur dupont et madame martin"),
    ],
)
def test_scoring_normalise_french_words(text: str, expected: str) -> None:
    """Case, punctuation, elisions, hyphens and abbreviations, in French."""
    assert normalise(text, "fr") == expected


def test_scoring_normalise_is_nfc() -> None:
    """A decomposed accent (e + combining acute) equals the precomposed letter."""
    assert normalise("e\u0301quipe", "fr") == normalise("équipe", "fr") == "équipe"


@pytest.mark.parametrize(
    ("spelled", "digits"),
    [
        ("vingt-trois", "23"),
        ("vingt-trois mille euros", "23 000 €"),
        ("deux mille vingt-six", "2026"),
        ("quinze heures trente", "15 h 30"),
        ("quinze heures trente", "15h30"),
        ("quinze heures trente", "15:30"),
        ("neuf heures", "9 h"),
        ("mille deux cents utilisateurs", "1 200 utilisateurs"),
        ("le deuxième trimestre", "le 2e trimestre"),
        ("le deuxième trimestre", "le 2ème trimestre"),
        ("le premier trimestre", "le 1er trimestre"),
        ("la version deux", "la version 2"),
        ("un virgule cinq pour cent", "1,5 %"),
    ],
)
def test_scoring_french_numbers_spelled_or_in_digits_score_equal(spelled: str, digits: str) -> None:
    """French spelled-out numbers, times and ordinals count the same as their digits."""
    assert normalise(spelled, "fr") == normalise(digits, "fr")
    assert word_error_rate(spelled, digits, "fr") == 0.0


@pytest.mark.parametrize(
    ("spelled", "digits"),
    [
        ("twenty-three thousand dollars", "$23,000"),
        ("the sixteenth of September", "the 16th of September"),
        ("two thousand twenty-six", "2026"),
    ],
)
def test_scoring_english_numbers_spelled_or_in_digits_score_equal(
    spelled: str, digits: str
) -> None:
    """English spelled-out numbers and ordinals count the same as their digits."""
    assert word_error_rate(spelled, digits, "en") == 0.0


def test_scoring_english_contractions_stay_one_word() -> None:
    """The contractions "don't" and "I'll" are one word each; Mr. is spelled out."""
    assert normalise("I'll call Mr. Smith, don't worry. Okay?", "en") == (
        "i'll call mister smith don't worry ok"
    )


def test_scoring_counts_substitutions_deletions_insertions() -> None:
    """jiwer's alignment, counted on the normalised words."""
    counts = count_word_errors("on fait le point demain", "on fait un point demain matin", "fr")
    assert counts == WordErrors(substitutions=1, deletions=0, insertions=1, reference_words=5)
    assert word_errors("on fait le point demain", "on fait le point", "fr") == (1, 5)
    assert word_error_rate("a b c d", "a b c d") == 0.0


def test_scoring_empty_sides() -> None:
    """An empty hypothesis deletes every word; an empty reference counts insertions."""
    assert word_errors("trois mots ici", "", "fr") == (3, 3)
    assert word_errors("", "bonjour", "fr") == (1, 0)
    assert word_error_rate("", "") == 0.0


def test_scoring_corpus_rate_weights_by_reference_length() -> None:
    """Corpus WER is the sum of errors over the sum of reference words, not a mean of rates."""
    pairs = [
        ("un deux trois quatre cinq six sept huit neuf dix", "1 2 3 4 5 6 7 8 9 10"),
        ("bonjour", "au revoir"),
    ]
    # 0 errors in 10 words, then 2 errors (1 substitution, 1 insertion) in 1 word.
    assert corpus_word_error_rate(pairs, "fr") == pytest.approx(2 / 11)
