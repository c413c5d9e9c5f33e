"""Storage of surveys, their one-time links and their anonymous answers."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from evaluation.adapters.orm import survey_answers, survey_links, surveys
from evaluation.domain.surveys import Question, SurveyRow


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _row(r: Any) -> SurveyRow:
    return SurveyRow(
        id=r.id,
        tenant=r.tenant,
        title=r.title,
        kind=r.kind,
        questions=[Question.from_json(q) for q in r.questions],
        created_at=r.created_at,
        closes_at=r.closes_at,
    )


async def add(
    session: AsyncSession,
    *,
    tenant: str,
    title: str,
    kind: str,
    questions: list[Question],
    created_by: str,
    closes_at: datetime | None,
) -> uuid.UUID:
    survey_id = uuid.uuid4()
    await session.execute(
        insert(surveys).values(
            id=survey_id,
            tenant=tenant,
            title=title,
            kind=kind,
            questions=[q.as_json() for q in questions],
            created_by=created_by,
            closes_at=closes_at,
        )
    )
    return survey_id


async def get(session: AsyncSession, survey_id: uuid.UUID) -> SurveyRow | None:
    row = (await session.execute(select(surveys).where(surveys.c.id == survey_id))).one_or_none()
    return _row(row) if row else None


async def list_for(
    session: AsyncSession, tenants: frozenset[str] | None
) -> list[tuple[SurveyRow, int]]:
    counts = (
        select(survey_answers.c.survey_id, func.count().label("n"))
        .group_by(survey_answers.c.survey_id)
        .subquery()
    )
    query = (
        select(surveys, func.coalesce(counts.c.n, 0).label("answers"))
        .outerjoin(counts, counts.c.survey_id == surveys.c.id)
        .order_by(surveys.c.created_at.desc())
    )
    if tenants is not None:
        query = query.where(surveys.c.tenant.in_(tenants))
    return [(_row(r), int(r.answers)) for r in (await session.execute(query)).all()]


async def issue_links(session: AsyncSession, survey_id: uuid.UUID, count: int) -> list[str]:
    """`count` fresh one-time tokens; only their hashes are stored, tied to nobody."""
    tokens = [secrets.token_urlsafe(32) for _ in range(count)]
    await session.execute(
        insert(survey_links),
        [{"token_hash": token_hash(t), "survey_id": survey_id} for t in tokens],
    )
    return tokens


async def survey_of_token(session: AsyncSession, token: str) -> tuple[SurveyRow, bool] | None:
    row = (
        await session.execute(
            select(survey_links.c.survey_id, survey_links.c.used).where(
                survey_links.c.token_hash == token_hash(token)
            )
        )
    ).one_or_none()
    if row is None:
        return None
    survey = await get(session, row.survey_id)
    return (survey, bool(row.used)) if survey else None


async def use_token(session: AsyncSession, token: str) -> uuid.UUID | None:
    """Spend a token (once); the survey it was for, or None when unknown or already used."""
    survey_id: uuid.UUID | None = (
        await session.execute(
            update(survey_links)
            .where(survey_links.c.token_hash == token_hash(token), survey_links.c.used.is_(False))
            .values(used=True)
            .returning(survey_links.c.survey_id)
        )
    ).scalar_one_or_none()
    return survey_id


async def add_answer(session: AsyncSession, survey_id: uuid.UUID, answers: dict[str, Any]) -> None:
    await session.execute(
        insert(survey_answers).values(id=uuid.uuid4(), survey_id=survey_id, answers=answers)
    )


async def answers_of(session: AsyncSession, survey_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = await session.execute(
        select(survey_answers.c.answers).where(survey_answers.c.survey_id == survey_id)
    )
    return [dict(r) for r in rows.scalars().all()]


class SqlSurveys:
    """The surveys port of the unit of work (the commands'); reads call the functions above."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(
        self,
        *,
        tenant: str,
        title: str,
        kind: str,
        questions: list[Question],
        created_by: str,
        closes_at: datetime | None,
    ) -> uuid.UUID:
        return await add(
            self.session,
            tenant=tenant,
            title=title,
            kind=kind,
            questions=questions,
            created_by=created_by,
            closes_at=closes_at,
        )

    async def get(self, survey_id: uuid.UUID) -> SurveyRow | None:
        return await get(self.session, survey_id)

    async def issue_links(self, survey_id: uuid.UUID, count: int) -> list[str]:
        return await issue_links(self.session, survey_id, count)

    async def survey_of_token(self, token: str) -> tuple[SurveyRow, bool] | None:
        return await survey_of_token(self.session, token)

    async def use_token(self, token: str) -> uuid.UUID | None:
        return await use_token(self.session, token)

    async def add_answer(self, survey_id: uuid.UUID, answers: dict[str, Any]) -> None:
        await add_answer(self.session, survey_id, answers)
