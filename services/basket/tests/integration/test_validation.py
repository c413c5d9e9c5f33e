"""Bad input gets 422 problem details naming the field, and changes nothing (no row, no history,
no event)."""

from __future__ import annotations

import pytest

A = "1219053"


def fields(response) -> set[str]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 422
    assert body["detail"]
    return {e["field"] for e in body["errors"]}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"category": "astrology.horoscopes"}, "category"),
        ({"cost": {"kind": "paid", "amount": -10}}, "cost.amount"),
        ({"cost": {"kind": "paid"}}, "cost.amount"),
        ({"cost": {"kind": "barter"}}, "cost.kind"),
        (
            {"schedule": [{"weekday": 1, "opens_at": "15:00", "closes_at": "09:00"}]},
            "schedule.0.closes_at",
        ),
        (
            {"schedule": [{"weekday": 8, "opens_at": "09:00", "closes_at": "10:00"}]},
            "schedule.0.weekday",
        ),
        (
            {"places": [{"city": "Berlin", "latitude": 52.52, "longitude": 13.40}]},
            "places.0.longitude",
        ),
        (
            {
                "places": [
                    {"city": "Praga", "latitude": 50.08, "longitude": 14.43},
                    {"latitude": 60.1, "longitude": 20.0},
                ]
            },
            "places.1.latitude",
        ),
        ({"target_groups": ["aliens"]}, "target_groups.0"),
        ({"eligibility": {"min_age": 18, "max_age": 10}}, "eligibility.max_age"),
        ({"title": ""}, "title"),
        ({"contact": {"phone": "12 000 00 00"}}, "contact.name"),
        ({"tenants_served": ["12"]}, "tenants_served.0"),
        ({"colour": "red"}, "colour"),
    ],
)
async def test_invalid_offering_names_the_field_and_changes_nothing(
    module_basket, new_offering, change, field
):
    b = module_basket
    provider = await b.partner(A, institution_id="0d1f0000-0000-4000-8000-00000000000a")
    before = await b.counts()
    response = await b.post("coord-a", "/v1/offerings", new_offering(provider, **change))
    assert field in fields(response)
    assert await b.counts() == before


async def test_institution_that_is_not_a_partner_is_refused(basket, new_offering):
    b = basket
    invited = await b.partner(A, state="invited")
    left = await b.partner(A, state="left")
    elsewhere = await b.partner("1219043", state="declared")
    before = await b.counts()
    for institution in (invited, left, elsewhere, "5b0c3f6e-0000-4000-8000-000000000000"):
        response = await b.post("coord-a", "/v1/offerings", new_offering(institution))
        assert fields(response) == {"institution_id"}
    assert await b.counts() == before
    informal = await b.partner(A, state="informal")
    assert (await b.post("coord-a", "/v1/offerings", new_offering(informal))).status_code == 201


async def test_bad_changes_to_an_existing_offering_change_nothing(basket, new_offering):
    b = basket
    provider = await b.partner(A)
    oid = await b.add("coord-a", new_offering(provider))
    before = await b.counts()
    original = (await b.get("coord-a", f"/v1/offerings/{oid}")).json()
    bad = [
        ({"category": "nope"}, "category"),
        ({"title": "Nowy tytuł", "cost": {"kind": "co_paid", "amount": -1}}, "cost.amount"),
        (
            {"title": "Nowy tytuł", "places": [{"latitude": 49.9, "longitude": 30.5}]},
            "places.0.longitude",
        ),
        ({"title": None}, "body"),
    ]
    for body, field in bad:
        response = await b.patch("coord-a", f"/v1/offerings/{oid}", body)
        assert field in fields(response) or field == "body"
    capacity = await b.patch(
        "coord-a", f"/v1/offerings/{oid}/capacity", {"capacity_status": "full", "waiting_days": -3}
    )
    assert fields(capacity) == {"capacity_status", "waiting_days"}
    suspend = await b.post("coord-a", f"/v1/offerings/{oid}/suspend", {"reason": ""})
    assert "reason" in fields(suspend)
    assert await b.counts() == before
    assert (await b.get("coord-a", f"/v1/offerings/{oid}")).json() == original
