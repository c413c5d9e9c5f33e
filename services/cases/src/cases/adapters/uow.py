"""The cases unit of work: the shared outbox unit of work with the cases repositories."""

from __future__ import annotations

from cases.adapters import orm, repository
from cases.adapters.redactions import SqlRedactions
from cases.adapters.sealing import seal_changes
from shared.db.uow import OutboxUnitOfWork


class SqlUnitOfWork(OutboxUnitOfWork):
    outbox = orm.outbox

    def open_repositories(self) -> None:
        self.cases = repository.CaseRepository(self.session, self.seen)
        self.reassignments = repository.ReassignmentRepository(self.session, self.seen)
        self.family = repository.FamilyRepository(self.session, self.seen)
        self.consents = repository.ConsentRepository(self.session, self.seen)
        self.team = repository.TeamRepository(self.session, self.seen)
        self.diagnosis = repository.DiagnosisRepository(self.session, self.seen)
        self.plans = repository.PlanRepository(self.session, self.seen)
        self.reviews = repository.ReviewRepository(self.session, self.seen)
        self.referrals = repository.ReferralRepository(self.session, self.seen)
        self.meetings = repository.MeetingRepository(self.session, self.seen)
        self.directory = repository.SqlDirectory(self.session)
        self.redactions = SqlRedactions(self.session, self.seen)
        self.access_log = repository.SqlAccessLog(self.session)

    async def commit(self) -> None:
        seal_changes(self.session.sync_session)
        await self.access_log.flush()
        await super().commit()
