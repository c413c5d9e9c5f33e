"""The consent matrix: for each kind of data and each role, the answer with consent in scope,
without consent, with consent for another institution, after expiry and after withdrawal.

Rules: the case manager sees everything; a team member sees the kinds the consent grants to their
institution (403 for other kinds), and only while it is valid; everyone else gets 404.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest

from shared import clock

KINDS = {
    "case": "",
    "contact": "/family",
    "diagnosis": "/diagnosis",
    "plan": "/plan",
    "referrals": "/referrals",
    "meetings": "/meetings",
}
ALL = set(KINDS)

# What partner-a (staff of the school, invited into the team) may see in each scenario;
# None: the case does not exist for them.
PARTNER_A_SEES: dict[str, set[str] | None] = {
    "consent_in_scope": ALL,
    "consent_for_sector": ALL,
    "consent_for_some_kinds": {"case", "plan", "meetings"},
    "no_consent": None,
    "consent_for_another_institution": None,
    "after_expiry": None,
    "after_withdrawal": None,
}

OTHERS = [
    "school-colleague",  # same institution as partner-a, not in the team
    "other-manager-a",  # another case manager of the same municipality
    "manager-b",  # a case manager of another municipality
    "coord-a",
    "director-a",
    "analyst",
    "admin",
]


def expected(scenario: str, user: str, kind: str) -> int:
    if user == "manager-a":
        return 200
    if user == "partner-a":
        sees = PARTNER_A_SEES[scenario]
        if sees is None:
            return 404
        return 200 if kind in sees else 403
    if user == "clinic-staff" and scenario == "consent_for_another_institution":
        return 200
    return 404


async def _prepare(c, scenario: str) -> str:
    await c.institutions()
    case_id, people = await c.open_case()
    giver = people[0]
    c.forge_staff("clinic-staff", c.CLINIC)
    c.forge_staff("school-colleague", c.SCHOOL)
    c.forged["other-manager-a"] = c.tokens.forge(
        {
            "preferred_username": "other-manager-a",
            "sub": str(uuid.uuid4()),
            "realm_access": {"roles": ["case-manager"]},
            "tenants": [c.A],
        }
    )
    kinds = ["diagnosis", "plan", "referrals", "meetings", "contact"]
    if scenario in ("consent_in_scope", "after_withdrawal"):
        consent = await c.consent(case_id, giver, institutions=[c.SCHOOL], kinds=kinds)
        await c.join(case_id, c.SCHOOL)
        if scenario == "after_withdrawal":
            url = f"/v1/cases/{case_id}/consents/{consent}/withdraw"
            assert (await c.post("manager-a", url, {})).status_code == 200
    elif scenario == "consent_for_sector":
        await c.consent(case_id, giver, sectors=["education"], kinds=kinds)
        await c.join(case_id, c.SCHOOL)
    elif scenario == "consent_for_some_kinds":
        await c.consent(case_id, giver, institutions=[c.SCHOOL], kinds=["plan", "meetings"])
        await c.join(case_id, c.SCHOOL)
    elif scenario == "consent_for_another_institution":
        await c.consent(case_id, giver, institutions=[c.CLINIC], kinds=kinds)
        await c.join(case_id, c.CLINIC, user="clinic-staff")
        # The school cannot even be invited: it is outside the consent.
        refused = await c.post(
            "manager-a", f"/v1/cases/{case_id}/team", {"institution_id": str(c.SCHOOL)}
        )
        assert refused.status_code == 422
        assert refused.json()["errors"][0]["code"] == "outside_consent"
    elif scenario == "after_expiry":
        until = clock.now() + timedelta(seconds=1.2)
        await c.consent(
            case_id, giver, institutions=[c.SCHOOL], kinds=kinds, valid_until=until.isoformat()
        )
        await c.join(case_id, c.SCHOOL)
        assert (await c.get("partner-a", f"/v1/cases/{case_id}/plan")).status_code == 200
        await asyncio.sleep(max(0.0, (until - clock.now()).total_seconds()) + 0.05)
    else:
        assert scenario == "no_consent"
        refused = await c.post(
            "manager-a", f"/v1/cases/{case_id}/team", {"institution_id": str(c.SCHOOL)}
        )
        assert refused.status_code == 422
    return case_id


@pytest.mark.parametrize("scenario", list(PARTNER_A_SEES))
async def test_consent_matrix(cases, scenario):
    c = cases
    case_id = await _prepare(c, scenario)
    users = ["manager-a", "partner-a", "clinic-staff", *OTHERS]
    wrong = []
    for user in users:
        for kind, path in KINDS.items():
            response = await c.get(user, f"/v1/cases/{case_id}{path}")
            want = expected(scenario, user, kind)
            if response.status_code != want:
                wrong.append((user, kind, response.status_code, want))
            if want == 404:  # nothing of the case leaks into the problem
                assert "Zmyśl" not in response.text
    assert wrong == [], wrong


async def test_a_member_sees_only_the_granted_parts_of_the_case_view(cases):
    c = cases
    await c.institutions()
    case_id, people = await c.open_case()
    await c.consent(case_id, people[0], institutions=[c.SCHOOL], kinds=["plan"])
    await c.join(case_id, c.SCHOOL)
    view = (await c.get("partner-a", f"/v1/cases/{case_id}")).json()
    assert view["data_kinds"] == ["plan"]
    assert view["family"] is None
    assert view["referrals"] is None
    assert "Zmyśl" not in str(view)
    manager_view = (await c.get("manager-a", f"/v1/cases/{case_id}")).json()
    assert {p["last_name"] for p in manager_view["family"]} == {
        "Zmyślona-Testowa",
        "Zmyślony",
    }
    # A team member never sees the PESEL, even with contact data granted.
    await c.consent(case_id, people[0], institutions=[c.SCHOOL], kinds=["contact"])
    family = (await c.get("partner-a", f"/v1/cases/{case_id}/family")).json()
    assert all(p["pesel"] is None and p["has_pesel"] for p in family)


async def test_a_receiving_partner_outside_the_team_sees_only_its_referrals(cases):
    c = cases
    await c.institutions()
    case_id, people = await c.open_case()
    await c.consent(case_id, people[0], institutions=[c.CLINIC], kinds=["referrals"])
    service = await c.offering(institution=c.CLINIC, sector="health")
    referral = await c.created(
        "manager-a", f"/v1/cases/{case_id}/referrals", {"service_id": service}
    )
    c.forge_staff("clinic-staff", c.CLINIC)
    listed = (await c.get("clinic-staff", f"/v1/cases/{case_id}/referrals")).json()
    assert [r["id"] for r in listed] == [referral]
    for path in ("/plan", "/diagnosis", "/family", "/meetings"):
        assert (await c.get("clinic-staff", f"/v1/cases/{case_id}{path}")).status_code == 403
    view = (await c.get("clinic-staff", f"/v1/cases/{case_id}")).json()
    assert view["relation"] == "receiving_partner"
    assert view["family"] is None
    # Its list of incoming referrals, across cases, within the families' consents.
    incoming = (await c.get("clinic-staff", "/v1/referrals/incoming")).json()
    assert [r["id"] for r in incoming] == [referral]
    assert (await c.get("partner-a", "/v1/referrals/incoming")).json() == []
    assert (await c.get("manager-a", "/v1/referrals/incoming")).json() == []
    consents = (await c.get("manager-a", f"/v1/cases/{case_id}/consents")).json()
    withdraw = f"/v1/cases/{case_id}/consents/{consents[0]['id']}/withdraw"
    assert (await c.post("manager-a", withdraw, {})).status_code == 200
    assert (await c.get("clinic-staff", "/v1/referrals/incoming")).json() == []
    assert (await c.get("clinic-staff", f"/v1/cases/{case_id}/referrals")).status_code == 404


async def test_a_receiving_partner_outside_the_team_does_not_see_the_team(cases):
    """Issue 13: the receiving institution read the team list, which named a health
    institution with its function; it sees only who sent the referral (ADR 0036)."""
    c = cases
    await c.institutions()
    case_id, people = await c.open_case()
    await c.consent(
        case_id, people[0], institutions=[c.SCHOOL, c.CLINIC], kinds=["referrals", "plan"]
    )
    await c.join(case_id, c.SCHOOL)
    service = await c.offering(institution=c.CLINIC, sector="health")
    await c.created("manager-a", f"/v1/cases/{case_id}/referrals", {"service_id": service})
    c.forge_staff("clinic-staff", c.CLINIC)
    team = await c.get("clinic-staff", f"/v1/cases/{case_id}/team")
    assert team.status_code == 403
    assert str(c.SCHOOL) not in team.text
    view = (await c.get("clinic-staff", f"/v1/cases/{case_id}")).json()
    assert [m["state"] for m in view["team"]] == ["case_manager"]
    # The team member and the case manager still see the whole team.
    for user in ("partner-a", "manager-a"):
        listed = (await c.get(user, f"/v1/cases/{case_id}/team")).json()
        assert str(c.SCHOOL) in {m["institution_id"] for m in listed}
