"""Tenant isolation and who may change what: anyone who is not the case manager (or, for their
part, a team member or the receiving partner) gets 404 and changes nothing."""

from __future__ import annotations

import uuid

from sqlalchemy import text


async def test_other_municipalities_and_regional_staff_get_404_on_reads_and_writes(cases):
    c = cases
    case_id, people, consent_id = await c.team_case()
    service = await c.offering()
    referral = await c.created(
        "manager-a", f"/v1/cases/{case_id}/referrals", {"service_id": service}
    )
    async with c.runtime.engine.connect() as conn:
        before = (await conn.execute(text("SELECT count(*) FROM outbox"))).scalar_one()
    writes = [
        ("PATCH", f"/v1/cases/{case_id}", {"state": "diagnosis"}),
        ("POST", f"/v1/cases/{case_id}/close", {"reason": "other"}),
        ("POST", f"/v1/cases/{case_id}/consents", {"given_by_member_id": people[0],
         "method": "paper", "scope": {"sectors": ["ngo"], "data_kinds": ["plan"]}}),
        ("POST", f"/v1/cases/{case_id}/consents/{consent_id}/withdraw", {}),
        ("POST", f"/v1/cases/{case_id}/team", {"institution_id": str(c.NGO)}),
        ("PUT", f"/v1/cases/{case_id}/plan", {"goals": [{"title": "Cel"}]}),
        ("POST", f"/v1/cases/{case_id}/referrals", {"service_id": service}),
        ("POST", f"/v1/referrals/{referral}/transitions", {"state": "cancelled",
         "reason_code": "other"}),
        ("POST", f"/v1/cases/{case_id}/diagnosis", {"area": "work", "perspective": "specialist",
         "text": "x"}),
    ]  # fmt: skip
    for user in ("manager-b", "coord-a", "director-a", "analyst", "admin"):
        for method, url, body in writes:
            response = await c.request(method, user, url, json=body)
            assert response.status_code == 404, (user, url, response.text)
        for path in ("", "/family", "/team", "/consents", "/plan", "/referrals", "/access-log"):
            assert (await c.get(user, f"/v1/cases/{case_id}{path}")).status_code == 404
        assert (await c.get(user, "/v1/cases")).json() == []
    async with c.runtime.engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM outbox"))).scalar_one() == before
        assert (await conn.execute(text("SELECT state FROM cases"))).scalar_one() == "intake"


async def test_a_team_member_cannot_manage_the_case(cases):
    c = cases
    case_id, _people, consent_id = await c.team_case()
    service = await c.offering()
    for method, url, body in [
        ("PUT", f"/v1/cases/{case_id}/plan", {"goals": [{"title": "Cel"}]}),
        ("POST", f"/v1/cases/{case_id}/referrals", {"service_id": service}),
        ("POST", f"/v1/cases/{case_id}/consents/{consent_id}/withdraw", {}),
        ("POST", f"/v1/cases/{case_id}/close", {"reason": "other"}),
    ]:
        response = await c.request(method, "partner-a", url, json=body)
        assert response.status_code == 403, (url, response.text)
    # The family's own view is recorded by the case manager, with the family.
    family_view = await c.post(
        "partner-a", f"/v1/cases/{case_id}/diagnosis",
        {"area": "work", "perspective": "family", "text": "x"},
    )  # fmt: skip
    assert family_view.status_code == 403
    assert (await c.get("partner-a", f"/v1/cases/{case_id}/consents")).status_code == 403


async def test_invitations_are_for_the_invited_institution_only(cases):
    c = cases
    await c.institutions()
    case_id, people = await c.open_case()
    await c.consent(case_id, people[0], institutions=[c.SCHOOL])
    member = await c.created(
        "manager-a", f"/v1/cases/{case_id}/team", {"institution_id": str(c.SCHOOL),
                                                   "function": "pedagog"}
    )  # fmt: skip
    c.forge_staff("clinic-staff", c.CLINIC)
    assert (await c.get("clinic-staff", "/v1/team-invitations")).json() == []
    assert (
        await c.post("clinic-staff", f"/v1/team-invitations/{member}/accept")
    ).status_code == 404
    [invitation] = (await c.get("partner-a", "/v1/team-invitations")).json()
    assert invitation["case_id"] == case_id
    assert "Zmyśl" not in str(invitation)
    assert (await c.post("partner-a", f"/v1/team-invitations/{member}/accept")).status_code == 200
    again = await c.post("partner-a", f"/v1/team-invitations/{member}/accept")
    assert again.status_code == 409
    assert [x["relation"] for x in (await c.get("partner-a", "/v1/cases")).json()] == [
        "team_member"
    ]
    assert (await c.get("manager-a", "/v1/cases")).json()[0]["id"] == case_id
    # A member leaves the team; their access ends with it.
    left = await c.request("DELETE", "partner-a", f"/v1/cases/{case_id}/team/{member}")
    assert left.status_code == 204
    assert (await c.get("partner-a", f"/v1/cases/{case_id}")).status_code == 404
    assert str(uuid.UUID(member)) == member


async def test_closing_a_case_cancels_its_open_referrals_and_ends_the_team(cases):
    c = cases
    case_id, _people, _consent = await c.team_case()
    service = await c.offering()
    open_one = await c.created(
        "manager-a", f"/v1/cases/{case_id}/referrals", {"service_id": service}
    )
    done = await c.created("manager-a", f"/v1/cases/{case_id}/referrals", {"service_id": service})
    for state in ("accepted", "completed"):
        body = {"state": state, "outcome_code": "goal_achieved"}
        assert (await c.post("partner-a", f"/v1/referrals/{done}/transitions", body)).is_success
    closed = await c.post("manager-a", f"/v1/cases/{case_id}/close", {"reason": "moved_away"})
    assert closed.status_code == 200
    states = {
        r["id"]: r for r in (await c.get("manager-a", f"/v1/cases/{case_id}/referrals")).json()
    }
    assert states[open_one]["state"] == "cancelled"
    assert states[open_one]["reason_code"] == "other"
    assert states[done]["state"] == "completed"
    assert (await c.get("partner-a", f"/v1/cases/{case_id}")).status_code == 404
    types = await c.outbox_types()
    assert types[-3:] == ["cases.case.closed", "cases.team.member_left", "cases.referral.cancelled"]
