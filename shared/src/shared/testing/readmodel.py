"""The property every read model of another service's events has (ADR 0083): the same events, in
any order and with any duplicates, leave the same rows.

`check_order_independence` applies a scenario's events in their order, then shuffled with
duplicates for each seed of a fixed list, each time to fresh object ids in the same real
database, through the consumer's own inbox applier (one transaction per delivery, as one by one);
the rows each round leaves, with the ids replaced by their index in the scenario, must be equal.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.contracts.envelope import CloudEvent
from shared.messaging.consumer import Handler, InboxApplier

Scenario = Callable[[list[uuid.UUID]], list[CloudEvent]]
State = Callable[[AsyncSession, list[uuid.UUID]], Awaitable[Any]]


@dataclass
class _Delivery:
    """What the inbox applier reads of a message: its subject and headers."""

    subject: str
    headers: dict[str, str] = field(default_factory=dict)


def shuffled_with_duplicates(
    events: Sequence[CloudEvent], rng: random.Random, duplicates: int
) -> list[CloudEvent]:
    """`events` in a random order, with `duplicates` of them delivered once more, anywhere."""
    delivered = list(events)
    rng.shuffle(delivered)
    for _ in range(duplicates):
        delivered.insert(rng.randrange(len(delivered) + 1), rng.choice(list(events)))
    return delivered


def replace_ids(value: Any, ids: list[uuid.UUID]) -> Any:
    """`value` with each id of `ids` replaced by `#<index>`, so rounds compare."""
    index = {str(i): f"#{n}" for n, i in enumerate(ids)}
    if isinstance(value, uuid.UUID | str):
        return index.get(str(value), value)
    if isinstance(value, dict):
        return {replace_ids(k, ids): replace_ids(v, ids) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [replace_ids(v, ids) for v in value]
        return sorted(items, key=repr) if isinstance(value, set | frozenset) else items
    return value


async def apply_deliveries(
    sessions: async_sessionmaker[AsyncSession],
    applier: InboxApplier,
    events: Sequence[CloudEvent],
) -> None:
    for event in events:
        async with sessions() as session, session.begin():
            await applier(session, _Delivery(event.type), event, event.payload())  # type: ignore[arg-type]


async def check_order_independence(
    sessions: async_sessionmaker[AsyncSession],
    *,
    inbox: Table,
    handler: Handler,
    scenario: Scenario,
    state: State,
    objects: int,
    seeds: Sequence[int] = tuple(range(12)),
    duplicates: int = 4,
) -> Any:
    """Returns the state every round left (after asserting they are all the same)."""
    durable = f"order-{uuid.uuid4().hex[:8]}"
    applier = InboxApplier(durable, inbox, handler)

    async def round_(rng: random.Random | None) -> Any:
        ids = [uuid.uuid4() for _ in range(objects)]
        events = scenario(ids)
        if rng is not None:
            events = shuffled_with_duplicates(events, rng, duplicates)
        await apply_deliveries(sessions, applier, events)
        async with sessions() as session:
            return replace_ids(await state(session, ids), ids)

    expected = await round_(None)
    for seed in seeds:
        got = await round_(random.Random(seed))
        assert got == expected, f"seed {seed}: {got!r} != {expected!r}"
    return expected
