"""Bad input gets 422 naming the field, and changes nothing."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from shared import clock

TABLES = ("cases", "family_members", "consents", "plan_versions", "referrals", "outbox")


async def counts(c) -> dict[str, int]:
    async with c.runtime.engine.connect() as conn:
        return {
            t: int((await conn.execute(text(f"SELECT count(*) FROM {t}"))).scalar_one())
            for t in TABLES
        }


def fields(response) -> list[str]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return [e["field"] for e in response.json()["errors"]]


async def test_an_invalid_pesel_is_named_and_never_echoed(cases):
    c = cases
    before = await counts(c)
    wrong_digit = c.PESEL_MOTHER[:-1] + str((int(c.PESEL_MOTHER[-1]) + 1) % 10)
    bad_date = "85133012345"  # month 13
    for pesel, message in [
        (wrong_digit, "cyfra kontrolna"),
        ("8503150123", "11 cyfr"),
        (bad_date, None),
    ]:
        family = c.family()
        family[1]["pesel"] = pesel
        response = await c.post("manager-a", "/v1/cases", {"family": family})
        assert fields(response) == ["family.1.pesel"]
        assert pesel not in response.text
        assert c.PESEL_MOTHER not in response.text
        if message:
            assert message in response.text
    case_id, _people = await c.open_case()
    before = await counts(c)
    added = await c.post(
        "manager-a",
        f"/v1/cases/{case_id}/family",
        {"first_name": "Cecylia", "last_name": "Zmyślona", "pesel": wrong_digit},
    )
    assert fields(added) == ["pesel"]
    assert wrong_digit not in added.text
    search = await c.post("manager-a", "/v1/families/search", {"pesel": wrong_digit})
    assert fields(search) == ["pesel"]
    assert wrong_digit not in search.text
    assert await counts(c) == before


async def test_a_consent_with_an_empty_scope(cases):
    c = cases
    await c.institutions()
    case_id, people = await c.open_case()
    before = await counts(c)
    url = f"/v1/cases/{case_id}/consents"
    base = {"given_by_member_id": people[0], "method": "verbal"}
    no_one = await c.post("manager-a", url, {**base, "scope": {"data_kinds": ["plan"]}})
    assert fields(no_one) == ["scope.institution_ids"]
    nothing = await c.post(
        "manager-a", url, {**base, "scope": {"institution_ids": [str(c.SCHOOL)]}}
    )
    assert fields(nothing) == ["scope.data_kinds"]
    unknown_kind = await c.post(
        "manager-a", url, {**base, "scope": {"sectors": ["education"], "data_kinds": ["pesel"]}}
    )
    assert fields(unknown_kind) == ["scope.data_kinds.0"]
    stranger = await c.post(
        "manager-a",
        url,
        {**base, "given_by_member_id": c.SCHOOL.hex, "scope": {"sectors": ["education"],
         "data_kinds": ["plan"]}},
    )  # fmt: skip
    assert fields(stranger) == ["given_by_member_id"]
    naive = await c.post(
        "manager-a",
        url,
        {**base, "valid_until": "2030-01-01T00:00:00", "scope": {"sectors": ["education"],
         "data_kinds": ["plan"]}},
    )  # fmt: skip
    assert fields(naive) == ["valid_until"]
    assert await counts(c) == before


async def test_a_referral_to_an_unpublished_or_withdrawn_offering(cases):
    c = cases
    case_id, _people, _consent = await c.team_case()
    draft = await c.offering(status="draft")
    suspended = await c.offering(status="suspended")
    withdrawn = await c.offering()
    from_other_municipality = await c.offering(tenants=[c.B])
    from_outside_consent = await c.offering(institution=c.CLINIC, sector="health")
    await c.publish(
        c.offering_event(c.withdrawn_cls, service_id=withdrawn, status="withdrawn", reason="koniec")
    )
    await c.wait_sql(f"SELECT status FROM offerings WHERE service_id = '{withdrawn}'", "withdrawn")
    before = await counts(c)
    for service_id, code in [
        (draft, "not_published"),
        (suspended, "not_published"),
        (withdrawn, "not_published"),
        (from_other_municipality, "not_published"),
        ("00000000-0000-4000-8000-000000000000", "not_published"),
        (from_outside_consent, "outside_consent"),
    ]:
        response = await c.post(
            "manager-a", f"/v1/cases/{case_id}/referrals", {"service_id": service_id}
        )
        assert fields(response) == ["service_id"]
        assert response.json()["errors"][0]["code"] == code
    assert await counts(c) == before


async def test_a_plan_action_due_before_the_case_was_opened(cases):
    c = cases
    case_id, _people = await c.open_case()
    before = await counts(c)
    plan = {
        "goals": [
            {"title": "Cel", "actions": [
                {"title": "Dobre", "responsible": {"kind": "family"},
                 "due_on": str(clock.today() + timedelta(days=3))},
                {"title": "Za wcześnie", "responsible": {"kind": "family"},
                 "due_on": str(clock.today() - timedelta(days=1))},
                {"title": "Nie członek", "responsible": {"kind": "member",
                 "member_id": "00000000-0000-4000-8000-000000000000"}},
            ]}
        ]
    }  # fmt: skip
    response = await c.put("manager-a", f"/v1/cases/{case_id}/plan", plan)
    assert fields(response) == [
        "goals.0.actions.1.due_on",
        "goals.0.actions.2.responsible.member_id",
    ]
    empty = await c.put("manager-a", f"/v1/cases/{case_id}/plan", {"goals": []})
    assert fields(empty) == ["goals"]
    assert await counts(c) == before


async def test_a_meeting_needs_a_place_or_a_link(cases):
    c = cases
    case_id, _people = await c.open_case()
    before = await counts(c)
    response = await c.post(
        "manager-a",
        f"/v1/cases/{case_id}/meetings",
        {"starts_at": "2030-01-01T10:00:00+01:00", "participants": [{"kind": "family"}]},
    )
    assert fields(response) == ["place"]
    nobody = await c.post(
        "manager-a",
        f"/v1/cases/{case_id}/meetings",
        {"starts_at": "2030-01-01T10:00:00+01:00", "place": "OPS",
         "participants": [{"kind": "member"}]},
    )  # fmt: skip
    assert fields(nobody) == ["participants.0.member_id"]
    assert await counts(c) == before
