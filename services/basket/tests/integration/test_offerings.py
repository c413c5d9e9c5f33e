"""An offering's life: added, changed, published, capacity, verified, suspended, withdrawn — each
change kept in the history and announced by exactly one event carrying the offering's snapshot."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from shared import clock

A = "1219053"


async def test_lifecycle_history_and_one_event_per_change(basket, new_offering):
    b, offering = basket, new_offering
    provider = await b.partner(A, "declared", sector="health")
    oid = await b.add("coord-a", offering(provider))

    got = (await b.get("coord-a", f"/v1/offerings/{oid}")).json()
    assert got["status"] == "draft"
    assert got["area"] == "family_support"
    assert got["category_name"] == "Poradnictwo rodzinne"
    assert got["provider_sector"] == "health"
    assert got["tenants_served"] == [A]
    assert got["last_verified_on"] == clock.today().isoformat()
    assert got["stale"] is False

    changed = await b.patch(
        "coord-a", f"/v1/offerings/{oid}", {"title": "Konsultacje psychologiczne dla rodzin"}
    )
    assert changed.json() == {"changed": ["title"]}
    assert (await b.post("coord-a", f"/v1/offerings/{oid}/publish")).status_code == 200
    capacity = await b.patch(
        "coord-a",
        f"/v1/offerings/{oid}/capacity",
        {"capacity_status": "waitlist", "waiting_days": 14},
    )
    assert capacity.status_code == 200, capacity.text
    assert (await b.post("coord-a", f"/v1/offerings/{oid}/verify")).status_code == 200
    suspended = await b.post(
        "coord-a", f"/v1/offerings/{oid}/suspend", {"reason": "Remont siedziby"}
    )
    assert suspended.status_code == 200, suspended.text
    assert (await b.post("coord-a", f"/v1/offerings/{oid}/publish")).status_code == 200
    withdrawn = await b.post(
        "coord-a", f"/v1/offerings/{oid}/withdraw", {"reason": "Koniec projektu"}
    )
    assert withdrawn.status_code == 200
    again = await b.post("coord-a", f"/v1/offerings/{oid}/publish")
    assert again.status_code == 409

    final = (await b.get("coord-a", f"/v1/offerings/{oid}")).json()
    assert final["status"] == "withdrawn"
    assert final["status_reason"] == "Koniec projektu"
    assert final["capacity_status"] == "waitlist"
    assert final["waiting_days"] == 14

    history = (await b.get("coord-a", f"/v1/offerings/{oid}/history")).json()
    assert [h["action"] for h in history] == [
        "added",
        "updated",
        "published",
        "capacity_changed",
        "verified",
        "suspended",
        "published",
        "withdrawn",
    ]
    assert all(h["changed_by"] == "coord-a" for h in history)
    title_change = history[1]["changes"]
    assert title_change == [
        {
            "field": "title",
            "before": "Konsultacje psychologiczne",
            "after": "Konsultacje psychologiczne dla rodzin",
        }
    ]

    expected = Counter(
        {
            "basket.service.added": 1,
            "basket.service.updated": 1,
            "basket.service.published": 2,
            "basket.capacity.changed": 1,
            "basket.service.verified": 1,
            "basket.service.suspended": 1,
            "basket.service.withdrawn": 1,
        }
    )
    # A later change announced through the same outbox: once its event is in, so is every
    # event of the changes above, and none more can follow.
    marker = await b.add("coord-a", offering(provider, "Znacznik końca testu"))
    events = await b.tap.through(lambda e: e.subject == marker)
    assert Counter(e.type for e in events if e.subject == oid) == expected
    assert Counter(e.type for e in events) == expected
    updated = b.tap.of_type("basket.service.updated")[0]
    assert updated.tenant == A
    assert updated.data["changed_fields"] == ["title"]
    assert updated.data["provider_sector"] == "health"
    assert updated.data["cost"] == "free"
    capacity_event = b.tap.of_type("basket.capacity.changed")[0].data
    assert capacity_event["previous_status"] == "available"
    assert capacity_event["capacity_status"] == "waitlist"
    assert capacity_event["waiting_days"] == 14
    suspended_event = b.tap.of_type("basket.service.suspended")[0].data
    assert suspended_event["reason"] == "Remont siedziby"
    assert suspended_event["because_provider_left"] is False


async def test_stale_offerings_are_flagged_and_listed(basket, new_offering):
    b, offering = basket, new_offering
    provider = await b.partner(A)
    fresh = await b.add("coord-a", offering(provider, "Świeża usługa"))
    old = await b.add("coord-a", offering(provider, "Dawno niesprawdzana usługa"))
    await b.sql(
        "UPDATE offerings SET last_verified_on = :d WHERE id = :id",
        d=clock.today() - timedelta(days=91),
        id=old,
    )
    stale = (await b.get("coord-a", "/v1/offerings/stale", tenant=A)).json()
    assert [s["id"] for s in stale] == [old]
    assert stale[0]["stale"] is True
    assert (await b.get("coord-a", f"/v1/offerings/{fresh}")).json()["stale"] is False

    assert (await b.post("coord-a", f"/v1/offerings/{old}/verify")).status_code == 200
    assert (await b.get("coord-a", "/v1/offerings/stale", tenant=A)).json() == []
    assert (await b.get("coord-b", "/v1/offerings/stale", tenant=A)).json() == []


async def test_stale_list_is_not_crowded_out_by_fresh_offerings(basket, new_offering):
    """The stale list holds every stale offering, also when fresh ones sort before them."""
    b, offering = basket, new_offering
    provider = await b.partner(A)
    for title in ("Aaa świeża usługa", "Abc świeża usługa"):
        await b.add("coord-a", offering(provider, title))
    old = await b.add("coord-a", offering(provider, "Zzz dawno niesprawdzana"))
    await b.sql(
        "UPDATE offerings SET last_verified_on = :d WHERE id = :id",
        d=clock.today() - timedelta(days=91),
        id=old,
    )
    stale = (await b.get("coord-a", "/v1/offerings/stale", tenant=A)).json()
    assert old in [s["id"] for s in stale]
    assert all(s["stale"] for s in stale)


async def test_stale_list_is_not_an_offering_id(basket, new_offering):
    """Found by schemathesis: PATCH /v1/offerings/stale reached the offering update (422 on the
    id) although /offerings/stale has only GET; it is 405 naming GET, and an offering's own
    routes still work."""
    b = basket
    institution = await b.partner()
    offering_id = await b.add("coord-a", new_offering(institution))
    headers = await b.as_("coord-a")
    refused = await b.client.patch("/v1/offerings/stale", json={"title": "x"}, headers=headers)
    assert refused.status_code == 405
    assert "GET" in refused.headers["allow"]
    assert (await b.get("coord-a", "/v1/offerings/stale")).status_code == 200
    changed = await b.patch("coord-a", f"/v1/offerings/{offering_id}", {"title": "Nowa nazwa"})
    assert changed.status_code == 200, changed.text
    assert (await b.get("coord-a", "/v1/offerings/not-an-id")).status_code == 404
