"""The partners unit of work: the shared outbox unit of work with the partners repositories."""

from __future__ import annotations

from partners.adapters import orm, repository
from shared.db.uow import OutboxUnitOfWork


class SqlUnitOfWork(OutboxUnitOfWork):
    outbox = orm.outbox

    def open_repositories(self) -> None:
        self.institutions = repository.InstitutionRepository(self.session, self.seen)
        self.partnerships = repository.PartnershipRepository(self.session, self.seen)
        self.memberships = repository.MembershipRepository(self.session, self.seen)
        self.contacts = repository.ContactRepository(self.session, self.seen)
        self.coordinators = repository.CoordinatorRepository(self.session, self.seen)
        self.meetings = repository.MeetingRepository(self.session, self.seen)
