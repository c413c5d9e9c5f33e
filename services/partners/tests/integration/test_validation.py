"""Bad input gets 422 problem details naming the field, and changes nothing (no row, no event)."""

from __future__ import annotations

import pytest


def fields(response) -> set[str]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 422
    assert body["title"]
    assert body["detail"]
    return {e["field"] for e in body["errors"]}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Szkoła", "sector": "astrology"}, "sector"),
        ({"name": "Szkoła", "sector": "education", "regon": "123456786"}, "regon"),
        ({"name": "Szkoła", "sector": "education", "regon": "12345"}, "regon"),
        ({"name": "Szkoła", "sector": "education", "nip": "5261040827"}, "nip"),
        ({"sector": "education"}, "name"),
        ({"name": "", "sector": "education"}, "name"),
        ({"name": "Szkoła", "sector": "education", "postal_code": "320-20"}, "postal_code"),
        ({"name": "Szkoła", "sector": "education", "email": "nie-mail"}, "email"),
        ({"name": "Szkoła", "sector": "education", "tenants_served": ["12"]}, "tenants_served.0"),
        ({"name": "Szkoła", "sector": "education", "colour": "red"}, "colour"),
    ],
)
async def test_invalid_institution_names_the_field_and_writes_nothing(partners, body, field):
    before = await partners.outbox_count()
    response = await partners.post("coord-a", "/v1/institutions", body)
    assert field in fields(response)
    assert (await partners.get("coord-a", "/v1/institutions")).json()["total"] == 0
    assert await partners.outbox_count() == before


async def test_polish_messages(partners):
    response = await partners.post(
        "coord-a",
        "/v1/institutions",
        {"name": "Szkoła", "sector": "education", "regon": "123456786"},
    )
    assert "cyfrę kontrolną" in response.json()["errors"][0]["detail"]


async def test_illegal_membership_transition_is_422_and_changes_nothing(partners, new_institution):
    p = partners
    partnership, _ = await p.partnership()
    school = await p.register("coord-a", new_institution("Szkoła Podstawowa nr 3"))
    membership = await p.member(partnership, school, "invited")
    outbox_before = await p.outbox_count()

    # invited → suspended is not a transition of the membership life cycle
    response = await p.post(
        "coord-a",
        f"/v1/memberships/{membership}/transitions",
        {"state": "suspended", "reason": "test"},
    )
    assert "state" in fields(response)
    # declared needs the declaration's reference
    response = await p.post(
        "coord-a", f"/v1/memberships/{membership}/transitions", {"state": "declared"}
    )
    assert "declaration_reference" in fields(response)
    # leaving needs a reason
    response = await p.post(
        "coord-a", f"/v1/memberships/{membership}/transitions", {"state": "left"}
    )
    assert "reason" in fields(response)

    current = (await p.get("coord-a", f"/v1/memberships/{membership}")).json()
    assert current["state"] == "invited"
    assert len(current["history"]) == 1
    assert await p.outbox_count() == outbox_before
    # Nothing published between the membership's one event and a later marker.
    marker = await p.register("coord-a", new_institution("Znacznik końca testu"))
    events = await p.tap.through(lambda e: e.subject == marker)
    assert [e.type for e in events if e.subject == membership] == ["partners.membership.changed"]
    assert events[-1].subject == membership


async def test_membership_of_unknown_institution_names_it(partners):
    partnership, _ = await partners.partnership()
    response = await partners.post(
        "coord-a",
        "/v1/memberships",
        {"partnership_id": partnership, "institution_id": "00000000-0000-4000-8000-000000000000"},
    )
    assert "institution_id" in fields(response)


async def test_malformed_json_and_wrong_types(partners):
    response = await partners.client.post(
        "/v1/institutions",
        content=b"{not json",
        headers={**await partners.as_("coord-a"), "content-type": "application/json"},
    )
    assert response.status_code == 422
    response = await partners.get("coord-a", "/v1/institutions", per_page="many")
    assert "per_page" in fields(response)
    response = await partners.get("coord-a", "/v1/institutions/not-a-uuid")
    assert "institution_id" in fields(response)


async def test_meeting_needs_a_place_and_an_end_after_start(partners):
    partnership, _ = await partners.partnership()
    response = await partners.post(
        "coord-a",
        "/v1/meetings",
        {
            "partnership_id": partnership,
            "title": "Spotkanie",
            "starts_at": "2026-12-10T10:00:00+01:00",
            "ends_at": "2026-12-10T09:00:00+01:00",
        },
    )
    assert fields(response) == {"ends_at", "place"}
