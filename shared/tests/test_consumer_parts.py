"""The parts of a durable consumer, each without NATS: parsing, the retry or park decision, the
batch taken from the queue, the inbox applier and the message applier (against a real database,
with stand-in messages that record their acknowledgements)."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from partners.adapters.orm import inbox
from shared.contracts import CloudEvent, EventData
from shared.contracts.partners import InstitutionRegistered
from shared.db import create_engine, session_factory
from shared.messaging.consumer import (
    ConsumerStats,
    InboxApplier,
    MessageApplier,
    Park,
    PoisonMessage,
    Redeliver,
    RetryPolicy,
    consumer_config,
    decide,
    next_batch,
    parse,
    run_worker,
)


def registered(name: str) -> CloudEvent:
    data = InstitutionRegistered(
        institution_id=uuid.uuid4(), name=name, sector="ngo", tenants_served=["1219053"]
    )
    return CloudEvent.wrap(
        data, source="/cus/partners", tenant="1219053", subject=str(data.institution_id)
    )


@dataclass
class FakeMsg:
    """What the consumer uses of a nats-py message."""

    data: bytes
    subject: str = "partners.institution.registered"
    delivered: int = 1
    headers: dict[str, str] = field(default_factory=dict)
    acks: list[str] = field(default_factory=list)

    @property
    def metadata(self) -> Any:
        return SimpleNamespace(
            num_delivered=self.delivered, sequence=SimpleNamespace(stream=1, consumer=1)
        )

    async def ack(self) -> None:
        self.acks.append("ack")

    async def nak(self, delay: float | None = None) -> None:
        self.acks.append(f"nak {delay}")


def msg(event: CloudEvent, delivered: int = 1) -> Any:
    return FakeMsg(event.model_dump_json().encode(), subject=event.type, delivered=delivered)


def test_parse_gives_the_typed_payload_or_a_poison_message() -> None:
    event = registered("Fundacja")
    parsed, payload = parse(msg(event))
    assert parsed.id == event.id
    assert isinstance(payload, InstitutionRegistered)
    with pytest.raises(PoisonMessage):
        parse(FakeMsg(b"not json"))  # type: ignore[arg-type]


def test_decide_parks_poison_at_once_and_redelivers_with_back_off_until_the_limit() -> None:
    retry = RetryPolicy(max_attempts=3, delays=(0.2, 1.0))
    assert decide(PoisonMessage("bad"), 1, retry) == Park("bad")
    assert decide(RuntimeError("boom"), 1, retry) == Redeliver(0.2)
    assert decide(RuntimeError("boom"), 2, retry) == Redeliver(1.0)
    assert decide(RuntimeError("boom"), 3, retry) == Park("RuntimeError: boom")


def test_consumer_config_filters_only_several_subjects() -> None:
    retry = RetryPolicy()
    one = consumer_config("d", ["a.b"], retry, 10)
    several = consumer_config("d", ["a.b", "a.c"], retry, 10)
    assert one.filter_subjects is None
    assert several.filter_subjects == ["a.b", "a.c"]
    assert (one.max_deliver, one.max_ack_pending, one.deliver_group) == (8, 40, "d")


async def test_next_batch_waits_for_one_then_takes_what_is_queued_up_to_the_size() -> None:
    queue: asyncio.Queue[Any] = asyncio.Queue()
    waiting = asyncio.create_task(next_batch(queue, 3))
    await asyncio.sleep(0)
    assert not waiting.done()
    for i in range(5):
        queue.put_nowait(i)
    assert await waiting == [0, 1, 2]
    assert await next_batch(queue, 3) == [3, 4]


@pytest.fixture
async def sessions(databases):
    engine = create_engine(await databases.create("partners"), pool_size=2)
    yield session_factory(engine)
    await engine.dispose()


class Recorder:
    def __init__(self, failing: set[uuid.UUID] | None = None) -> None:
        self.seen: list[uuid.UUID] = []
        self.failing = failing or set()

    async def __call__(self, session: AsyncSession, event: CloudEvent, data: EventData) -> None:
        if event.id in self.failing:
            raise RuntimeError("handler failed")
        await session.execute(text("SELECT 1"))
        self.seen.append(event.id)


def applier(sessions, handler, **kw: Any) -> tuple[MessageApplier, list[tuple[Any, str]]]:
    parked: list[tuple[Any, str]] = []

    async def park(raw: Any, error: str) -> None:
        parked.append((raw, error))

    durable = f"test-{uuid.uuid4().hex[:6]}"
    return (
        MessageApplier(durable, sessions, InboxApplier(durable, inbox, handler), park, **kw),
        parked,
    )


async def test_inbox_applier_runs_the_handler_once_per_event(sessions) -> None:
    handler = Recorder()
    apply = InboxApplier("test-inbox", inbox, handler)
    event = registered("Fundacja")
    raw = msg(event)
    for _ in range(2):
        async with sessions() as session, session.begin():
            await apply(session, raw, *parse(raw))
    assert handler.seen == [event.id]


async def test_a_batch_is_one_transaction_acked_after_it_and_counted(sessions) -> None:
    handler = Recorder()
    seen: list[uuid.UUID] = []
    stats = ConsumerStats()
    a, _ = applier(sessions, handler, stats=stats, on_applied=lambda e: seen.append(e.id))
    events = [registered(f"I{i}") for i in range(3)]
    raws = [msg(e) for e in [*events, events[0]]]
    await a.apply_received(raws)
    assert handler.seen == [e.id for e in events]
    assert seen == [e.id for e in events]
    assert all(r.acks == ["ack"] for r in raws)
    assert (stats.applied, stats.duplicates) == (3, 1)


async def test_a_failing_batch_is_applied_one_by_one_and_the_failure_retried(sessions) -> None:
    events = [registered(f"I{i}") for i in range(3)]
    handler = Recorder(failing={events[1].id})
    a, parked = applier(sessions, handler, retry=RetryPolicy(max_attempts=2, delays=(0.5,)))
    raws = [msg(e) for e in events]
    await a.apply_received(raws)
    # The batch ran the first handler, then rolled back: one by one, it runs again.
    assert handler.seen == [events[0].id, events[0].id, events[2].id]
    assert [r.acks for r in raws] == [["ack"], ["nak 0.5"], ["ack"]]
    assert (a.stats.applied, a.stats.retried, a.stats.parked) == (2, 1, 0)
    assert parked == []
    # Its last attempt parks it, acknowledged so the messages behind it flow on.
    last = msg(events[1], delivered=2)
    await a.apply_received([last])
    assert last.acks == ["ack"]
    assert parked == [(last, "RuntimeError: handler failed")]
    assert a.stats.parked == 1


async def test_an_unreadable_message_is_parked_at_once(sessions) -> None:
    a, parked = applier(sessions, Recorder())
    raw = FakeMsg(b"{}")
    await a.apply_received([raw])  # type: ignore[list-item]
    assert raw.acks == ["ack"]
    assert len(parked) == 1
    assert parked[0][1].startswith("not a valid platform event")


async def test_the_worker_applies_the_queue_in_order(sessions) -> None:
    handler = Recorder()
    a, _ = applier(sessions, handler)
    queue: asyncio.Queue[Any] = asyncio.Queue()
    events = [registered(f"I{i}") for i in range(5)]
    for e in events:
        queue.put_nowait(msg(e))
    worker = asyncio.create_task(run_worker(queue, 2, a))
    async with asyncio.timeout(10):
        while a.stats.applied < 5:
            await asyncio.sleep(0.01)
    worker.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await worker
    assert handler.seen == [e.id for e in events]
