"""The basket unit of work: the shared outbox unit of work with the basket repositories, and — from
the domain events the touched offerings recorded — the history of changes and the search
vocabulary, written in the same transaction as the outbox."""

from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.dialects.postgresql import insert as pg_insert

from basket.adapters import orm, repository
from basket.domain import events as ev
from basket.domain import model, polish
from shared.db.uow import OutboxUnitOfWork

ACTIONS: dict[type[ev.DomainEvent], str] = {
    ev.OfferingAdded: "added",
    ev.OfferingUpdated: "updated",
    ev.OfferingPublished: "published",
    ev.OfferingSuspended: "suspended",
    ev.OfferingWithdrawn: "withdrawn",
    ev.OfferingVerified: "verified",
    ev.CapacityChanged: "capacity_changed",
}


class SqlUnitOfWork(OutboxUnitOfWork):
    outbox = orm.outbox

    def open_repositories(self) -> None:
        self.offerings = repository.OfferingRepository(self.session, self.seen)
        self.catalogue = repository.Catalogue(self.session)

    async def commit(self) -> None:
        await self.session.flush()
        offerings: list[model.Offering] = list(self.seen)
        history: list[dict[str, object]] = [
            {
                "offering_id": offering.id,
                "tenant": offering.tenant,
                "changed_by": domain_event.by,
                "action": ACTIONS[type(domain_event)],
                "changes": [
                    {"field": c.field, "before": c.before, "after": c.after}
                    for c in domain_event.changes
                ],
            }
            for offering in offerings
            for domain_event in (getattr(offering, "events", None) or [])
        ]
        if history:
            await self.session.execute(insert(orm.offering_changes), history)
        words: dict[str, str] = {}
        for offering in offerings:
            words.update(polish.vocabulary(offering.title))
        if words:
            await self.session.execute(
                pg_insert(orm.search_words).on_conflict_do_nothing(),
                [{"word": w, "stem": s} for w, s in sorted(words.items())],
            )
        await super().commit()
