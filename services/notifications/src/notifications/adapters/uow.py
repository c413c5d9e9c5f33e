"""The notifications unit of work: the shared outbox unit of work with the repositories the API's
commands use. Its aggregates record no domain events; the disclosures it records go into the outbox
themselves, in its transaction."""

from __future__ import annotations

from notifications.adapters import orm
from notifications.adapters.disclosures import SqlDisclosures
from notifications.adapters.endpoints import SqlEndpointRepository
from notifications.adapters.people import SqlPeople
from shared.db.uow import OutboxUnitOfWork


class SqlUnitOfWork(OutboxUnitOfWork):
    outbox = orm.outbox

    def open_repositories(self) -> None:
        self.endpoints = SqlEndpointRepository(self.session)
        self.people = SqlPeople(self.session)
        self.disclosures = SqlDisclosures(self.session)
