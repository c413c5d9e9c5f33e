"""Request and response bodies of the evaluation API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from evaluation.domain.periods import MAX_YEAR, MIN_YEAR
from evaluation.domain.surveys import QuestionKind, SurveyKind
from shared.fields import IsoDateTime


def _within_years(value: datetime | None) -> datetime | None:
    # Far dates overflow when converted to UTC for PostgreSQL (year 9999 at -10:00).
    if value is not None and not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValueError(f"Data musi przypadać w latach {MIN_YEAR}–{MAX_YEAR}.")
    return value


class QuestionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")
    text: str = Field(min_length=3, max_length=500)
    kind: QuestionKind
    options: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        default_factory=list, max_length=20
    )


class SurveyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tenant: str | None = Field(default=None, pattern=r"^\d{4}(\d{3})?$")
    title: str = Field(min_length=3, max_length=200)
    kind: SurveyKind = "satisfaction"
    questions: list[QuestionIn] = Field(min_length=1, max_length=40)
    closes_at: Annotated[IsoDateTime | None, AfterValidator(_within_years)] = Field(
        default=None, description=f"Koniec zbierania odpowiedzi (lata {MIN_YEAR}–{MAX_YEAR})"
    )


class SurveyOut(BaseModel):
    id: uuid.UUID
    tenant: str
    title: str
    kind: str
    questions: list[dict[str, Any]]
    created_at: datetime
    closes_at: datetime | None
    answers: int | str = Field(description="Liczba odpowiedzi, albo „< 5”")


class LinksIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    contact_person_ids: list[uuid.UUID] = Field(
        min_length=1,
        max_length=500,
        description="Osoby do kontaktu (z rejestru partnerów), którym wysłać link",
    )


class LinkOut(BaseModel):
    contact_person_id: uuid.UUID
    url: str
    token: str


class LinksOut(BaseModel):
    survey_id: uuid.UUID
    links: list[LinkOut]
    note: str


class PublicSurveyOut(BaseModel):
    title: str
    kind: str
    questions: list[dict[str, Any]]


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answers: dict[str, Any] = Field(max_length=100, description="Identyfikator pytania → odpowiedź")


class SnapshotOut(BaseModel):
    id: int
    taken_at: datetime
    positions: dict[str, int] = Field(
        description="Dla każdego strumienia ostatnia sekwencja, której zdarzenia zawiera migawka"
    )
    rows: int


class RebuildOut(BaseModel):
    events: dict[str, int]
    total: int
    seconds: float
    from_snapshot: SnapshotOut | None = Field(
        default=None, description="Migawka, od której zaczęto (brak: cała historia zdarzeń)"
    )
    replayed_from: dict[str, int] = Field(
        default_factory=dict, description="Dla każdego strumienia pierwsza odtworzona sekwencja"
    )
    snapshot_after: SnapshotOut | None = Field(
        default=None, description="Migawka wyniku, od której zacznie następna odbudowa"
    )
