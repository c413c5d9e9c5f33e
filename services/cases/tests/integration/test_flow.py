"""A family's case from intake to closing, through the API: what the family gets out of it."""

from __future__ import annotations


async def test_smoke(cases):
    c = cases
    case_id, _people, _consent_id = await c.team_case()
    view = await c.get("manager-a", f"/v1/cases/{case_id}")
    assert view.status_code == 200, view.text
    body = view.json()
    assert body["relation"] == "case_manager"
    assert len(body["team"]) == 2
    as_partner = await c.get("partner-a", f"/v1/cases/{case_id}")
    assert as_partner.status_code == 200, as_partner.text
    assert as_partner.json()["relation"] == "team_member"
