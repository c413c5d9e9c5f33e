"""The unit of work: one transaction, the repositories inside it, and the outbox written in the
same transaction from the domain events the touched aggregates recorded."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Self

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cases.adapters import orm, repository
from cases.domain.events import DomainEvent
from shared.contracts import CloudEvent
from shared.messaging import add_to_outbox

Translator = Callable[[Any, object, DomainEvent], Awaitable[list[CloudEvent]]]


class SqlUnitOfWork:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], translate: Translator) -> None:
        self._sessions = sessions
        self._translate = translate
        self.published: list[CloudEvent] = []

    async def __aenter__(self) -> Self:
        self.session = self._sessions()
        self.seen = repository.Tracked()
        self.cases = repository.CaseRepository(self.session, self.seen)
        self.family = repository.FamilyRepository(self.session, self.seen)
        self.consents = repository.ConsentRepository(self.session, self.seen)
        self.team = repository.TeamRepository(self.session, self.seen)
        self.diagnosis = repository.DiagnosisRepository(self.session, self.seen)
        self.plans = repository.PlanRepository(self.session, self.seen)
        self.referrals = repository.ReferralRepository(self.session, self.seen)
        self.meetings = repository.MeetingRepository(self.session, self.seen)
        self.directory = repository.SqlDirectory(self.session)
        self.access_log = repository.SqlAccessLog(self.session)
        return self

    async def __aexit__(self, *args: object) -> None:
        await self.session.rollback()
        await self.session.close()

    async def commit(self) -> None:
        await self.session.flush()
        events: list[CloudEvent] = []
        for aggregate in self.seen:
            pending = getattr(aggregate, "events", None) or []
            for domain_event in pending:
                events.extend(await self._translate(self, aggregate, domain_event))
            if pending:
                aggregate.events = []  # type: ignore[attr-defined]
        if events:
            await add_to_outbox(self.session, orm.outbox, events)
        await self.session.commit()
        self.published.extend(events)
