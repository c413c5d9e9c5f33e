"""The read models fed by other services' events: institutions (partners) and published
offerings with their capacity (basket). Each event is applied once."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import text

from shared import clock
from shared.contracts import CloudEvent
from shared.contracts.partners import InstitutionUpdated


async def test_capacity_changes_reach_the_offering_shown_before_sending(cases):
    c = cases
    service = await c.offering(capacity="available")
    capacity = c.capacity_cls(
        service_id=uuid.UUID(service), institution_id=c.SCHOOL, previous_status="available",
        capacity_status="no_capacity",
    )  # fmt: skip
    event = CloudEvent.wrap(capacity, source="/cus/basket", tenant=c.A, subject=service)
    await c.publish(event)
    await c.wait_sql(
        f"SELECT capacity_status FROM offerings WHERE service_id = '{service}'", "no_capacity"
    )
    shown = (await c.get("manager-a", f"/v1/offerings/{service}")).json()
    assert (shown["capacity_status"], shown["capacity_name"]) == ("no_capacity", "brak miejsc")
    # The same event again (after the duplicate window, under another message id): no effect.
    await c.publish(event, fresh_msg_id=True)
    marker = await c.offering()  # published after the duplicate: once it is in, so is that
    async with c.runtime.engine.connect() as conn:
        seen = (
            await conn.execute(
                text("SELECT count(*) FROM inbox WHERE event_id = :e"), {"e": event.id}
            )
        ).scalar_one()
    assert seen == 1
    assert marker
    assert (await c.get("manager-b", "/v1/offerings")).json() == []  # B is not served


async def test_institutions_follow_partners_events_and_ignore_older_ones(cases):
    c = cases
    await c.institutions()
    newer = InstitutionUpdated(
        institution_id=c.NGO, name="Stowarzyszenie Razem dla Rodzin", sector="ngo",
        tenants_served=[c.A], changed_fields=["name"],
    )  # fmt: skip
    older = InstitutionUpdated(
        institution_id=c.NGO, name="Stara nazwa", sector="ngo", tenants_served=[c.A],
        changed_fields=["name"],
    )  # fmt: skip
    now = clock.now()
    events = [
        CloudEvent.wrap(newer, source="/cus/partners", tenant=c.A, time=now + timedelta(seconds=5)),
        CloudEvent.wrap(older, source="/cus/partners", tenant=c.A, time=now + timedelta(seconds=1)),
    ]
    await c.publish(*events)
    ids = ", ".join(f"'{e.id}'" for e in events)
    await c.wait_sql(f"SELECT count(*) FROM inbox WHERE event_id IN ({ids})", 2)
    await c.wait_sql(
        f"SELECT name FROM institutions WHERE id = '{c.NGO}'", "Stowarzyszenie Razem dla Rodzin"
    )
