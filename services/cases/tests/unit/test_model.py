"""Domain rules of the case, the consent, the plan and the referral."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from cases.domain import model
from shared.contracts.partners import Sector
from shared.errors import Conflict, Forbidden, InvalidInput

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
RS, P = model.ReferralState, model.Party


def referral(send: bool = True) -> model.Referral:
    return model.Referral.create(
        send=send, by="manager-a", role="case_manager", id=uuid.uuid4(), case_id=uuid.uuid4(),
        tenant="1219053", service_id=uuid.uuid4(), institution_id=uuid.uuid4(),
        sector="education", created_by="manager-a", created_at=NOW,
    )  # fmt: skip


def test_the_transition_table_is_the_gravity_task():
    assert set(model.REFERRAL_TRANSITIONS[RS.REQUESTED]) == {
        RS.ACCEPTED, RS.REJECTED, RS.CANCELLED, RS.WITHDRAWN_CONSENT,
    }  # fmt: skip
    for terminal in (RS.REJECTED, RS.CANCELLED, RS.COMPLETED, RS.FAILED, RS.WITHDRAWN_CONSENT):
        assert model.REFERRAL_TRANSITIONS[terminal] == {}
    # Every open state ends in withdrawn-consent, by the consent's end only (ADR 0037).
    for state in (RS.DRAFT, RS.REQUESTED, RS.ACCEPTED, RS.IN_PROGRESS, RS.ON_HOLD):
        assert model.REFERRAL_TRANSITIONS[state][RS.WITHDRAWN_CONSENT] == {P.CONSENT}
    for state in (RS.ACCEPTED, RS.IN_PROGRESS, RS.ON_HOLD):
        assert model.REFERRAL_TRANSITIONS[state][RS.CANCELLED] == {P.SENDER, P.RECEIVER}
        assert model.REFERRAL_TRANSITIONS[state][RS.COMPLETED] == {P.RECEIVER}


def test_a_referral_records_every_transition_with_its_time():
    r = referral()
    r.move(RS.ACCEPTED, party=P.RECEIVER, by="partner-a", role="team_member", now=NOW)
    r.move(RS.ON_HOLD, party=P.RECEIVER, by="partner-a", role="team_member", now=NOW,
           reason_code=model.ReasonCode.NO_CAPACITY)  # fmt: skip
    assert [h["to"] for h in r.history] == ["draft", "requested", "accepted", "on-hold"]
    assert [type(e).__name__ for e in r.events] == ["ReferralMoved"] * 3
    with pytest.raises(Conflict):
        r.move(RS.REJECTED, party=P.RECEIVER, by="p", role="r", now=NOW,
               reason_code=model.ReasonCode.OTHER)  # fmt: skip
    with pytest.raises(Forbidden):
        r.move(RS.COMPLETED, party=P.SENDER, by="m", role="r", now=NOW,
               outcome_code=model.OutcomeCode.OTHER)  # fmt: skip
    with pytest.raises(InvalidInput) as missing:
        r.move(RS.FAILED, party=P.RECEIVER, by="p", role="r", now=NOW)
    assert missing.value.errors[0].field == "reason_code"
    assert r.state == RS.ON_HOLD


def test_consent_scope_and_dates():
    base = {
        "id": uuid.uuid4(), "case_id": uuid.uuid4(), "tenant": "1219053",
        "given_by_member_id": uuid.uuid4(), "given_at": NOW, "method": model.ConsentMethod.VERBAL,
        "recorded_by": "m", "recorded_at": NOW,
    }  # fmt: skip
    with pytest.raises(InvalidInput) as empty:
        model.Consent.give(**base, institution_ids=[], sectors=[], data_kinds=[])
    assert [e.field for e in empty.value.errors] == ["scope.institution_ids", "scope.data_kinds"]
    with pytest.raises(InvalidInput):
        model.Consent.give(**base, institution_ids=[uuid.uuid4()], sectors=[],
                           data_kinds=[model.DataKind.PLAN], valid_until=NOW)  # fmt: skip
    consent = model.Consent.give(**base, institution_ids=[], sectors=["health"],
                                 data_kinds=[model.DataKind.PLAN])  # fmt: skip
    consent.withdraw(at=NOW, by="m", note=None)
    assert not consent.valid_at(NOW)
    with pytest.raises(Conflict):
        consent.withdraw(at=NOW, by="m", note=None)


def test_plan_actions_are_due_after_the_case_opened_and_a_closed_case_is_frozen():
    case = model.Case(id=uuid.uuid4(), tenant="1219053", manager_subject="s",
                      manager_username="m", opened_at=NOW)  # fmt: skip
    goals = [{"title": "g", "actions": [{"title": "a", "responsible": {"kind": "family"},
              "due_on": str(date(2026, 11, 22))}]}]  # fmt: skip
    with pytest.raises(InvalidInput) as early:
        model.PlanVersion.draw_up(case=case, version=1, goals=goals, active_members=set(),
                                  created_by="m", now=NOW)  # fmt: skip
    assert early.value.errors[0].field == "goals.0.actions.0.due_on"
    goals[0]["actions"][0]["due_on"] = str(date(2026, 11, 23))
    plan = model.PlanVersion.draw_up(case=case, version=1, goals=goals, active_members=set(),
                                     created_by="m", now=NOW + timedelta(hours=1))  # fmt: skip
    assert plan.version == 1
    case.close(model.CloseReason.OTHER, None, NOW)
    with pytest.raises(Conflict):
        case.move_to(model.CaseState.SUPPORT)


def test_every_sector_of_the_contracts_has_a_polish_name():
    assert set(model.SECTOR_NAMES_PL) == set(Sector.__args__)


def test_goals_reached_follow_the_latest_review_of_each_goal():
    opened = datetime(2026, 1, 5, tzinfo=UTC)
    case = model.Case(id=uuid.uuid4(), tenant="1219053", manager_subject="m",
                      manager_username="m", opened_at=opened)  # fmt: skip
    goals = [{"id": "a", "title": "A", "actions": []}, {"id": "b", "title": "B", "actions": []}]
    plan = model.PlanVersion.draw_up(case=case, version=1, goals=goals, active_members=set(),
                                     created_by="m", now=opened)  # fmt: skip

    def review(on: date, **statuses: str) -> model.MonitoringReview:
        return model.MonitoringReview.conduct(
            case=case, plan=plan, reviewed_on=on, family_assessment=None, notes=None,
            next_review_on=None, recorded_by="m", now=datetime(2026, 6, 1, tzinfo=UTC),
            goals=[{"goal_id": g, "status": s} for g, s in statuses.items()],
        )  # fmt: skip

    early = review(date(2026, 2, 1), a="reached", b="reached")
    late = review(date(2026, 4, 1), b="not_reached")
    assert model.goals_reached(plan, [late, early]) == 1
    assert model.goals_reached(plan, []) == 0
    assert (early.count(model.GoalProgress.REACHED), late.count(model.GoalProgress.REACHED)) == (
        2,
        0,
    )


def test_only_the_consent_s_end_moves_a_referral_to_withdrawn_consent():
    r = referral()
    for party in (P.SENDER, P.RECEIVER):
        with pytest.raises(Forbidden):
            r.move(RS.WITHDRAWN_CONSENT, party=party, by="x", role="r", now=NOW,
                   reason_code=model.ReasonCode.CONSENT_WITHDRAWN)  # fmt: skip
    with pytest.raises(InvalidInput) as reserved:
        r.move(RS.CANCELLED, party=P.SENDER, by="m", role="r", now=NOW,
               reason_code=model.ReasonCode.CONSENT_EXPIRED)  # fmt: skip
    assert reserved.value.errors[0].field == "reason_code"
    assert r.state == RS.REQUESTED
    r.move(RS.WITHDRAWN_CONSENT, party=P.CONSENT, by="system", role="consent", now=NOW,
           reason_code=model.ReasonCode.CONSENT_EXPIRED)  # fmt: skip
    assert (r.state, r.reason_code) == (RS.WITHDRAWN_CONSENT, model.ReasonCode.CONSENT_EXPIRED)
    assert r.history[-1]["party"] == "consent"


def test_the_consent_s_end_keeps_what_another_valid_consent_still_covers():
    case_id = uuid.uuid4()
    school, clinic = uuid.uuid4(), uuid.uuid4()

    def consent(institution: uuid.UUID, kinds: list[model.DataKind], **kw: object) -> model.Consent:
        return model.Consent(
            id=uuid.uuid4(), case_id=case_id, tenant="1219053", given_by_member_id=uuid.uuid4(),
            given_at=NOW - timedelta(days=10), method=model.ConsentMethod.PAPER,
            institution_ids=[institution], sectors=[], data_kinds=kinds, recorded_by="m",
            recorded_at=NOW, **kw,  # type: ignore[arg-type]
        )  # fmt: skip

    def member(institution: uuid.UUID) -> model.TeamMember:
        return model.TeamMember(
            id=uuid.uuid4(), case_id=case_id, tenant="1219053", institution_id=institution,
            sector=None, state=model.MemberState.ACTIVE, invited_at=NOW, invited_by="m",
        )  # fmt: skip

    consents = [
        consent(school, [model.DataKind.PLAN]),
        consent(clinic, list(model.DataKind), valid_until=NOW - timedelta(seconds=1)),
    ]
    team = [member(school), member(clinic)]
    to_school, to_clinic = referral(), referral()
    to_school.institution_id, to_clinic.institution_id = school, clinic
    done = referral()
    done.institution_id = clinic
    done.move(RS.REJECTED, party=P.RECEIVER, by="p", role="r", now=NOW,
              reason_code=model.ReasonCode.OTHER)  # fmt: skip
    left, ended = model.end_what_consent_no_longer_covers(
        consents=consents, team=team, referrals=[to_school, to_clinic, done], now=NOW,
        reason=model.ReasonCode.CONSENT_EXPIRED,
    )  # fmt: skip
    assert left == [team[1]]
    assert team[0].state == model.MemberState.ACTIVE
    assert team[1].left_reason == model.LeftReason.CONSENT_ENDED
    # The school keeps its plan share but no longer has referrals: both open referrals end.
    assert ended == [to_school, to_clinic]
    assert done.state == RS.REJECTED
    again = model.end_what_consent_no_longer_covers(
        consents=consents, team=team, referrals=[to_school, to_clinic, done], now=NOW,
        reason=model.ReasonCode.CONSENT_EXPIRED,
    )  # fmt: skip
    assert again == ([], [])


def test_each_party_is_offered_only_its_own_moves():
    """What a page offers (moved here from the web, which had its own copy of the table)."""
    assert model.referral_moves(RS.REQUESTED, P.RECEIVER) == [
        RS.ACCEPTED, RS.REJECTED, RS.CANCELLED,
    ]  # fmt: skip
    assert model.referral_moves(RS.REQUESTED, P.SENDER) == [RS.CANCELLED]
    assert model.referral_moves(RS.DRAFT, P.SENDER) == [RS.REQUESTED, RS.CANCELLED]
    assert model.referral_moves(RS.DRAFT, P.RECEIVER) == []
    assert model.referral_moves(RS.ON_HOLD, P.RECEIVER) == [
        RS.IN_PROGRESS, RS.COMPLETED, RS.FAILED, RS.CANCELLED,
    ]  # fmt: skip
    assert model.referral_moves(RS.ACCEPTED, None) == []
    for final in (RS.REJECTED, RS.CANCELLED, RS.COMPLETED, RS.FAILED, RS.WITHDRAWN_CONSENT):
        assert model.referral_moves(final, P.SENDER) == model.referral_moves(final, P.RECEIVER)
        assert model.referral_moves(final, P.SENDER) == []
    # every move a person may make that needs a reason offers the reason form (all but send,
    # accept and start; completing asks for the outcome)
    offered = {
        to for state in RS for party in (P.SENDER, P.RECEIVER)
        for to in model.referral_moves(state, party)
    }  # fmt: skip
    needs = {to: model.referral_move_needs(to) for to in offered}
    assert {to for to, need in needs.items() if need == "reason"} == {
        RS.REJECTED, RS.CANCELLED, RS.ON_HOLD, RS.FAILED,
    }  # fmt: skip
    assert needs[RS.COMPLETED] == "outcome"
    assert needs[RS.ACCEPTED] is needs[RS.IN_PROGRESS] is needs[RS.REQUESTED] is None
