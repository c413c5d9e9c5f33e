"""Every read and every change of case data is recorded (who, role, institution, which case,
what, when, why), and the case manager can give the family the list as a document in Polish."""

from __future__ import annotations

import pytest
from sqlalchemy import text

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


async def test_the_case_view_writes_its_entry_with_its_data(cases):
    """GET /v1/cases/{id} writes the entry in the statement that fetches the view (ADR 0028)."""
    c = cases
    case_id, _people, _consent = await c.team_case()
    before = await c.access_count(case_id)
    for user in ("manager-a", "partner-a", "manager-a"):
        assert (await c.get(user, f"/v1/cases/{case_id}")).status_code == 200
    assert (await c.get("manager-b", f"/v1/cases/{case_id}")).status_code == 404
    assert await c.access_count(case_id) == before + 3
    *_, partner_read, manager_read = (
        await c.get("manager-a", f"/v1/cases/{case_id}/access-log")
    ).json()
    assert (partner_read["relation"], partner_read["what"]) == ("team_member", "case")
    assert partner_read["institution_id"] == str(c.SCHOOL)
    assert (manager_read["relation"], manager_read["action"]) == ("case_manager", "read")
    assert manager_read["purpose"] == "praca z rodziną"


async def test_a_read_connection_the_server_dropped_is_replaced_and_the_read_served(cases):
    c = cases
    case_id, _people, _consent = await c.team_case()
    assert (await c.get("manager-a", f"/v1/cases/{case_id}")).status_code == 200
    async with c.runtime.engine.connect() as conn:
        await conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"  # those of the view
                " WHERE datname = current_database() AND query LIKE 'WITH logged AS%'"
            )
        )
    before = await c.access_count(case_id)
    # A dropped connection is replaced at checkout or, found dead by the first statement (a
    # read), on the spot (ADR 0014): every read is served, and each logs its entry once.
    for _ in range(8):
        assert (await c.get("manager-a", f"/v1/cases/{case_id}")).status_code == 200
    assert await c.access_count(case_id) == before + 8


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
