"""Every read and every change of case data is recorded (who, role, institution, which case,
what, when, why), and the case manager can give the family the list as a document in Polish."""

from __future__ import annotations

import pytest

N = 7


async def test_exactly_one_entry_per_read(cases):
    c = cases
    case_id, _people, _consent = await c.team_case()
    before = await c.access_count(case_id)
    for i in range(N):
        user = "manager-a" if i % 2 else "partner-a"
        response = await c.get(user, f"/v1/cases/{case_id}/plan")
        assert response.status_code == 200
    assert await c.access_count(case_id) == before + N
    # Refused reads record nothing, and reading the log itself is not a read of case data.
    assert (await c.get("manager-b", f"/v1/cases/{case_id}/plan")).status_code == 404
    assert (await c.get("manager-a", f"/v1/cases/{case_id}/access-log")).status_code == 200
    assert await c.access_count(case_id) == before + N


async def test_the_entries_say_who_in_what_role_for_which_institution_what_and_why(cases):
    c = cases
    case_id, _people, _consent = await c.team_case()
    await c.get("partner-a", f"/v1/cases/{case_id}/diagnosis", purpose="przygotowanie do zajęć")
    await c.request(
        "GET", "manager-a", f"/v1/cases/{case_id}/family", headers={"X-Purpose": "wywiad"}
    )
    log = (await c.get("manager-a", f"/v1/cases/{case_id}/access-log")).json()
    *_, partner_read, manager_read = log
    assert partner_read["actor_username"] == "partner-a"
    assert partner_read["relation"] == "team_member"
    assert "partner-staff" in partner_read["actor_roles"]
    assert partner_read["institution_id"] == str(c.SCHOOL)
    assert partner_read["institution_name"] == "Szkoła Podstawowa nr 1 w Wieliczce"
    assert (partner_read["action"], partner_read["what"]) == ("read", "diagnosis")
    assert partner_read["purpose"] == "przygotowanie do zajęć"
    assert (manager_read["what"], manager_read["purpose"]) == ("family", "wywiad")
    changes = [e["what"] for e in log if e["action"] == "change"]
    assert changes[:3] == ["case.open", "consent.give", "team.invite"]
    assert "team.accept" in changes
    assert all(e["at"] for e in log)


@pytest.mark.parametrize("user", ["partner-a", "manager-b", "director-a", "analyst"])
async def test_only_the_case_manager_gets_the_log(cases, user):
    c = cases
    case_id, _people, _consent = await c.team_case()
    response = await c.get(user, f"/v1/cases/{case_id}/access-log")
    assert response.status_code == (403 if user == "partner-a" else 404)


async def test_the_family_gets_the_list_as_a_polish_pdf(cases):
    c = cases
    case_id, _people, _consent = await c.team_case()
    await c.get("partner-a", f"/v1/cases/{case_id}/plan")
    pdf = await c.get("manager-a", f"/v1/cases/{case_id}/access-log.pdf")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert len(pdf.content) > 2000
