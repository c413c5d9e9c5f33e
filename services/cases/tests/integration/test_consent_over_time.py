"""Consent over time (ADR 0037): when a consent is withdrawn (a request) or expires (the sweep),
the team and the open referrals follow in the same unit of work; lists show only what the caller
may open now; and before the sweep runs, reads already refuse an expired consent's share."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import text

from cases.adapters.uow import SqlUnitOfWork
from cases.service.handlers import sweep_expired_consents
from cases.service.publishing import translate
from shared import clock
from shared.clock import ShiftedClock

DEMO_USERS = (
    "manager-a", "manager-b", "partner-a", "coord-a", "coord-b", "director-a", "analyst", "admin",
    "clinic-staff",
)  # fmt: skip
OPEN = ("requested", "accepted", "in-progress", "on-hold")


async def _referrals_in_every_state(c, case_id: str, service: str) -> dict[str, str]:
    """One referral per open state, plus a draft and a completed one: state → id."""
    out = {}
    for state in ("draft", *OPEN, "completed"):
        referral = await c.created(
            "manager-a",
            f"/v1/cases/{case_id}/referrals",
            {"service_id": service, "draft": state == "draft"},
        )
        steps = {
            "accepted": ["accepted"],
            "in-progress": ["accepted", "in-progress"],
            "on-hold": ["accepted", "on-hold"],
            "completed": ["accepted", "completed"],
        }.get(state, [])
        for step in steps:
            body = {"state": step, "reason_code": "other", "outcome_code": "goal_achieved"}
            moved = await c.post("partner-a", f"/v1/referrals/{referral}/transitions", body)
            assert moved.status_code == 200, moved.text
        out[state] = referral
    return out


async def _states(c, case_id: str) -> dict[str, tuple[str, str | None]]:
    listed = (await c.get("manager-a", f"/v1/cases/{case_id}/referrals")).json()
    return {r["id"]: (r["state"], r["reason_code"]) for r in listed}


async def assert_everything_listed_opens(c) -> dict[str, list[str]]:
    """For every demo user: each case of their list and each referral of their incoming list
    opens (200) — nothing listed is a 404. Returns what each user's case list showed."""
    shown: dict[str, list[str]] = {}
    for user in DEMO_USERS:
        cases = await c.get(user, "/v1/cases")
        assert cases.status_code == 200, (user, cases.text)
        shown[user] = [x["id"] for x in cases.json()]
        for item in cases.json():
            opened = await c.get(user, f"/v1/cases/{item['id']}")
            assert opened.status_code == 200, (user, item, opened.text)
        incoming = await c.get(user, "/v1/referrals/incoming")
        assert incoming.status_code == 200, (user, incoming.text)
        for r in incoming.json():
            listed = await c.get(user, f"/v1/cases/{r['case_id']}/referrals")
            assert listed.status_code == 200, (user, r, listed.text)
            assert r["id"] in {x["id"] for x in listed.json()}
        for invitation in (await c.get(user, "/v1/team-invitations")).json():
            # Listed: the caller could accept it now (accepting is checked in another test).
            assert invitation["case_id"]
    return shown


async def test_withdrawal_ends_the_team_and_the_open_referrals_in_one_unit_of_work(cases):
    c = cases
    case_id, people, consent = await c.team_case()
    c.forge_staff("clinic-staff", c.CLINIC)
    service = await c.offering()
    referrals = await _referrals_in_every_state(c, case_id, service)
    # A pending invitation of the same institution (another specialist) ends too.
    invited = await c.created(
        "manager-a",
        f"/v1/cases/{case_id}/team",
        {"institution_id": str(c.SCHOOL), "username": "pedagog-2"},
    )
    before = await assert_everything_listed_opens(c)
    assert case_id in before["partner-a"]
    assert case_id in before["manager-a"]
    assert len((await c.get("partner-a", "/v1/referrals/incoming")).json()) == 5
    outbox_before = len(await c.outbox_types())

    withdrawn = await c.post(
        "manager-a", f"/v1/cases/{case_id}/consents/{consent}/withdraw", {"note": c.FREE_REASON}
    )
    assert withdrawn.status_code == 200, withdrawn.text

    # The team shrank: the member left (consent ended), the invitation is gone.
    team = {m["id"]: m for m in (await c.get("manager-a", f"/v1/cases/{case_id}/team")).json()}
    member = next(m for m in team.values() if m["username"] == "partner-a")
    assert (member["state"], member["left_reason"]) == ("left", "consent_ended")
    assert (team[invited]["state"], team[invited]["left_reason"]) == ("left", "consent_ended")
    # Every open referral (the draft too) ended in withdrawn-consent; the completed one stays.
    states = await _states(c, case_id)
    for state in ("draft", *OPEN):
        assert states[referrals[state]] == ("withdrawn-consent", "consent_withdrawn"), state
    assert states[referrals["completed"]] == ("completed", None)
    [listed] = [
        r
        for r in (await c.get("manager-a", f"/v1/cases/{case_id}/referrals")).json()
        if r["id"] == referrals["accepted"]
    ]
    assert listed["state_name"] == "wycofane — brak zgody"
    assert listed["history"][-1]["party"] == "consent"
    # Lists shrank; whatever is still listed opens, for every demo user.
    after = await assert_everything_listed_opens(c)
    assert after["partner-a"] == []
    assert after["manager-a"] == before["manager-a"]
    assert (await c.get("partner-a", "/v1/referrals/incoming")).json() == []
    assert (await c.get("partner-a", f"/v1/cases/{case_id}")).status_code == 404
    # The ended referral is final: the manager gets 409, the former receiver 404.
    ended = referrals["accepted"]
    again = {"state": "cancelled", "reason_code": "other"}
    assert (await c.post("manager-a", f"/v1/referrals/{ended}/transitions", again)).status_code == (
        409
    )
    assert (await c.post("partner-a", f"/v1/referrals/{ended}/transitions", again)).status_code == (
        404
    )
    # The events: the withdrawal, two departures, five ended referrals; identifiers only.
    types = (await c.outbox_types())[outbox_before:]
    assert types[0] == "cases.consent.withdrawn"
    assert sorted(types[1:]) == sorted(
        ["cases.team.member_left"] + ["cases.referral.withdrawn_consent"] * 5
    )
    async with c.runtime.engine.connect() as conn:
        bodies = [
            json.loads(bytes(b))
            for b in (
                await conn.execute(text("SELECT body FROM outbox ORDER BY seq OFFSET :n"), {"n": 1})
            ).scalars()
        ]
    left = next(b for b in bodies if b["type"] == "cases.team.member_left")
    assert left["data"]["reason_code"] == "consent_ended"
    ended_events = [b for b in bodies if b["type"] == "cases.referral.withdrawn_consent"]
    assert {e["data"]["reason_code"] for e in ended_events} == {"consent_withdrawn"}
    assert {e["data"]["state"] for e in ended_events} == {"withdrawn-consent"}
    assert c.scan(await c.outbox_bodies()) == []
    # The manager can invite the former member again once a consent covers the school.
    refused = await c.post("manager-a", f"/v1/cases/{case_id}/team/{member['id']}/reinvite")
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["field"] == "institution_id"
    await c.consent(case_id, people[0], institutions=[c.SCHOOL], kinds=["plan"])
    again_id = await c.created("manager-a", f"/v1/cases/{case_id}/team/{member['id']}/reinvite", {})
    [invitation] = [
        x for x in (await c.get("partner-a", "/v1/team-invitations")).json() if x["id"] == again_id
    ]
    assert invitation["case_id"] == case_id
    accepted = await c.post("partner-a", f"/v1/team-invitations/{again_id}/accept")
    assert accepted.status_code == 200, accepted.text
    assert case_id in (await assert_everything_listed_opens(c))["partner-a"]


async def test_a_member_kept_by_another_consent_stays_but_its_referrals_end(cases):
    c = cases
    case_id, people, consent = await c.team_case()
    await c.consent(case_id, people[0], institutions=[c.SCHOOL], kinds=["plan"])
    service = await c.offering()
    referral = await c.created(
        "manager-a", f"/v1/cases/{case_id}/referrals", {"service_id": service}
    )
    withdrawn = await c.post("manager-a", f"/v1/cases/{case_id}/consents/{consent}/withdraw", {})
    assert withdrawn.status_code == 200
    team = (await c.get("manager-a", f"/v1/cases/{case_id}/team")).json()
    assert [m["state"] for m in team if m["username"] == "partner-a"] == ["active"]
    assert (await _states(c, case_id))[referral] == ("withdrawn-consent", "consent_withdrawn")
    # Still in the team, for the plan only: the case is listed and opens; no referral listed.
    c.forge_staff("clinic-staff", c.CLINIC)
    shown = await assert_everything_listed_opens(c)
    assert shown["partner-a"] == [case_id]
    assert (await c.get("partner-a", "/v1/referrals/incoming")).json() == []
    assert (await c.get("partner-a", f"/v1/cases/{case_id}/referrals")).status_code == 403


async def test_expiry_reads_refuse_at_once_and_the_sweep_ends_team_and_referrals(cases):
    c = cases
    await c.institutions()
    case_id, people = await c.open_case()
    until = clock.now() + timedelta(hours=1)
    await c.consent(case_id, people[0], institutions=[c.SCHOOL], valid_until=until.isoformat())
    member = await c.join(case_id, c.SCHOOL)
    service = await c.offering()
    accepted = await c.created(
        "manager-a", f"/v1/cases/{case_id}/referrals", {"service_id": service}
    )
    moved = await c.post(
        "partner-a", f"/v1/referrals/{accepted}/transitions", {"state": "accepted"}
    )
    assert moved.status_code == 200
    requested = await c.created(
        "manager-a", f"/v1/cases/{case_id}/referrals", {"service_id": service}
    )
    invited = await c.created(
        "manager-a",
        f"/v1/cases/{case_id}/team",
        {"institution_id": str(c.SCHOOL), "username": "pedagog-2"},
    )
    c.forge_staff("pedagog-2", c.SCHOOL)
    assert [x["id"] for x in (await c.get("pedagog-2", "/v1/team-invitations")).json()] == [invited]
    c.forge_staff("clinic-staff", c.CLINIC)

    def new_uow() -> SqlUnitOfWork:
        return SqlUnitOfWork(c.runtime.sessions, translate)

    assert await sweep_expired_consents(new_uow) == (0, 0)  # nothing expired yet
    real = clock.current()
    clock.install(ShiftedClock(real.now() + timedelta(hours=2)))
    try:
        # Before the sweep: the rows still say active / requested, the reads already refuse.
        async with c.runtime.engine.connect() as conn:
            row = (
                await conn.execute(
                    text("SELECT state FROM team_members WHERE id = :m"), {"m": member}
                )
            ).scalar_one()
        assert row == "active"
        assert (await c.get("partner-a", f"/v1/cases/{case_id}")).status_code == 404
        shown = await assert_everything_listed_opens(c)
        assert shown["partner-a"] == []
        assert (await c.get("partner-a", "/v1/referrals/incoming")).json() == []
        assert (await c.get("pedagog-2", "/v1/team-invitations")).json() == []
        outbox_before = len(await c.outbox_types())

        assert await sweep_expired_consents(new_uow) == (2, 2)

        team = {m["id"]: m for m in (await c.get("manager-a", f"/v1/cases/{case_id}/team")).json()}
        assert (team[member]["state"], team[member]["left_reason"]) == ("left", "consent_ended")
        assert team[invited]["state"] == "left"
        states = await _states(c, case_id)
        assert states[accepted] == ("withdrawn-consent", "consent_expired")
        assert states[requested] == ("withdrawn-consent", "consent_expired")
        types = (await c.outbox_types())[outbox_before:]
        assert sorted(types) == sorted(
            ["cases.team.member_left"] + ["cases.referral.withdrawn_consent"] * 2
        )
        assert await sweep_expired_consents(new_uow) == (0, 0)  # applied once
        assert (await c.outbox_types())[outbox_before:] == types
        await assert_everything_listed_opens(c)
        # The access log names the platform as the one who made the change.
        log = (await c.get("manager-a", f"/v1/cases/{case_id}/access-log")).json()
        assert any(e["what"] == "consent.expired" and e["relation"] == "system" for e in log)
    finally:
        clock.install(real)
    assert c.scan(await c.outbox_bodies()) == []
