"""Survey answers are checked against the questions; results need five answers."""

from __future__ import annotations

import pytest

from evaluation.domain.surveys import Question, check_answers, check_questions, results
from shared.errors import InvalidInput

QS = [
    Question("q1", "Ocena", "scale"),
    Question("q2", "Wybór", "choice", ("tak", "nie")),
    Question("q3", "Uwagi", "text"),
]


def test_answers_are_checked_and_unknown_questions_named():
    assert check_answers(QS, {"q1": 5, "q2": "nie", "q3": "  ok "}) == {
        "q1": 5,
        "q2": "nie",
        "q3": "ok",
    }
    with pytest.raises(InvalidInput) as error:
        check_answers(QS, {"q1": 0, "q2": "może", "q9": 1})
    assert [e.field for e in error.value.errors] == ["answers.q1", "answers.q2", "answers.q9"]
    with pytest.raises(InvalidInput):
        check_answers(QS, {"q1": True})
    with pytest.raises(InvalidInput):
        check_answers(QS, {})


def test_questions_need_unique_ids_and_choice_options():
    with pytest.raises(InvalidInput):
        check_questions([Question("a", "x", "text"), Question("a", "y", "text")])
    with pytest.raises(InvalidInput):
        check_questions([Question("a", "x", "scale", ("1",))])


def test_results_only_from_five_answers():
    answers = [{"q1": 4, "q2": "tak"} for _ in range(4)]
    assert results(QS, answers)["shown"] is False
    shown = results(QS, [*answers, {"q1": 2, "q3": "b"}])
    assert shown["answers"] == 5
    assert shown["questions"][0]["mean"] == 3.6
    assert shown["questions"][1]["counts"] == {"tak": 4, "nie": 0}
    assert shown["questions"][2]["texts"] == ["b"]
