"""The Polish normalisation and stemmer behind the search: forms of one word meet at one stem."""

from __future__ import annotations

import pytest

from basket.adapters.search import ts_query, typo_candidates
from basket.domain.polish import fold, stem, stems, vocabulary


def test_fold_lowers_and_strips_diacritics():
    assert fold("Żółć Łódź ĄĘŚĆŃ") == "zolc lodz aesc" + "n"


@pytest.mark.parametrize(
    "forms",
    [
        ["rodzina", "rodziny", "rodzinie", "rodzinom", "rodzinami", "rodzinach"],
        ["pomoc", "pomocy", "pomocą"],
        ["senior", "seniora", "seniorów", "seniorzy", "seniorom"],
        ["dziecko", "dziecka", "dzieckiem", "dzieci", "dzieciom"],
        ["niepełnosprawnych", "niepełnosprawni", "niepełnosprawność", "niepełnosprawnym"],
        ["psychologiczna", "psychologicznej", "psychologiczne", "psychologa", "psycholog"],
        ["logopeda", "logopedy", "logopedyczna", "logopedycznej"],
        ["bezrobotnych", "bezrobotni", "bezrobocie"],
        ["mieszkanie", "mieszkania", "mieszkaniu"],
        ["terapia", "terapii", "terapią"],
    ],
)
def test_inflected_forms_share_a_stem(forms):
    assert len({stem(fold(f)) for f in forms}) == 1, {f: stem(fold(f)) for f in forms}


def test_stopwords_are_dropped_and_stems_are_unique():
    assert stems("Pomoc dla rodzin i pomoc w rodzinie") == ["pomoc", "rodzin"]


def test_query_prefix_matches_partial_words():
    assert ts_query("logop") == "logop:*"
    assert ts_query("dla i w") is None
    assert ts_query("pomocy psychologicznej") == "pomoc:* | psycholog:*"


def test_vocabulary_pairs_title_words_with_stems_and_typo_candidates_skip_short_words():
    assert vocabulary("Klub seniora w Niepołomicach") == {
        "klub": "klub",
        "seniora": "senior",
        "niepolomicach": "niepolomic",
    }
    assert typo_candidates("rehabiltacja dla osob w wieku 60+") == ["rehabiltacja", "osob", "wieku"]
