"""The shared consent decision (ADR 0036): validity, coverage, granted kinds, the partner's
relation — the function both the cases API and the notifications channels call."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from shared import consent as policy

NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)
SCHOOL, CLINIC = uuid.uuid4(), uuid.uuid4()


@dataclass
class Consent:
    institution_ids: list[uuid.UUID] = field(default_factory=list)
    sectors: list[str] = field(default_factory=list)
    data_kinds: list[str] = field(default_factory=lambda: list(policy.DATA_KINDS))
    given_at: datetime = NOW - timedelta(days=1)
    valid_until: datetime | None = None
    withdrawn_at: datetime | None = None


def test_validity_runs_from_giving_until_expiry_or_withdrawal() -> None:
    c = Consent([SCHOOL], valid_until=NOW + timedelta(days=1))
    assert policy.valid_at(c, NOW)
    assert not policy.valid_at(c, NOW - timedelta(days=2))  # not given yet
    assert not policy.valid_at(c, NOW + timedelta(days=1))  # valid_until is exclusive
    c.withdrawn_at = NOW
    assert not policy.valid_at(c, NOW)
    assert policy.valid_at(c, NOW - timedelta(seconds=1))


def test_granted_kinds_are_the_union_over_consents_covering_the_institution() -> None:
    consents = [
        Consent([SCHOOL], data_kinds=["plan"]),
        Consent(sectors=["education"], data_kinds=["meetings"]),
        Consent([CLINIC], data_kinds=["diagnosis"]),
        Consent([SCHOOL], data_kinds=["contact"], valid_until=NOW),  # expired
    ]
    assert policy.granted_kinds(consents, SCHOOL, "education", NOW) == {"plan", "meetings"}
    assert policy.granted_kinds(consents, SCHOOL, None, NOW) == {"plan"}
    assert policy.granted_kinds(consents, CLINIC, "health", NOW) == {"diagnosis"}


def test_partner_relation() -> None:
    kinds = frozenset({"plan", "referrals"})
    member = policy.partner_access(kinds, case_closed=False, in_team=True, receiving=True)
    assert member == policy.PartnerAccess(policy.TEAM_MEMBER, kinds)
    assert member.sees_team
    receiving = policy.partner_access(kinds, case_closed=False, in_team=False, receiving=True)
    assert receiving == policy.PartnerAccess(policy.RECEIVING_PARTNER, frozenset({"referrals"}))
    assert not receiving.sees_team
    assert not receiving.allows("plan")
    plan_only = frozenset({"plan"})
    assert (
        policy.partner_access(plan_only, case_closed=False, in_team=False, receiving=True) is None
    )
    assert policy.partner_access(kinds, case_closed=True, in_team=True, receiving=True) is None
    assert (
        policy.partner_access(frozenset(), case_closed=False, in_team=True, receiving=True) is None
    )
