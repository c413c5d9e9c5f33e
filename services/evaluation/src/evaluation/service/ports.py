"""What the survey commands need from storage (implemented in `evaluation.adapters.surveys`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Protocol, Self

from evaluation.domain.surveys import Question, SurveyRow


class Surveys(Protocol):
    async def add(
        self,
        *,
        tenant: str,
        title: str,
        kind: str,
        questions: list[Question],
        created_by: str,
        closes_at: datetime | None,
    ) -> uuid.UUID: ...

    async def get(self, survey_id: uuid.UUID) -> SurveyRow | None: ...

    async def issue_links(self, survey_id: uuid.UUID, count: int) -> list[str]: ...

    async def survey_of_token(self, token: str) -> tuple[SurveyRow, bool] | None: ...

    async def use_token(self, token: str) -> uuid.UUID | None: ...

    async def add_answer(self, survey_id: uuid.UUID, answers: dict[str, Any]) -> None: ...


class UnitOfWork(Protocol):
    @property
    def surveys(self) -> Surveys: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(self, *args: object) -> None: ...

    async def commit(self) -> None: ...
