"""The evaluation unit of work: the shared one, with the surveys. The service publishes nothing,
so it has no outbox; its read models are written by the consumers (ADR 0040), not through it."""

from __future__ import annotations

from evaluation.adapters.surveys import SqlSurveys
from shared.db.uow import OutboxUnitOfWork


class SqlUnitOfWork(OutboxUnitOfWork):
    def open_repositories(self) -> None:
        self.surveys = SqlSurveys(self.session)
