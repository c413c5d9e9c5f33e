"""Events name the staff involved by their Keycloak subject (for the notifications service to
tell the right person): the case manager on cases.case.opened, the specialist on
cases.team.member_joined. Subjects are identifiers of staff, not the family's personal data."""

from __future__ import annotations

from shared.contracts import cases as contract


async def test_opened_and_joined_carry_the_staff_subjects(cases):
    c = cases
    case_id, _people, _consent = await c.team_case()
    events = await c.tap.wait_for(lambda es: any(e.type == "cases.team.member_joined" for e in es))
    [opened] = [e for e in events if e.type == "cases.case.opened" and e.subject == case_id]
    [joined] = [e for e in events if e.type == "cases.team.member_joined"]
    assert opened.data["case_manager_user_id"] == await c.subject_of("manager-a")
    assert joined.data["user_id"] == await c.subject_of("partner-a")
    assert c.scan([opened.model_dump_json().encode(), joined.model_dump_json().encode()]) == []


def test_the_fields_are_optional_for_events_published_before_them():
    old = contract.CaseOpened.model_validate(
        {"case_id": "9b0f7a3e-1c1d-4c55-9a47-0d7d3e5a1b01", "opened_at": "2026-11-01T10:00:00Z",
         "family_size": 2}
    )  # fmt: skip
    assert old.case_manager_user_id is None
    joined = contract.TeamMemberJoined.model_validate(
        {"case_id": "9b0f7a3e-1c1d-4c55-9a47-0d7d3e5a1b01",
         "member_id": "9b0f7a3e-1c1d-4c55-9a47-0d7d3e5a1b02",
         "institution_id": "9b0f7a3e-1c1d-4c55-9a47-0d7d3e5a1b03", "sector": "education",
         "joined_at": "2026-11-01T10:00:00Z"}
    )  # fmt: skip
    assert joined.user_id is None
