"""The consent policy: who sees which kind of a case's data, decided in one place."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from cases.domain import model, policy
from cases.domain.policy import Actor, Relation

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
SCHOOL, CLINIC = uuid.uuid4(), uuid.uuid4()
A = "1219053"


def case() -> model.Case:
    return model.Case(
        id=uuid.uuid4(), tenant=A, manager_subject="m-1", manager_username="manager-a",
        opened_at=NOW - timedelta(days=10),
    )  # fmt: skip


def consent(**kw) -> model.Consent:
    values = {
        "id": uuid.uuid4(), "case_id": uuid.uuid4(), "tenant": A,
        "given_by_member_id": uuid.uuid4(), "given_at": NOW - timedelta(days=1),
        "method": model.ConsentMethod.PAPER, "institution_ids": [SCHOOL], "sectors": [],
        "data_kinds": [model.DataKind.PLAN], "recorded_by": "manager-a",
        "recorded_at": NOW - timedelta(days=1),
    } | kw  # fmt: skip
    return model.Consent(**values)


def member(institution=SCHOOL, subject="p-1", state=model.MemberState.ACTIVE) -> model.TeamMember:
    return model.TeamMember(
        id=uuid.uuid4(), case_id=uuid.uuid4(), tenant=A, institution_id=institution,
        sector="education", state=state, invited_at=NOW, invited_by="manager-a",
        user_subject=subject,
    )  # fmt: skip


def staff(institution=SCHOOL, subject="p-1") -> Actor:
    return Actor(subject, "partner", frozenset({"partner-staff"}), frozenset({A}), institution)


def decide(actor, consents, team, receiving=(), sectors=None, now=NOW):
    return policy.decide(
        actor, case(), consents=consents, team=team, receiving_institutions=receiving,
        sectors=sectors or {SCHOOL: "education", CLINIC: "health"}, now=now,
    )  # fmt: skip


def test_the_case_manager_sees_everything_without_any_consent():
    manager = Actor("m-1", "manager-a", frozenset({"case-manager"}), frozenset({A}), None)
    access = decide(manager, [], [])
    assert access is not None
    assert access.relation == Relation.CASE_MANAGER
    assert access.kinds == policy.ALL_KINDS


def test_other_staff_of_the_municipality_and_regional_staff_see_nothing():
    for actor in (
        Actor("m-2", "other", frozenset({"case-manager"}), frozenset({A}), None),
        Actor("m-1", "manager-a", frozenset({"case-manager"}), frozenset({"1219043"}), None),
        Actor("c", "coord-a", frozenset({"coordinator"}), frozenset({A}), None),
        Actor("d", "director-a", frozenset({"director"}), frozenset({A}), None),
        Actor("x", "analyst", frozenset({"analyst"}), frozenset(), None),
    ):
        assert decide(actor, [consent()], [member()]) is None


def test_a_member_sees_what_a_valid_consent_grants_to_their_institution_or_sector():
    access = decide(staff(), [consent()], [member()])
    assert access is not None
    assert access.kinds == {model.DataKind.PLAN}
    by_sector = consent(institution_ids=[], sectors=["education"], data_kinds=["diagnosis"])
    access = decide(staff(), [consent(), by_sector], [member()])
    assert access is not None
    assert access.kinds == {model.DataKind.PLAN, model.DataKind.DIAGNOSIS}


def test_expiry_withdrawal_and_other_institutions_end_access_at_once():
    expiring = consent(valid_until=NOW + timedelta(seconds=1))
    assert decide(staff(), [expiring], [member()]) is not None
    assert decide(staff(), [expiring], [member()], now=NOW + timedelta(seconds=1)) is None
    withdrawn = consent(withdrawn_at=NOW - timedelta(microseconds=1))
    assert decide(staff(), [withdrawn], [member()]) is None
    for_clinic = consent(institution_ids=[CLINIC])
    assert decide(staff(), [for_clinic], [member()]) is None
    future = consent(given_at=NOW + timedelta(hours=1))
    assert decide(staff(), [future], [member()]) is None


def test_membership_is_personal_and_must_be_active():
    assert decide(staff(subject="p-2"), [consent()], [member()]) is None
    assert decide(staff(), [consent()], [member(state=model.MemberState.LEFT)]) is None
    assert decide(staff(), [consent()], [member(state=model.MemberState.INVITED)]) is None


def test_a_receiving_partner_sees_only_referrals_and_only_within_consent():
    referrals = consent(institution_ids=[CLINIC], data_kinds=["referrals", "plan"])
    access = decide(staff(CLINIC, "c-1"), [referrals], [], receiving=[CLINIC])
    assert access is not None
    assert access.relation == Relation.RECEIVING_PARTNER
    assert access.kinds == {model.DataKind.REFERRALS}
    no_referrals = consent(institution_ids=[CLINIC], data_kinds=["plan"])
    assert decide(staff(CLINIC, "c-1"), [no_referrals], [], receiving=[CLINIC]) is None


def test_a_closed_case_is_seen_by_its_case_manager_only():
    closed = case()
    closed.state = model.CaseState.CLOSED
    manager = Actor("m-1", "manager-a", frozenset({"case-manager"}), frozenset({A}), None)
    common = {"consents": [consent()], "team": [member()], "receiving_institutions": [SCHOOL],
              "sectors": {SCHOOL: "education"}, "now": NOW}  # fmt: skip
    assert policy.decide(manager, closed, **common) is not None
    assert policy.decide(staff(), closed, **common) is None


def test_the_side_of_a_referral_is_the_manager_or_the_receiving_institution():
    school, clinic = uuid.uuid4(), uuid.uuid4()
    RS, P = model.ReferralState, model.Party

    def access(relation: Relation, institution: uuid.UUID | None, *kinds: model.DataKind):
        return policy.Access(relation, frozenset(kinds), institution)

    manager = access(Relation.CASE_MANAGER, None, *model.DataKind)
    receiver = access(Relation.TEAM_MEMBER, school, model.DataKind.REFERRALS)
    assert policy.referral_party(manager, school, RS.DRAFT) == P.SENDER
    assert policy.referral_party(receiver, school, RS.REQUESTED) == P.RECEIVER
    assert policy.referral_party(receiver, school, RS.DRAFT) is None  # not sent yet
    assert policy.referral_party(receiver, clinic, RS.REQUESTED) is None  # another's
    without = access(Relation.TEAM_MEMBER, school, model.DataKind.PLAN)
    assert policy.referral_party(without, school, RS.REQUESTED) is None  # consent lacks it
