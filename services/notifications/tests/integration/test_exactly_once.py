"""Exactly one delivery per event and endpoint when the service is stopped in the middle of a
batch and a new instance takes over on the same database."""

from __future__ import annotations

import uuid
from collections import Counter

from shared.contracts import CloudEvent
from shared.contracts.basket import CapacityChanged

A = "1219053"


async def test_restart_in_the_middle_of_a_batch_delivers_each_event_once(
    harness, receiver, eventually
) -> None:
    database = await harness.databases.create("notifications")
    settings = await harness.settings(database, delivery_batch=5, delivery_workers=2)
    receiver.delay = 0.05  # a slow receiver, so that deliveries are in flight at the stop
    service_id = uuid.uuid4()
    events = [
        CloudEvent.wrap(
            CapacityChanged(
                service_id=uuid.uuid4() if n % 2 else service_id,
                institution_id=uuid.uuid4(),
                capacity_status="waitlist",
                waiting_days=n,
            ),
            source="/cus/basket",
            tenant=A,
            subject=str(service_id) if n % 2 == 0 else str(uuid.uuid4()),
        )
        for n in range(40)
    ]
    async with harness.run(settings) as first:
        endpoint = await first.endpoint(await first.system(), receiver.url())
        await first.publish(*events)
        await eventually(lambda: len(receiver.hits) >= 8)
    stopped_at = len(receiver.hits)
    assert stopped_at < len(events)  # the first instance was stopped with work pending

    async with harness.run(settings) as second:
        await second.publish(*events[:10], fresh_msg_id=True)  # and some arrive again
        await eventually(lambda: len(receiver.delivered()) >= len(events), timeout=30)
        # A later event: the consumer applies in order, so once it is delivered the copies sent
        # again above have been consumed too; then nothing queued is left to send.
        marker = CloudEvent.wrap(
            CapacityChanged(
                service_id=uuid.uuid4(), institution_id=uuid.uuid4(),
                capacity_status="available", waiting_days=0,
            ),
            source="/cus/basket", tenant=A, subject=str(uuid.uuid4()),
        )  # fmt: skip
        await second.publish(marker)
        await eventually(lambda: str(marker.id) in {h.event_id for h in receiver.delivered()})
        await second.settled()

    delivered = [h for h in receiver.delivered() if h.event_id != str(marker.id)]

    counts = Counter(h.event_id for h in delivered)
    assert set(counts) == {str(e.id) for e in events}
    assert set(counts.values()) == {1}
    # the events of one object arrived in the order they were produced
    same = [e.cloud_event().data["waiting_days"] for e in delivered
            if e.cloud_event().subject == str(service_id)]  # fmt: skip
    assert same == sorted(same)
    assert len(receiver.verified(endpoint["secret"])) == len(events) + 1
