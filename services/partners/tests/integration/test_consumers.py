"""The inbox and the dead-letter stream: a consumer applies each event once, retries a failing one
with back-off, then parks it without blocking the messages behind it."""

from __future__ import annotations

import asyncio
import uuid

import nats
from sqlalchemy import text

from partners.adapters.orm import inbox
from shared.contracts import CloudEvent
from shared.contracts.partners import InstitutionRegistered
from shared.db import create_engine, session_factory
from shared.messaging import (
    STREAMS,
    RetryPolicy,
    make_broker,
    register_consumer,
    start_broker,
    stop_consumers,
)


def registered(name: str) -> CloudEvent:
    data = InstitutionRegistered(
        institution_id=uuid.uuid4(), name=name, sector="ngo", tenants_served=["1219053"]
    )
    return CloudEvent.wrap(
        data, source="/cus/partners", tenant="1219053", subject=str(data.institution_id)
    )


async def _publish(url: str, events: list[CloudEvent], msg_ids: bool = True) -> None:
    nc = await nats.connect(url)
    js = nc.jetstream()
    for event in events:
        headers = (
            {"Nats-Msg-Id": f"{event.id}-{uuid.uuid4()}"}
            if not msg_ids
            else {"Nats-Msg-Id": str(event.id)}
        )
        await js.publish(event.type, event.model_dump_json().encode(), headers=headers)
    await nc.close()


async def _wait(predicate, timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.02)


async def test_same_event_twice_is_applied_once_and_failures_are_parked(databases, own_nats):
    engine = create_engine(await databases.create("partners"), pool_size=3)
    sessions = session_factory(engine)
    broker = make_broker(own_nats.url, service="test", tracer_provider=None)
    applied: list[str] = []
    poison = registered("Zawsze zawodzi")

    async def handler(session, event, payload):
        await session.execute(text("SELECT 1"))
        if event.id == poison.id:
            raise RuntimeError("handler bug")

    def on_applied(event):  # runs after the commit, so it sees committed effects only
        applied.append(event.payload().name)

    stats = register_consumer(
        broker,
        stream=STREAMS["partners"],
        durable="test-consumer",
        sessions=sessions,
        inbox=inbox,
        handler=handler,
        on_applied=on_applied,
        retry=RetryPolicy(max_attempts=3, delays=(0.05, 0.05, 0.05)),
    )
    await start_broker(broker)
    try:
        first, second = registered("Pierwsza"), registered("Druga")
        # The same event delivered twice (two messages: JetStream would drop an identical
        # Nats-Msg-Id, so the second copy gets another one, as after the duplicate window).
        await _publish(own_nats.url, [first], msg_ids=True)
        await _publish(own_nats.url, [first], msg_ids=False)
        await _publish(own_nats.url, [poison, second])
        await _wait(lambda: stats.parked == 1 and "Druga" in applied)
        # One worker applies the messages in order: once a later marker is applied, nothing
        # delivered before it (such as a second application of the duplicate) is still to come.
        marker = registered("Znacznik")
        await _publish(own_nats.url, [marker])
        await _wait(lambda: "Znacznik" in applied)
        assert applied.count("Pierwsza") == 1
        assert stats.duplicates == 1
        assert stats.retried == 2  # attempts 1 and 2 were retried, the third parked
        async with engine.connect() as conn:
            rows = (
                (
                    await conn.execute(
                        text("SELECT event_id FROM inbox WHERE consumer = 'test-consumer'")
                    )
                )
                .scalars()
                .all()
            )
        assert set(rows) == {first.id, second.id, marker.id}

        nc = await nats.connect(own_nats.url)
        js = nc.jetstream()
        sub = await js.subscribe("dlq.>", ordered_consumer=True)
        parked = await sub.next_msg(timeout=5)
        assert parked.subject == "dlq.test-consumer.partners.institution.registered"
        assert CloudEvent.model_validate_json(parked.data).id == poison.id
        assert "handler bug" in parked.headers["Cus-Error"]
        assert parked.headers["Cus-Deliveries"] == "3"
        await nc.close()
    finally:
        await broker.stop()
        await stop_consumers(broker)
        await engine.dispose()


async def test_unreadable_message_is_parked_at_once(databases, own_nats):
    engine = create_engine(await databases.create("partners"), pool_size=2)
    broker = make_broker(own_nats.url, service="test", tracer_provider=None)
    applied: list[str] = []

    async def handler(session, event, payload):
        await session.execute(text("SELECT 1"))

    stats = register_consumer(
        broker,
        stream=STREAMS["partners"],
        durable="test-poison",
        sessions=session_factory(engine),
        inbox=inbox,
        handler=handler,
        on_applied=lambda event: applied.append(event.payload().name),
    )
    await start_broker(broker)
    try:
        nc = await nats.connect(own_nats.url)
        await nc.jetstream().publish("partners.institution.registered", b"{not an event")
        await nc.close()
        await _publish(own_nats.url, [registered("Po błędnej")])
        await _wait(lambda: stats.parked == 1 and applied == ["Po błędnej"])
        assert stats.retried == 0
    finally:
        await broker.stop()
        await stop_consumers(broker)
        await engine.dispose()
