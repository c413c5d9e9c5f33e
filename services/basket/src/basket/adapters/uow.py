"""The unit of work: one transaction, the repositories inside it, and — from the domain events the
touched offerings recorded — the history of changes and the outbox, written in that transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Self

from sqlalchemy import insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from basket.adapters import orm, repository
from basket.domain import events as ev
from basket.domain import model, polish
from shared.contracts import CloudEvent
from shared.db.uow import Tracked
from shared.messaging import add_to_outbox

Translator = Callable[[model.Offering, ev.DomainEvent], Awaitable[list[CloudEvent]]]

ACTIONS: dict[type[ev.DomainEvent], str] = {
    ev.OfferingAdded: "added",
    ev.OfferingUpdated: "updated",
    ev.OfferingPublished: "published",
    ev.OfferingSuspended: "suspended",
    ev.OfferingWithdrawn: "withdrawn",
    ev.OfferingVerified: "verified",
    ev.CapacityChanged: "capacity_changed",
}


class SqlUnitOfWork:
    """Owns its session and commits it; or, `within(session)`, works inside a transaction someone
    else commits (a consumer's, together with its inbox record)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession] | None,
        translate: Translator,
        session: AsyncSession | None = None,
    ) -> None:
        self._sessions = sessions
        self._translate = translate
        self._external = session
        self.published: list[CloudEvent] = []

    @classmethod
    def within(cls, session: AsyncSession, translate: Translator) -> SqlUnitOfWork:
        return cls(None, translate, session)

    async def __aenter__(self) -> Self:
        if self._external is not None:
            self.session = self._external
        else:
            assert self._sessions is not None
            self.session = self._sessions()
        self.seen: Tracked[model.Offering] = Tracked()
        self.offerings = repository.OfferingRepository(self.session, self.seen)
        self.catalogue = repository.Catalogue(self.session)
        return self

    async def __aexit__(self, *args: object) -> None:
        if self._external is None:
            await self.session.rollback()
            await self.session.close()

    async def commit(self) -> None:
        await self.session.flush()
        events: list[CloudEvent] = []
        history: list[dict[str, object]] = []
        for offering in self.seen:
            pending = getattr(offering, "events", None) or []
            for domain_event in pending:
                events.extend(await self._translate(offering, domain_event))
                history.append(
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
                )
            offering.events = []
        if history:
            await self.session.execute(insert(orm.offering_changes), history)
        words: dict[str, str] = {}
        for offering in self.seen:
            words.update(polish.vocabulary(offering.title))
        if words:
            await self.session.execute(
                pg_insert(orm.search_words).on_conflict_do_nothing(),
                [{"word": w, "stem": s} for w, s in sorted(words.items())],
            )
        await add_to_outbox(self.session, orm.outbox, events)
        if self._external is None:
            await self.session.commit()
        self.published.extend(events)
