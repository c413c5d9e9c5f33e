"""Issue 13 §1, the API column of the consent matrix over channels: what the school's staff member
(partner-a) reads through the cases API in each consent state, against the expected answers
written out from the consent rules (`shared.testing.consent_matrix`, whose other columns — inbox,
feed, webhook, e-mail, SSE — the notifications service's test checks). Printed as a table
(`pytest -s`); 0 mismatches."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from shared import clock
from shared.testing import consent_matrix as m

PATHS = {
    "case": "",
    "contact": "/family",
    "diagnosis": "/diagnosis",
    "plan": "/plan",
    "referrals": "/referrals",
    "meetings": "/meetings",
    "team": "/team",
}


async def _referral(c, case_id: str, institution, sector: str) -> str | None:
    """A referral sent to the institution's offering, where the consent lets the case manager
    send one (None otherwise)."""
    service = await c.offering(institution=institution, sector=sector)
    response = await c.post("manager-a", f"/v1/cases/{case_id}/referrals", {"service_id": service})
    return str(response.json()["id"]) if response.status_code == 201 else None


async def _prepare(c, state: str) -> tuple[str, str | None]:
    """The state's case; returns (case id, the id of the referral sent to the clinic or None)."""
    case_id, people = await c.open_case()
    giver = people[0]
    both = [c.SCHOOL, c.CLINIC]
    elsewhere: str | None = None
    if state == "none":
        return case_id, None
    if state == "scope_excluding":
        await c.consent(case_id, giver, institutions=[c.CLINIC])
    elif state == "sector_scope":
        await c.consent(case_id, giver, institutions=[c.CLINIC], sectors=["education"])
        await c.join(case_id, c.SCHOOL)
    elif state == "kinds_subset":
        await c.consent(case_id, giver, institutions=both, kinds=["plan", "meetings"])
        await c.join(case_id, c.SCHOOL)
    elif state == "receiving_only":
        await c.consent(case_id, giver, institutions=both)
        assert await _referral(c, case_id, c.SCHOOL, "education") is not None
    elif state in ("full", "withdrawn"):
        consent = await c.consent(case_id, giver, institutions=both)
        await c.join(case_id, c.SCHOOL)
        if state == "withdrawn":
            elsewhere = await _referral(c, case_id, c.CLINIC, "health")
            url = f"/v1/cases/{case_id}/consents/{consent}/withdraw"
            assert (await c.post("manager-a", url, {})).status_code == 200
    elif state == "expired":
        until = clock.now() + timedelta(seconds=1.5)
        await c.consent(case_id, giver, institutions=both, valid_until=until.isoformat())
        await c.join(case_id, c.SCHOOL)
        elsewhere = await _referral(c, case_id, c.CLINIC, "health")
        assert (await c.get("partner-a", f"/v1/cases/{case_id}/plan")).status_code == 200
        await asyncio.sleep(max(0.0, (until - clock.now()).total_seconds()) + 0.05)
    if state not in ("withdrawn", "expired"):
        elsewhere = await _referral(c, case_id, c.CLINIC, "health")
    if state not in ("scope_excluding", "withdrawn", "expired"):
        # The clinic joins the team where the consent lets it (it is in the team list then).
        joined = await c.post(
            "manager-a", f"/v1/cases/{case_id}/team", {"institution_id": str(c.CLINIC)}
        )
        if joined.status_code == 201:
            accepted = f"/v1/team-invitations/{joined.json()['id']}/accept"
            assert (await c.post("clinic-staff", accepted)).status_code == 200
    return case_id, elsewhere


async def test_the_api_column_of_the_consent_matrix(cases) -> None:
    c = cases
    await c.institutions()
    c.forge_staff("clinic-staff", c.CLINIC)
    observed: dict[tuple[str, str, str], bool | None] = {}
    for state in m.STATES:
        case_id, elsewhere = await _prepare(c, state)
        for row in m.ROWS:
            if row == "consent":
                continue  # consents are the case manager's to read
            path = PATHS["referrals" if row == "referral_elsewhere" else row]
            response = await c.get("partner-a", f"/v1/cases/{case_id}{path}")
            sees = response.status_code == 200
            if row == "referral_elsewhere":
                sees = (
                    sees
                    and elsewhere is not None
                    and elsewhere in {r["id"] for r in response.json()}
                )
            if row == "team" and sees:
                # The team list names the clinic where it joined: only members may read it.
                assert response.json()[0]["state"] == "case_manager"
            observed[(m.API_CHANNEL, state, row)] = sees
    shown, checked, mismatches = m.table(observed, (m.API_CHANNEL,))
    print(f"\nConsent matrix, cases API (8 states × {len(m.ROWS)} rows):{shown}")
    assert checked > 0
    assert mismatches == 0
