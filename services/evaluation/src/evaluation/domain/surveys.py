"""Surveys of partner satisfaction and cooperation quality: questions, answers and results.

Answers are anonymous; results are shown only once at least `MIN_ANSWERS` answers exist, so a
single partner's answer can't be read off them.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from shared.errors import FieldError, InvalidInput

MIN_ANSWERS = 5
SCALE = (1, 2, 3, 4, 5)
MAX_TEXT = 2000

QuestionKind = Literal["scale", "choice", "text"]
SurveyKind = Literal["satisfaction", "cooperation_quality"]


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    kind: QuestionKind
    options: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "text": self.text, "kind": self.kind, "options": list(self.options)}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Question:
        return cls(raw["id"], raw["text"], raw["kind"], tuple(raw.get("options") or ()))


@dataclass(frozen=True)
class SurveyRow:
    """A survey as stored: whose (`tenant`), its questions, until when it takes answers."""

    id: uuid.UUID
    tenant: str
    title: str
    kind: str
    questions: list[Question]
    created_at: datetime
    closes_at: datetime | None


def check_questions(questions: list[Question]) -> None:
    errors: list[FieldError] = []
    ids = [q.id for q in questions]
    if len(set(ids)) != len(ids):
        errors.append(FieldError("questions", "Identyfikatory pytań muszą być różne.", "unique"))
    for i, q in enumerate(questions):
        if q.kind == "choice" and len(q.options) < 2:
            errors.append(
                FieldError(
                    f"questions.{i}.options", "Pytanie wyboru wymaga co najmniej dwóch opcji."
                )
            )
        if q.kind != "choice" and q.options:
            errors.append(FieldError(f"questions.{i}.options", "Opcje mają tylko pytania wyboru."))
    if errors:
        raise InvalidInput(*errors)


def check_answers(questions: list[Question], answers: dict[str, Any]) -> dict[str, Any]:
    """The answers to keep (only to known questions), or an error naming the failing field."""
    by_id = {q.id: q for q in questions}
    errors: list[FieldError] = []
    kept: dict[str, Any] = {}
    for key, value in answers.items():
        q = by_id.get(key)
        field = f"answers.{key}"
        if q is None:
            errors.append(FieldError(field, "Nie ma takiego pytania.", "unknown"))
        elif value is None:
            continue
        elif q.kind == "scale" and (isinstance(value, bool) or value not in SCALE):
            errors.append(FieldError(field, "Odpowiedź to liczba od 1 do 5.", "scale"))
        elif q.kind == "choice" and value not in q.options:
            errors.append(FieldError(field, "Wybierz jedną z podanych opcji.", "choice"))
        elif q.kind == "text" and (not isinstance(value, str) or len(value) > MAX_TEXT):
            errors.append(FieldError(field, f"Tekst do {MAX_TEXT} znaków.", "text"))
        else:
            kept[key] = value.strip() if isinstance(value, str) else value
    if errors:
        raise InvalidInput(*errors)
    if not kept:
        raise InvalidInput.field("answers", "Odpowiedz na co najmniej jedno pytanie.", "missing")
    return kept


def results(questions: list[Question], answers: list[dict[str, Any]]) -> dict[str, Any]:
    """Aggregated results, or none while fewer than `MIN_ANSWERS` answers exist."""
    n = len(answers)
    if n < MIN_ANSWERS:
        return {"answers": f"< {MIN_ANSWERS}", "shown": False, "questions": None}
    out = []
    for q in questions:
        given = [a[q.id] for a in answers if a.get(q.id) is not None]
        item: dict[str, Any] = {"id": q.id, "text": q.text, "kind": q.kind, "answered": len(given)}
        if q.kind == "scale":
            counts = Counter(given)
            item["distribution"] = {str(v): counts.get(v, 0) for v in SCALE}
            item["mean"] = round(sum(given) / len(given), 2) if given else None
        elif q.kind == "choice":
            counts = Counter(given)
            item["counts"] = {o: counts.get(o, 0) for o in q.options}
        else:
            item["texts"] = sorted(t for t in given if t)  # sorted: no trace of answer order
        out.append(item)
    return {"answers": n, "shown": True, "questions": out}
