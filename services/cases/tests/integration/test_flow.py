"""A family's case from intake to closing, through the API: what the family gets out of it
(seed 004, "dla osoby / rodziny") — it takes part in the diagnosis and the plan, decides at
meetings, sees the services' capacity before a referral, and can withdraw its consent."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from shared import clock

EXPECTED_EVENTS = [
    "cases.case.opened",
    "cases.family.consented",
    "cases.team.member_joined",
    "cases.plan.updated",
    "cases.referral.requested",
    "cases.referral.accepted",
    "cases.referral.in_progress",
    "cases.referral.completed",
    "cases.plan.updated",
    "cases.meeting.scheduled",
    "cases.meeting.held",
    "cases.consent.withdrawn",
    "cases.team.member_left",
    "cases.case.closed",
]


async def test_a_family_case_from_intake_to_closing(cases):
    c = cases
    case_id, people, consent_id = await c.team_case()
    mother, _child = people
    team = (await c.get("manager-a", f"/v1/cases/{case_id}/team")).json()
    member_id = team[1]["id"]
    assert team[0]["state"] == "case_manager"  # the case manager always belongs
    assert team[1]["institution_name"] == "Szkoła Podstawowa nr 1 w Wieliczce"
    assert team[1]["username"] == "partner-a"

    # The family's own view beside the specialist's, by area.
    assert (
        await c.post(
            "manager-a",
            f"/v1/cases/{case_id}/diagnosis",
            {"area": "health", "perspective": "family", "text": c.DIAGNOSIS_TEXT},
        )
    ).status_code == 201
    assert (
        await c.post(
            "partner-a",
            f"/v1/cases/{case_id}/diagnosis",
            {"area": "care_and_upbringing", "perspective": "specialist", "text": "Opinia pedagoga"},
        )
    ).status_code == 201
    diagnosis = {
        a["area"]: a for a in (await c.get("partner-a", f"/v1/cases/{case_id}/diagnosis")).json()
    }
    assert set(diagnosis) == {
        "living_conditions", "care_and_upbringing", "health", "work", "family_relations"
    }  # fmt: skip
    assert diagnosis["health"]["family_view"][0]["text"] == c.DIAGNOSIS_TEXT
    assert diagnosis["care_and_upbringing"]["specialist_views"][0]["author_institution_id"] == str(
        c.SCHOOL
    )

    # The plan: goals, actions with a responsible party (the family itself or a member).
    plan = {
        "goals": [
            {
                "title": "Regularna obecność syna w szkole",
                "actions": [
                    {"title": "Zajęcia wyrównawcze", "responsible": {"kind": "member",
                     "member_id": member_id}, "due_on": str(clock.today() + timedelta(days=30))},
                    {"title": "Codzienne odprowadzanie do szkoły",
                     "responsible": {"kind": "family"}, "status": "in_progress"},
                ],
            }
        ]
    }  # fmt: skip
    assert (await c.put("manager-a", f"/v1/cases/{case_id}/plan", plan)).json() == {"version": 1}

    # Referral: the capacity is shown before sending, and kept with the referral.
    service_id = await c.offering(capacity="waitlist")
    offering = (await c.get("manager-a", f"/v1/offerings/{service_id}")).json()
    assert offering["capacity_status"] == "waitlist"
    assert offering["capacity_name"] == "lista oczekujących"
    assert service_id in [
        o["service_id"] for o in (await c.get("manager-a", "/v1/offerings")).json()
    ]
    referral_id = await c.created(
        "manager-a", f"/v1/cases/{case_id}/referrals", {"service_id": service_id, "note": "Pilne"}
    )
    for state, extra in [
        ("accepted", {}),
        ("in-progress", {}),
        ("completed", {"outcome_code": "goal_achieved", "outcome": "Oceny poprawione"}),
    ]:
        response = await c.post(
            "partner-a", f"/v1/referrals/{referral_id}/transitions", {"state": state, **extra}
        )
        assert response.status_code == 200, response.text
    [referral] = (await c.get("manager-a", f"/v1/cases/{case_id}/referrals")).json()
    assert referral["state"] == "completed"
    assert referral["capacity_status"] == "waitlist"
    assert referral["outcome_code"] == "goal_achieved"
    assert [h["to"] for h in referral["history"]] == [
        "draft", "requested", "accepted", "in-progress", "completed"
    ]  # fmt: skip
    assert all(h["at"] for h in referral["history"])

    # Each change of the plan is a new version; the old one is kept.
    plan["goals"][0]["actions"][0]["status"] = "done"
    assert (await c.put("manager-a", f"/v1/cases/{case_id}/plan", plan)).json() == {"version": 2}
    versions = (await c.get("manager-a", f"/v1/cases/{case_id}/plan/versions")).json()
    assert [v["version"] for v in versions] == [1, 2]
    assert versions[0]["goals"][0]["actions"][0]["status"] == "planned"

    # A meeting with the family, and decisions each with the family's consent noted.
    starts = clock.now() + timedelta(days=2)
    meeting_id = await c.created(
        "manager-a",
        f"/v1/cases/{case_id}/meetings",
        {
            "kind": "meeting",
            "starts_at": starts.isoformat(),
            "online_url": "https://wideo.example.org/zzk-1",
            "participants": [
                {"kind": "family", "family_member_id": mother},
                {"kind": "case_manager"},
                {"kind": "member", "member_id": member_id},
            ],
            "agenda": ["Podsumowanie zajęć", "Dalsze kroki"],
        },
    )
    no_consent_noted = await c.post(
        "manager-a", f"/v1/meetings/{meeting_id}/held",
        {"held_at": starts.isoformat(), "decisions": [{"text": "Kontynuacja zajęć"}]},
    )  # fmt: skip
    assert no_consent_noted.status_code == 422
    assert no_consent_noted.json()["errors"][0]["field"] == "decisions.0.family_consent"
    held = await c.post(
        "manager-a",
        f"/v1/meetings/{meeting_id}/held",
        {
            "held_at": starts.isoformat(),
            "notes": "Rodzina zadowolona",
            "decisions": [
                {"text": "Kontynuacja zajęć", "family_consent": "given"},
                {"text": "Zmiana szkoły", "family_consent": "refused"},
            ],
        },
    )
    assert held.status_code == 200, held.text
    [meeting] = (await c.get("partner-a", f"/v1/cases/{case_id}/meetings")).json()
    assert meeting["status"] == "held"
    assert [d["family_consent"] for d in meeting["decisions"]] == ["given", "refused"]

    # The consent form to print and sign, from the scope; HTML and PDF.
    form = await c.get("manager-a", f"/v1/cases/{case_id}/consents/{consent_id}/form.html")
    assert form.status_code == 200
    assert "Szkoła Podstawowa nr 1 w Wieliczce" in form.text
    assert "diagnoza sytuacji rodziny" in form.text
    assert "wycofać" in form.text
    pdf = await c.get("manager-a", f"/v1/cases/{case_id}/consents/{consent_id}/form.pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")

    # Withdrawal takes effect on the very next request, and the member leaves the team.
    withdrawn = await c.post(
        "manager-a", f"/v1/cases/{case_id}/consents/{consent_id}/withdraw", {"note": "ustnie"}
    )
    assert withdrawn.status_code == 200
    assert (await c.get("partner-a", f"/v1/cases/{case_id}/plan")).status_code == 404
    consents = (await c.get("manager-a", f"/v1/cases/{case_id}/consents")).json()
    assert [x["status"] for x in consents] == ["withdrawn"]  # the history is kept

    # Closing needs a reason; a closed case does not change any more.
    missing = await c.post("manager-a", f"/v1/cases/{case_id}/close", {})
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "reason"
    closed = await c.post("manager-a", f"/v1/cases/{case_id}/close", {"reason": "goals_achieved"})
    assert closed.status_code == 200
    again = await c.put("manager-a", f"/v1/cases/{case_id}/plan", plan)
    assert again.status_code == 409
    view = (await c.get("manager-a", f"/v1/cases/{case_id}")).json()
    assert view["state"] == "closed"
    assert view["close_reason"] == "goals_achieved"

    # What was published: one event per fact, in order, and nothing personal in any of them.
    assert await c.outbox_types() == EXPECTED_EVENTS
    events = await c.tap.wait_for(lambda seen: len(seen) >= len(EXPECTED_EVENTS))
    assert {e.tenant for e in events} == {c.A}
    assert c.scan([e.model_dump_json().encode() for e in events]) == []
    completed = next(e for e in events if e.type == "cases.referral.completed")
    assert completed.data["receiving_institution_id"] == str(c.SCHOOL)
    assert completed.data["receiving_sector"] == "education"
    assert completed.data["outcome_code"] == "goal_achieved"
    assert completed.data["capacity_status"] == "waitlist"


async def test_pesel_is_encrypted_found_by_keyed_hash_and_shown_only_to_the_manager(cases):
    c = cases
    case_id, _people = await c.open_case()
    async with c.runtime.engine.connect() as conn:
        rows = (
            await conn.execute(text("SELECT pesel_encrypted, pesel_hash FROM family_members"))
        ).all()
        dump = (
            await conn.execute(text("SELECT string_agg(t::text, '') FROM family_members t"))
        ).scalar()
    assert all(r[0] is not None and r[1] for r in rows)
    assert c.PESEL_MOTHER not in dump
    assert c.PESEL_MOTHER not in "".join(r[1] for r in rows)

    found = await c.post("manager-a", "/v1/families/search", {"pesel": c.PESEL_MOTHER})
    assert found.json() == {"case_ids": [case_id]}
    assert (await c.post("manager-b", "/v1/families/search", {"pesel": c.PESEL_MOTHER})).json() == {
        "case_ids": []
    }
    family = (await c.get("manager-a", f"/v1/cases/{case_id}/family")).json()
    assert c.PESEL_MOTHER in [p["pesel"] for p in family]
    view = (await c.get("manager-a", f"/v1/cases/{case_id}")).json()
    assert c.PESEL_MOTHER in [p["pesel"] for p in view["family"]]
    grandmother = await c.created(
        "manager-a",
        f"/v1/cases/{case_id}/family",
        {"first_name": "Genowefa", "last_name": "Zmyślona", "year_of_birth": 1950,
         "relation": "babcia"},
    )  # fmt: skip
    family = (await c.get("manager-a", f"/v1/cases/{case_id}/family")).json()
    assert grandmother in [p["id"] for p in family]
    assert (await c.get("manager-a", f"/v1/cases/{case_id}")).json()["state"] == "intake"
