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
        ({"cost": {"kind": "paid", "amount": 1e308}}, "cost.amount"),
        ({"places": [{"city": "Wieliczka"}] * 51}, "places"),
        (
            {"schedule": [{"weekday": 1, "opens_at": "09:00", "closes_at": "10:00"}] * 101},
            "schedule",
        ),
        ({"required_documents": ["Dowód"] * 51}, "required_documents"),
        ({"languages": ["pl"] * 31}, "languages"),
        ({"tenants_served": [A] * 501}, "tenants_served"),
        ({"eligibility": {"residence": [A] * 501}}, "eligibility.residence"),
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


async def test_an_offering_id_that_exists_is_refused_like_the_partners_registry_does(
    basket, new_offering
):
    b = basket
    provider = await b.partner(A)
    chosen = "5b0c3f6e-0000-4000-8000-0000000000aa"
    assert await b.add("coord-a", new_offering(provider, id=chosen)) == chosen
    before = await b.counts()
    original = (await b.get("coord-a", f"/v1/offerings/{chosen}")).json()
    again = await b.post(
        "coord-a", "/v1/offerings", new_offering(provider, "Inna usługa", id=chosen)
    )
    assert fields(again) == {"id"}
    [error] = again.json()["errors"]
    assert (error["code"], error["detail"]) == (
        "duplicate",
        "Usługa o tym identyfikatorze już istnieje.",
    )
    assert await b.counts() == before
    assert (await b.get("coord-a", f"/v1/offerings/{chosen}")).json() == original


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"modified_after": "9999-12-31T23:59:59-10:00"}, "modified_after"),
        ({"modified_after": "0001-01-01T00:00:00+10:00"}, "modified_after"),
        ({"page": 10**18}, "page"),
        ({"page": 10**30}, "page"),
    ],
)
async def test_hsds_filters_out_of_range_are_refused(module_basket, params, field):
    for url in ("/hsds/services", "/hsds/organizations"):
        if "modified_after" in params and url.endswith("organizations"):
            continue
        response = await module_basket.get(None, url, **params)
        assert fields(response) == {field}
        assert response.json()["errors"][0]["location"] == "query"


async def test_hsds_modified_after_at_the_edges_of_time_still_works(module_basket):
    for moment in ("0001-01-01T00:00:00Z", "9999-12-31T23:59:59+05:00", "1970-01-01T00:00:00"):
        response = await module_basket.get(None, "/hsds/services", modified_after=moment)
        assert response.status_code == 200, response.text
