"""The unit of work every service shares: one session and transaction, the aggregates it touched,
and at commit the outbox written in that same transaction from the domain events they recorded.

A service subclasses it and opens its repositories in `open_repositories`. A unit of work owns its
session and commits it; or, made `within(session)`, it works inside a transaction someone else
commits (a consumer's, together with its inbox record): its `commit()` then writes what it owes
(the outbox, the service's own bookkeeping) and leaves the commit to the owner.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Generic, Self, TypeVar

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.contracts import CloudEvent
from shared.messaging.outbox import add_to_outbox

T = TypeVar("T")

# (unit of work, aggregate, domain event) -> the published contracts for that event
Translator = Callable[[Any, Any, Any], Awaitable[list[CloudEvent]]]


async def no_events(uow: Any, aggregate: Any, event: Any) -> list[CloudEvent]:
    """The translator of a service whose aggregates record no domain events (what it publishes it
    writes into the outbox itself, in the unit of work's transaction)."""
    return []


class Tracked(list[T], Generic[T]):
    """The aggregates a unit of work touched, in the order it first touched them (so their events
    reach the outbox in the order they happened)."""

    def add(self, item: T) -> None:
        if not any(x is item for x in self):
            self.append(item)


class OutboxUnitOfWork:
    outbox: Table | None = (
        None  # the service's outbox table (None: a service that publishes nothing)
    )

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession] | None,
        translate: Translator,
        session: AsyncSession | None = None,
    ) -> None:
        assert (sessions is None) != (session is None), "sessions or a session, not both"
        self._sessions = sessions
        self._translate = translate
        self._external = session
        self.published: list[CloudEvent] = []

    @classmethod
    def within(cls, session: AsyncSession, translate: Translator) -> Self:
        """A unit of work inside `session`'s transaction, which its owner commits."""
        return cls(None, translate, session)

    def open_repositories(self) -> None:
        """Create the service's repositories on `self.session` and `self.seen`."""

    async def __aenter__(self) -> Self:
        if self._external is not None:
            self.session = self._external
        else:
            assert self._sessions is not None
            self.session = self._sessions()
        self.seen: Tracked[Any] = Tracked()
        self.open_repositories()
        return self

    async def __aexit__(self, *args: object) -> None:
        if self._external is None:
            await self.session.rollback()
            await self.session.close()

    async def collect_events(self) -> list[CloudEvent]:
        """Translate (and clear) the domain events of every touched aggregate, in order."""
        events: list[CloudEvent] = []
        for aggregate in self.seen:
            pending = getattr(aggregate, "events", None) or []
            for domain_event in pending:
                events.extend(await self._translate(self, aggregate, domain_event))
            if pending:
                aggregate.events = []
        return events

    async def commit(self) -> None:
        await self.session.flush()
        events = await self.collect_events()
        if events:
            if self.outbox is None:
                raise RuntimeError(f"{type(self).__name__} has events to publish but no outbox")
            await add_to_outbox(self.session, self.outbox, events)
        if self._external is None:
            await self.session.commit()
        self.published.extend(events)
