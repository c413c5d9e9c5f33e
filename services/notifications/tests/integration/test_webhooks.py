"""Webhook deliveries: signed with Standard Webhooks, CloudEvents bodies, exactly once per event and
endpoint, in order per object after an outage, 410 disables, dead letters can be replayed."""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict

from sqlalchemy import text

from shared.contracts import CloudEvent
from shared.contracts.basket import CapacityChanged
from shared.contracts.partners import InstitutionRegistered

A, B = "1219053", "1219043"


def registered(tenant: str = A) -> CloudEvent:
    data = InstitutionRegistered(
        institution_id=uuid.uuid4(), name="Fundacja", sector="ngo", tenants_served=[tenant]
    )
    return CloudEvent.wrap(
        data, source="/cus/partners", tenant=tenant, subject=str(data.institution_id)
    )


def capacity(service_id: uuid.UUID, status: str, tenant: str = A) -> CloudEvent:
    data = CapacityChanged(
        service_id=service_id, institution_id=uuid.uuid4(), capacity_status=status
    )
    return CloudEvent.wrap(data, source="/cus/basket", tenant=tenant, subject=str(service_id))


async def test_signed_cloudevents_once_per_event_and_endpoint_of_its_municipality(
    service, receiver, eventually
) -> None:
    system = await service.system()
    endpoint = await service.endpoint(system, receiver.url())
    assert endpoint["secret"].startswith("whsec_")
    assert endpoint["tenants"] == [A]

    mine, other_municipality = registered(A), registered(B)
    await service.publish(mine, other_municipality)
    await service.publish(mine, fresh_msg_id=True)  # the same event delivered to us again
    await service.applied(2)
    await eventually(lambda: len(receiver.delivered()) >= 1)
    await asyncio.sleep(0.5)

    events = receiver.verified(endpoint["secret"])
    assert [e.id for e in events] == [mine.id]
    hit = receiver.delivered()[0]
    assert hit.headers["webhook-id"] == str(mine.id)
    assert hit.headers["content-type"] == "application/cloudevents+json"
    assert events[0].type == "partners.institution.registered"
    assert events[0].tenant == A

    log = await service.client.get(f"/v1/endpoints/{endpoint['id']}/deliveries", headers=system)
    assert log.status_code == 200
    [delivery] = log.json()["items"]
    assert delivery["status"] == "delivered"
    assert delivery["attempts"] == 1
    attempts = await service.client.get(f"/v1/deliveries/{delivery['id']}/attempts", headers=system)
    assert attempts.json()[0]["status_code"] == 200


async def test_a_receiver_down_for_a_while_gets_everything_in_order_per_object(
    service, receiver, eventually
) -> None:
    system = await service.system()
    endpoint = await service.endpoint(system, receiver.url())
    receiver.stop()  # down: connections refused

    first, second = uuid.uuid4(), uuid.uuid4()
    events = [
        capacity(first, "available"),
        capacity(second, "available"),
        capacity(first, "waitlist"),
        capacity(second, "no_capacity"),
        capacity(first, "no_capacity"),
    ]
    await service.publish(*events)
    await service.applied(5)
    await asyncio.sleep(1.0)  # a few failed attempts
    receiver.start()
    await eventually(lambda: len(receiver.delivered()) >= 5, timeout=20)
    await asyncio.sleep(0.3)

    got = receiver.verified(endpoint["secret"])
    assert sorted(str(e.id) for e in got) == sorted(str(e.id) for e in events)
    per_object: dict[str, list[str]] = defaultdict(list)
    for e in got:
        per_object[str(e.subject)].append(e.data["capacity_status"])
    assert per_object[str(first)] == ["available", "waitlist", "no_capacity"]
    assert per_object[str(second)] == ["available", "no_capacity"]
    async with service.built.runtime.engine.connect() as conn:
        failed = (
            await conn.execute(
                text("SELECT count(*) FROM delivery_attempts WHERE error IS NOT NULL")
            )
        ).scalar_one()
    assert failed >= 2


async def test_an_endpoint_with_a_backlog_does_not_hold_up_the_others(
    service, receivers, eventually
) -> None:
    """Each endpoint has its share of every claimed batch: a busy or failing endpoint's pending
    rows (here many, behind a receiver that is down) do not delay another endpoint's deliveries."""
    system = await service.system()
    down, healthy = receivers(), receivers()
    await service.endpoint(system, down.url())
    endpoint = await service.endpoint(system, healthy.url())
    down.stop()

    events = [capacity(uuid.uuid4(), "available") for _ in range(60)]
    await service.publish(*events)
    await service.applied(60)
    await eventually(lambda: len(healthy.delivered()) >= 60, timeout=20)
    got = healthy.verified(endpoint["secret"])
    assert sorted(str(e.id) for e in got) == sorted(str(e.id) for e in events)
    assert down.delivered() == []


async def test_410_disables_the_endpoint_and_dead_letters_are_replayed(
    service, receiver, eventually
) -> None:
    system = await service.system()
    admin = await service.user("admin")
    endpoint = await service.endpoint(system, receiver.url())
    receiver.status = 410
    gone = registered()
    await service.publish(gone)
    await eventually(lambda: len(receiver.hits) == 1)

    async def current() -> dict:
        r = await service.client.get(f"/v1/endpoints/{endpoint['id']}", headers=system)
        return r.json()

    for _ in range(100):
        if (await current())["active"] is False:
            break
        await asyncio.sleep(0.05)
    assert "410" in (await current())["disabled_reason"]
    later = registered()
    await service.publish(later)  # a disabled endpoint gets no new deliveries
    await service.applied(2)

    dead = await service.client.get("/v1/dead-letters", headers=admin)
    assert [d["event_id"] for d in dead.json()["items"]] == [str(gone.id)]
    own = await service.client.get("/v1/dead-letters", headers=await service.system(uuid.uuid4()))
    assert own.json()["items"] == []

    receiver.status = 200
    enabled = await service.client.patch(
        f"/v1/endpoints/{endpoint['id']}", json={"active": True}, headers=system
    )
    assert enabled.json()["active"] is True
    assert enabled.json()["disabled_reason"] is None
    delivery_id = dead.json()["items"][0]["id"]
    replay = await service.client.post(f"/v1/dead-letters/{delivery_id}/replay", headers=admin)
    assert replay.json() == {"replayed": 1}
    await eventually(lambda: len(receiver.delivered()) == 1)
    assert [e.id for e in receiver.verified(endpoint["secret"])] == [gone.id]


async def test_retries_spent_park_the_delivery_in_the_dead_letter_list(
    harness, receiver, eventually
) -> None:
    settings = await harness.settings(webhook_retry_delays=(0.1, 0.1))
    async with harness.run(settings) as service:
        system = await service.system()
        endpoint = await service.endpoint(system, receiver.url())
        receiver.status = 503
        await service.publish(registered())
        await eventually(lambda: len(receiver.hits) == 3)
        await asyncio.sleep(0.3)
        log = await service.client.get(f"/v1/endpoints/{endpoint['id']}/deliveries", headers=system)
        [delivery] = log.json()["items"]
        assert delivery["status"] == "dead"
        assert delivery["attempts"] == 3
        assert delivery["last_status_code"] == 503
        assert len(receiver.hits) == 3


async def test_rotation_signs_with_both_secrets(service, receiver, eventually) -> None:
    system = await service.system()
    endpoint = await service.endpoint(system, receiver.url())
    rotated = await service.client.post(
        f"/v1/endpoints/{endpoint['id']}/secret/rotate", headers=system
    )
    assert rotated.status_code == 200
    new = rotated.json()["secret"]
    assert new != endpoint["secret"]
    await service.publish(registered())
    await eventually(lambda: len(receiver.delivered()) == 1)
    assert len(receiver.delivered()[0].headers["webhook-signature"].split(" ")) == 2
    for secret in (endpoint["secret"], new):
        assert len(receiver.verified(secret)) == 1


async def test_a_regional_administrator_registers_an_endpoint_for_a_partner_institution(
    service, receiver, eventually
) -> None:
    admin = await service.user("admin")
    institution = uuid.uuid4()
    missing = await service.client.post(
        "/v1/endpoints", json={"url": receiver.url()}, headers=admin
    )
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "institution_id"

    endpoint = await service.endpoint(
        admin, receiver.url(), institution_id=str(institution), tenants=[A]
    )
    assert endpoint["institution_id"] == str(institution)
    assert endpoint["tenants"] == [A]
    # The institution's own system sees it as its own; it may not name another institution.
    own = await service.system(institution)
    listed = await service.client.get("/v1/endpoints", headers=own)
    assert [e["id"] for e in listed.json()] == [endpoint["id"]]
    forged = await service.client.post(
        "/v1/endpoints",
        json={"url": receiver.url(), "institution_id": str(uuid.uuid4())},
        headers=own,
    )
    assert forged.status_code == 403

    await service.publish(registered(A), registered(B))
    await eventually(lambda: len(receiver.delivered()) >= 1)
    await asyncio.sleep(0.3)
    assert [e.tenant for e in receiver.verified(endpoint["secret"])] == [A]
