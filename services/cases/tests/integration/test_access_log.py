"""Every read and every change of case data is recorded (who, role, institution, which case,
what, when, why), and the case manager can give the family the list as a document in Polish."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from shared.contracts import CloudEvent
from shared.contracts.notifications import SOURCE, DisclosureRecorded

N = 7


async def entries(c, case_id: str) -> list[dict]:
    async with c.runtime.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT * FROM access_log WHERE case_id = :c ORDER BY chain_pos"), {"c": case_id}
        )
        return [dict(r._mapping) for r in rows]


async def test_exactly_one_entry_per_read(cases):
    c = cases
    case_id, _people, _consent = await c.team_case()
    before = await c.access_count(case_id)
    for i in range(N):
        user = "manager-a" if i % 2 else "partner-a"
        response = await c.get(user, f"/v1/cases/{case_id}/plan")
        assert response.status_code == 200
    assert await c.access_count(case_id) == before + N
    # A refused read is recorded as refused; reading the log itself is recorded too.
    assert (await c.get("manager-b", f"/v1/cases/{case_id}/plan")).status_code == 404
    assert (await c.get("manager-a", f"/v1/cases/{case_id}/access-log")).status_code == 200
    assert await c.access_count(case_id) == before + N + 2
    *_, refused, log_read = await entries(c, case_id)
    assert (refused["actor_username"], refused["action"], refused["what"]) == (
        "manager-b", "read", "plan",
    )  # fmt: skip
    assert (refused["outcome"], refused["relation"]) == ("refused", "none")
    assert (log_read["what"], log_read["outcome"]) == ("access-log", "allowed")


async def test_the_case_view_writes_its_entry_with_its_data(cases):
    """GET /v1/cases/{id} writes the entry in the statement that fetches the view (ADR 0028)."""
    c = cases
    case_id, _people, _consent = await c.team_case()
    before = await c.access_count(case_id)
    for user in ("manager-a", "partner-a", "manager-a"):
        assert (await c.get(user, f"/v1/cases/{case_id}")).status_code == 200
    assert (await c.get("manager-b", f"/v1/cases/{case_id}")).status_code == 404
    assert await c.access_count(case_id) == before + 4
    *_, partner_read, manager_read, refused = (
        await c.get("manager-a", f"/v1/cases/{case_id}/access-log")
    ).json()
    assert (partner_read["relation"], partner_read["what"]) == ("team_member", "case")
    assert partner_read["institution_id"] == str(c.SCHOOL)
    assert (manager_read["relation"], manager_read["action"]) == ("case_manager", "read")
    assert manager_read["purpose"] == "praca z rodziną"
    assert (refused["actor_username"], refused["outcome"]) == ("manager-b", "refused")


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


async def test_refused_changes_are_recorded_and_change_nothing_else(cases):
    c = cases
    case_id, _people, _consent = await c.team_case()
    c.forge_user("manager-x", "case-manager")
    before = await c.access_count(case_id)
    outbox = await c.outbox_types()
    plan = {"goals": [{"title": "Cel", "actions": []}]}
    assert (await c.put("partner-a", f"/v1/cases/{case_id}/plan", plan)).status_code == 403
    close = {"reason": "goals_achieved"}
    assert (await c.post("manager-b", f"/v1/cases/{case_id}/close", close)).status_code == 404
    assert (await c.post("analyst", f"/v1/cases/{case_id}/close", close)).status_code == 404
    assert (await c.get("manager-x", f"/v1/cases/{case_id}/access-log")).status_code == 404
    assert await c.outbox_types() == outbox
    refused = (await entries(c, case_id))[before:]
    assert [(e["actor_username"], e["action"], e["what"], e["relation"]) for e in refused] == [
        ("partner-a", "change", "plan", "team_member"),
        ("manager-b", "change", "case.close", "none"),
        ("analyst", "change", "case.close", "none"),
        ("manager-x", "read", "access-log", "none"),
    ]
    assert {e["outcome"] for e in refused} == {"refused"}
    assert refused[0]["institution_id"] == c.SCHOOL
    # An id that is no case belongs to no family's record: nothing to write it to.
    unknown = "00000000-0000-4000-8000-000000000000"
    assert (await c.get("manager-b", f"/v1/cases/{unknown}/plan")).status_code == 404
    assert await c.access_count(unknown) == 0


async def test_the_report_names_people_and_groups_a_sitting_into_one_line(cases):
    c = cases
    case_id, _people, _consent = await c.team_case()
    for part in ("", "/family", "/plan", "", "/team", ""):  # a case manager opening tabs
        assert (await c.get("manager-a", f"/v1/cases/{case_id}{part}")).status_code == 200
    for part in ("", "/plan"):
        assert (await c.get("partner-a", f"/v1/cases/{case_id}{part}")).status_code == 200
    assert (await c.get("manager-b", f"/v1/cases/{case_id}")).status_code == 404
    report = (await c.get("manager-a", f"/v1/cases/{case_id}/access-report")).json()
    reads = [line for line in report if line["action"] == "read"]
    manager_reads = [
        r for r in reads if r["relation"] == "case_manager" and r["outcome"] == "allowed"
    ]
    assert len(manager_reads) == 1  # family/open/consent reads and the tabs: one sitting
    [sitting] = manager_reads
    assert {"case", "family", "plan", "team"} <= set(sitting["what"])
    assert sitting["entries"] >= 6
    assert sitting["first_at"] <= sitting["last_at"]
    assert sitting["who"] == "Katarzyna Wiśniewska"  # the name, not the login
    assert sitting["institution_name"] is None
    assert sitting["institution_id"] is None
    [partner] = [r for r in reads if r["relation"] == "team_member"]
    assert partner["institution_name"] == "Szkoła Podstawowa nr 1 w Wieliczce"
    assert partner["what"] == ["case", "plan"]
    assert partner["entries"] == 2
    [refused] = [r for r in report if r["outcome"] == "refused"]
    assert (refused["action"], refused["what"]) == ("read", ["case"])
    changes = [line for line in report if line["action"] == "change"]
    assert any("consent.give" in line["what"] for line in changes)
    assert all("manager-" not in line["who"] for line in report if line["relation"] != "none")


async def test_disclosures_to_partner_systems_reach_the_log_and_the_report(cases):
    """notifications announces each case event a partner system received; the case's log records
    it in its chain and the family's report lists it under the institution (ADR 0029)."""
    c = cases
    case_id, _people, _consent = await c.team_case()
    endpoint = uuid.uuid4()

    def disclosure(n: int, channel: str, case: str = case_id) -> CloudEvent:
        data = DisclosureRecorded(
            disclosure_id=n, case_id=uuid.UUID(case), institution_id=c.SCHOOL, channel=channel,
            endpoint_id=endpoint if channel == "webhook" else None,
            client_id="szkola-system" if channel == "feed" else None,
            disclosed_event_id=uuid.uuid4(),
            disclosed_type=["cases.family.consented", "cases.team.member_joined"][n % 2],
            disclosed_at=datetime.now(UTC),
        )  # fmt: skip
        return CloudEvent.wrap(data, source=SOURCE, tenant=c.A, subject=case)

    unknown = str(uuid.uuid4())
    events = [disclosure(1, "webhook"), disclosure(2, "webhook"), disclosure(3, "feed")]
    await c.publish(*events, disclosure(4, "webhook", unknown))
    await c.publish(events[0])  # a redelivery is applied once
    await c.wait_sql(
        f"SELECT count(*) FROM access_log WHERE case_id = '{case_id}' AND action = 'disclose'", 3
    )
    assert await c.access_count(unknown) == 0
    report = (await c.get("manager-a", f"/v1/cases/{case_id}/access-report")).json()
    disclosed = [line for line in report if line["action"] == "disclose"]
    assert [(d["purposes"], d["entries"]) for d in disclosed] == [(["webhook"], 2), (["feed"], 1)]
    assert {d["institution_name"] for d in disclosed} == {"Szkoła Podstawowa nr 1 w Wieliczce"}
    assert disclosed[0]["what"] == ["cases.team.member_joined", "cases.family.consented"]
    assert disclosed[0]["who"] == "system teleinformatyczny (webhook)"
    pdf = await c.get("manager-a", f"/v1/cases/{case_id}/access-log.pdf")
    assert pdf.status_code == 200
