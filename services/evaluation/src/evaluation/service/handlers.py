"""The survey commands: define a survey, issue its one-time links, answer it. Each runs in one unit
of work and commits it once; reads (reports, monitoring, results) are views (ADR 0080)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from evaluation.domain.surveys import Question, SurveyRow, check_answers, check_questions
from evaluation.service.ports import UnitOfWork
from shared.auth import Principal
from shared.errors import Conflict, Forbidden, NotFound

_SPENT = "Link jest nieważny albo został już wykorzystany."


async def create_survey(
    *,
    uow: UnitOfWork,
    actor: Principal,
    tenant: str,
    title: str,
    kind: str,
    questions: list[Question],
    closes_at: datetime | None,
) -> SurveyRow:
    if not actor.can_write_tenant(tenant):
        raise Forbidden("Nie możesz tworzyć ankiet tej gminy.")
    check_questions(questions)
    async with uow:
        survey_id = await uow.surveys.add(
            tenant=tenant,
            title=title,
            kind=kind,
            questions=questions,
            created_by=actor.username,
            closes_at=closes_at,
        )
        await uow.commit()
        row = await uow.surveys.get(survey_id)
        assert row is not None
        return row


async def issue_links(
    survey_id: uuid.UUID, contact_person_ids: list[uuid.UUID], *, uow: UnitOfWork, actor: Principal
) -> list[tuple[uuid.UUID, str]]:
    """One fresh one-time token per contact person (each named once), paired with them here only:
    the service stores the tokens' hashes, tied to nobody."""
    async with uow:
        row = await uow.surveys.get(survey_id)
        if row is None or not actor.can_read_tenant(row.tenant):
            raise NotFound("Nie ma takiej ankiety.")
        if not actor.can_write_tenant(row.tenant):
            raise Forbidden("Nie możesz wysyłać ankiet tej gminy.")
        people = list(dict.fromkeys(contact_person_ids))
        tokens = await uow.surveys.issue_links(survey_id, len(people))
        await uow.commit()
        return list(zip(people, tokens, strict=True))


def open_survey(found: tuple[SurveyRow, bool] | None, now: datetime) -> SurveyRow:
    """The survey a token leads to, if the token is unspent and the survey still open."""
    if found is None or found[1]:
        raise NotFound(_SPENT)
    row = found[0]
    if row.closes_at and row.closes_at <= now:
        raise Conflict("Ankieta jest już zamknięta.")
    return row


async def answer_survey(
    token: str, answers: dict[str, Any], *, uow: UnitOfWork, now: datetime
) -> None:
    async with uow:
        row = open_survey(await uow.surveys.survey_of_token(token), now)
        kept = check_answers(row.questions, answers)
        # Spending the token and storing the answer commit together, or not at all.
        if await uow.surveys.use_token(token) is None:
            raise NotFound(_SPENT)
        await uow.surveys.add_answer(row.id, kept)
        await uow.commit()
