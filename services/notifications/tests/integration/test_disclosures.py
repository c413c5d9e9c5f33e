"""Every case event that leaves for a partner institution's system — by webhook or through the
feed — is recorded once per institution and channel in an append-only table and announced as
`notifications.disclosure.recorded` for the case's access log (ADR 0029)."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from shared.contracts import CloudEvent, EventData
from shared.contracts import cases as c
from shared.db.engine import asyncpg_url

A = "1219053"
NOW = datetime.now(UTC)


def case_event(data: EventData, case_id: uuid.UUID) -> CloudEvent:
    return CloudEvent.wrap(data, source="/cus/cases", tenant=A, subject=str(case_id))


async def rows(service, sql: str) -> list[dict]:
    async with service.built.runtime.engine.connect() as conn:
        return [dict(r._mapping) for r in await conn.execute(text(sql))]


async def test_webhook_and_feed_disclosures_are_recorded_once_and_announced(
    service, receivers, eventually
) -> None:
    inside, outside = uuid.uuid4(), uuid.uuid4()
    system = await service.system(inside)
    other = await service.system(outside)
    hook = receivers()
    endpoint = await service.endpoint(system, hook.url())
    case_id = uuid.uuid4()
    consented = case_event(
        c.FamilyConsented(
            case_id=case_id, consent_id=uuid.uuid4(), given_at=NOW, method="paper",
            institution_ids=[inside], sectors=[], data_kinds=["referrals"],
            valid_until=NOW + timedelta(days=90),
        ),
        case_id,
    )  # fmt: skip
    requested = case_event(
        c.ReferralRequested(
            referral_id=uuid.uuid4(), case_id=case_id, service_id=uuid.uuid4(),
            receiving_institution_id=inside, receiving_sector="ngo", state="requested",
            previous_state="draft", at=NOW,
        ),
        case_id,
    )  # fmt: skip
    await service.publish(consented, requested)
    await service.applied(2)
    await eventually(lambda: len(hook.delivered()) == 2)

    async def recorded(channel: str) -> list[dict]:
        return await rows(
            service, f"SELECT * FROM disclosures WHERE channel = '{channel}' ORDER BY seq"
        )

    async with asyncio.timeout(15):  # the worker commits its batch after the receiver answered
        while len(webhook := await recorded("webhook")) < 2:
            await asyncio.sleep(0.05)
    assert [(r["event_id"], r["event_type"]) for r in webhook] == [
        (consented.id, "cases.family.consented"),
        (requested.id, "cases.referral.requested"),
    ]
    assert {(r["case_id"], r["institution_id"], str(r["endpoint_id"])) for r in webhook} == {
        (case_id, inside, endpoint["id"])
    }
    # The feed: the first fetch of each event counts, a second fetch adds nothing; a system the
    # consent does not cover fetches nothing of the case, so nothing was disclosed to it.
    for _ in range(2):
        page = await service.client.get("/v1/feed", headers=system)
        assert len(page.json()["items"]) == 2
    assert (await service.client.get("/v1/feed", headers=other)).json()["items"] == []
    feed = await recorded("feed")
    assert [(r["event_id"], r["institution_id"]) for r in feed] == [
        (consented.id, inside),
        (requested.id, inside),
    ]
    assert feed[0]["client_id"] == f"system-{inside}"

    announced = await rows(
        service,
        "SELECT subject, tenant, body FROM outbox "
        "WHERE subject = 'notifications.disclosure.recorded' ORDER BY seq",
    )
    assert len(announced) == 4
    bodies = [json.loads(bytes(r["body"])) for r in announced]
    assert {b["data"]["channel"] for b in bodies} == {"webhook", "feed"}
    assert {b["subject"] for b in bodies} == {str(case_id)}
    assert {r["tenant"] for r in announced} == {A}
    assert sorted(b["data"]["disclosed_event_id"] for b in bodies) == sorted(
        [str(consented.id), str(requested.id)] * 2
    )


@pytest.mark.parametrize(
    "statement",
    ["UPDATE disclosures SET channel = 'x'", "DELETE FROM disclosures", "TRUNCATE disclosures"],
)
async def test_disclosures_cannot_be_changed_or_deleted(service, databases, statement) -> None:
    """Twice over: the service's role has no UPDATE, DELETE or TRUNCATE on the table (ADR 0019),
    and the trigger stops even the owner (ADR 0029)."""
    with pytest.raises(DBAPIError, match="permission denied for table disclosures"):
        async with service.built.runtime.engine.begin() as conn:
            await conn.execute(text(statement))
    app_url = service.settings.database_url
    owner = create_async_engine(asyncpg_url(databases.owner_url(app_url)))
    try:
        with pytest.raises(DBAPIError, match="append-only"):
            async with owner.begin() as conn:
                await conn.execute(text(statement))
    finally:
        await owner.dispose()


async def test_disclosure_events_are_not_offered_to_partner_systems(service) -> None:
    system = await service.system(uuid.uuid4())
    types = (await service.client.get("/v1/event-types", headers=system)).json()
    assert not [t for t in json.dumps(types).split('"') if t.startswith("notifications.")]
    response = await service.client.post(
        "/v1/endpoints",
        json={"url": "http://127.0.0.1:9/x", "event_types": ["notifications.disclosure.recorded"]},
        headers=system,
    )
    assert response.status_code == 422
