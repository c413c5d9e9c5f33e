"""The consent coverage of a case, served by the service (the web used to derive it from the
consents and the registry): the institutions a valid consent covers now, by id or by sector, with
the kinds of data shared — exactly those an invitation to the team accepts."""

from __future__ import annotations


async def test_coverage_is_the_valid_consents_scope_and_matches_what_invite_accepts(cases):
    c = cases
    await c.institutions()
    case_id, people = await c.open_case()
    url = f"/v1/cases/{case_id}/consents/coverage"

    none = (await c.get("manager-a", url)).json()
    assert none == {"has_valid_consent": False, "institutions": []}

    await c.consent(case_id, people[0], institutions=[c.SCHOOL], kinds=["plan"])
    await c.consent(case_id, people[0], sectors=["health"], kinds=["diagnosis", "plan"])
    answer = (await c.get("manager-a", url)).json()
    assert answer["has_valid_consent"] is True
    by_id = {i["id"]: i for i in answer["institutions"]}
    assert set(by_id) == {str(c.SCHOOL), str(c.CLINIC)}  # the NGO: neither named nor its sector
    assert by_id[str(c.SCHOOL)]["data_kinds"] == ["plan"]
    assert by_id[str(c.CLINIC)]["data_kinds"] == ["diagnosis", "plan"]
    assert by_id[str(c.CLINIC)]["sector"] == "health"

    # what the answer offers the service accepts; what it leaves out, it refuses
    invite = f"/v1/cases/{case_id}/team"
    assert (await c.post("manager-a", invite, {"institution_id": str(c.CLINIC)})).status_code == 201
    refused = await c.post("manager-a", invite, {"institution_id": str(c.NGO)})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["code"] == "outside_consent"


async def test_only_the_case_manager_reads_the_coverage(cases):
    c = cases
    case_id, _people, _consent = await c.team_case()
    response = await c.get("partner-a", f"/v1/cases/{case_id}/consents/coverage")
    assert response.status_code in (403, 404)
    assert (await c.get("partner-a", f"/v1/cases/{case_id}/consents")).status_code == (
        response.status_code
    )
