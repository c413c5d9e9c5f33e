"""Events flow both ways: an institution registered and declared in partners can offer a service
a moment later; one that leaves (or whose membership is suspended) has its published offerings
suspended, announced by basket.service.suspended with because_provider_left — once, however
often the event is delivered."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import nats
import pytest

from partners.bootstrap import bootstrap as partners_bootstrap
from partners.config import PartnersSettings
from shared.testing.plugin import serve

A = "1219053"


@pytest.fixture
async def partners_client(databases, nats_url, issuer) -> AsyncIterator:
    settings = PartnersSettings(
        database_url=await databases.create("partners"),
        nats_url=nats_url,
        oidc_issuer=issuer.issuer_url,
        db_pool_size=3,
    )
    app, runtime = partners_bootstrap(settings)
    async with serve(app, runtime) as client:
        yield client


async def test_registered_and_declared_institution_offers_then_leaving_suspends(
    basket, partners_client, tokens, new_offering
):
    b, p = basket, partners_client
    coord = await tokens.headers("coord-a")

    async def partners_post(url: str, body: dict) -> str:
        response = await p.post(url, json=body, headers=coord)
        assert response.status_code in (200, 201), response.text
        return str(response.json().get("id", ""))

    leader = await partners_post(
        "/v1/institutions", {"name": "Ośrodek Pomocy Społecznej", "sector": "social_assistance"}
    )
    partnership = await partners_post(
        "/v1/partnerships",
        {
            "name": "Partnerstwo na rzecz rodzin",
            "municipality_name": "Wieliczka",
            "leader_institution_id": leader,
        },
    )
    school = await partners_post(
        "/v1/institutions", {"name": "Szkoła Podstawowa nr 7", "sector": "education"}
    )
    membership = await partners_post(
        "/v1/memberships",
        {
            "partnership_id": partnership,
            "institution_id": school,
            "state": "declared",
            "declaration_reference": "OPS.4012.7.2026",
        },
    )

    # A moment later the basket knows the school as a partner of A.
    async with asyncio.timeout(15):
        while True:
            response = await b.post("coord-a", "/v1/offerings", new_offering(school, "Świetlica"))
            if response.status_code == 201:
                break
            assert response.status_code == 422, response.text
            await asyncio.sleep(0.1)
    offering_id = response.json()["id"]
    assert (await b.post("coord-a", f"/v1/offerings/{offering_id}/publish")).status_code == 200
    got = (await b.get("coord-a", f"/v1/offerings/{offering_id}")).json()
    assert got["provider_sector"] == "education"
    assert got["institution_name"] == "Szkoła Podstawowa nr 7"

    left = await p.post(
        f"/v1/memberships/{membership}/transitions",
        json={"state": "left", "reason": "Zmiana profilu szkoły"},
        headers=coord,
    )
    assert left.status_code == 200, left.text

    events = await b.tap.wait_for(
        lambda evs: any(e.type == "basket.service.suspended" for e in evs), timeout=15
    )
    suspended = [e for e in events if e.type == "basket.service.suspended"]
    assert len(suspended) == 1
    assert suspended[0].subject == offering_id
    assert suspended[0].data["because_provider_left"] is True
    assert suspended[0].data["status"] == "suspended"
    after = (await b.get("coord-a", f"/v1/offerings/{offering_id}")).json()
    assert after["status"] == "suspended"
    assert "wystąpiła" in after["status_reason"]
    assert (await b.get(None, f"/v1/public/{A}/offerings")).json()["total"] == 0
    history = (await b.get("coord-a", f"/v1/offerings/{offering_id}/history")).json()
    assert history[-1]["action"] == "suspended"
    assert history[-1]["changed_by"] == "partners"
    # Publishing again needs the institution to take part again.
    again = await b.post("coord-a", f"/v1/offerings/{offering_id}/publish")
    assert again.status_code == 422
    assert again.json()["errors"][0]["field"] == "institution_id"


async def test_suspended_membership_suspends_once_however_often_delivered(basket, new_offering):
    b = basket
    provider = await b.partner(A, "declared")
    other = await b.partner(A, "declared", name="Inna instytucja")
    published = await b.add("coord-a", new_offering(provider, "Usługa opublikowana"), True)
    draft = await b.add("coord-a", new_offering(provider, "Usługa w szkicu"))
    others = await b.add("coord-a", new_offering(other, "Usługa innej instytucji"), True)
    marker_provider = await b.partner(A, "declared", name="Znacznik")
    marker = await b.add("coord-a", new_offering(marker_provider, "Usługa znacznika"), True)

    event = b.membership_event(provider, A, "suspended")
    # The same event twice: JetStream would drop a repeated Nats-Msg-Id inside its window, so
    # the second copy carries another one, as a redelivery after the window would.
    await b.publish([event])
    nc = await nats.connect(b.nats_url)
    await nc.jetstream().publish(
        event.type,
        event.model_dump_json().encode(),
        headers={"Nats-Msg-Id": f"{event.id}-{uuid.uuid4()}"},
    )
    await nc.close()
    await b.wait_for_state(provider, A, "suspended")
    # A later partners event through the same consumer suspends the marker's offering: the
    # consumer applies in order, so both copies above are handled by the time that is announced.
    await b.publish([b.membership_event(marker_provider, A, "suspended")])
    events = await b.tap.through(
        lambda e: e.type == "basket.service.suspended" and e.subject == marker
    )
    suspended = [e for e in events if e.type == "basket.service.suspended"]
    assert [e.subject for e in suspended] == [published]
    assert suspended[0].data["because_provider_left"] is True
    statuses = {
        oid: (await b.get("coord-a", f"/v1/offerings/{oid}")).json()["status"]
        for oid in (published, draft, others)
    }
    assert statuses == {published: "suspended", draft: "draft", others: "published"}
