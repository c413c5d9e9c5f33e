"""One way to apply other services' events to a read model (ADR 0083).

A `ReadModel` is a consumer handler made of typed handlers, one per contract model class it
reads; an event of any other type is skipped. Its models are what the service's AsyncAPI document
lists as the consumer's payloads.

The guard: a row of a read model stands for one object of another service as of its latest event.
Events of one object may arrive late (two consumer replicas, a redelivery behind newer ones), so
a replacing fact is written only if it is not older than the row: `newer_upsert` inserts the row
or overwrites it where the stored version (the event time) is <= the event's, `newer_update`
updates an existing row on the same condition. Applied in any order, with any duplicates, the
same events leave the same rows (when their times differ; equal times are a tie and the later
applied wins).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Table, Update, and_, update
from sqlalchemy.dialects.postgresql import Insert, insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.envelope import CloudEvent, EventData, event_type_registry

TypedHandler = Callable[[AsyncSession, CloudEvent, Any], Awaitable[None]]
H = TypeVar("H", bound=TypedHandler)


class ReadModel:
    """A consumer handler dispatching each event to the typed handler of its contract model."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.handlers: dict[type[EventData], TypedHandler] = {}

    def on(self, *models: type[EventData]) -> Callable[[H], H]:
        """Registers the decorated function as the handler of events of `models`."""

        def register(handler: H) -> H:
            for model in models:
                if model in self.handlers:
                    raise ValueError(f"{self.name}: {model.__name__} has a handler already")
                self.handlers[model] = handler
            return handler

        return register

    @property
    def models(self) -> tuple[type[EventData], ...]:
        """The event types handled: each registered model, or, for a base such as
        `OfferingSnapshot`, every registered event type derived from it."""
        return tuple(
            model
            for _, model in sorted(event_type_registry().items())
            if self.handler_of(model) is not None
        )

    @property
    def event_types(self) -> tuple[str, ...]:
        """The subjects of the models handled: a consumer's filter."""
        return tuple(model.event_type for model in self.models)

    def handler_of(self, model: type[EventData]) -> TypedHandler | None:
        """The handler of `model`'s own class, else of its nearest base that has one."""
        for cls in model.__mro__:
            if cls in self.handlers:
                return self.handlers[cls]
        return None

    async def __call__(self, session: AsyncSession, event: CloudEvent, data: EventData) -> None:
        handler = self.handler_of(type(data))
        if handler is not None:
            await handler(session, event, data)


def newer_upsert(
    table: Table,
    key: Mapping[str, Any],
    values: Mapping[str, Any],
    at: datetime,
    *,
    version: str = "updated_at",
    inserted: Mapping[str, Any] | None = None,
) -> Insert:
    """INSERT the row `key` + `values` (+ `inserted`, written only by the INSERT) with
    `version` = `at`, or, on a conflict on `key`'s columns, overwrite `values` only where the
    stored `version` is <= `at` (a NULL version, a row from before the guard, is overwritten)."""
    stored = table.c[version]
    row = {**values, version: at}
    return (
        insert(table)
        .values(**key, **(inserted or {}), **row)
        .on_conflict_do_update(
            index_elements=[table.c[name] for name in key],
            set_=row,
            where=stored.is_(None) | (stored <= at),
        )
    )


def newer_update(
    table: Table,
    key: Mapping[str, Any],
    values: Mapping[str, Any],
    at: datetime,
    *,
    version: str = "updated_at",
) -> Update:
    """UPDATE the existing row `key` with `values` and `version` = `at`, only where its stored
    `version` is <= `at`."""
    stored = table.c[version]
    matches: list[ColumnElement[bool]] = [table.c[name] == value for name, value in key.items()]
    return (
        update(table)
        .where(and_(*matches), stored.is_(None) | (stored <= at))
        .values(**values, **{version: at})
    )
