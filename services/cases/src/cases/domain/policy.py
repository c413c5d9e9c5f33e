"""The one place that decides who may see which kind of a case's data.

Every read and every change of case data passes through `decide`. Nothing is cached: consents,
their expiry and their withdrawal are evaluated on each request, so a withdrawal takes effect on
the very next request.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from cases.domain.model import (
    Case,
    CaseState,
    Consent,
    DataKind,
    MemberState,
    Party,
    ReferralState,
    TeamMember,
)
from shared import consent as shared_consent

CASE_MANAGER_ROLE = "case-manager"
PARTNER_STAFF_ROLE = "partner-staff"
DIRECTOR_ROLE = "director"


class Relation(StrEnum):
    CASE_MANAGER = "case_manager"
    TEAM_MEMBER = "team_member"
    RECEIVING_PARTNER = "receiving_partner"  # staff of an institution a referral was sent to
    DIRECTOR = "director"  # head of the municipality's welfare centre: hands cases over, sees none


@dataclass(frozen=True)
class Actor:
    subject: str
    username: str
    roles: frozenset[str]
    tenants: frozenset[str]
    institution_id: uuid.UUID | None
    name: str | None = None  # the person's name (token claim `name`), for the access log


@dataclass(frozen=True)
class Access:
    relation: Relation
    kinds: frozenset[DataKind]
    institution_id: uuid.UUID | None
    member: TeamMember | None = None

    def allows(self, kind: DataKind | None) -> bool:
        return kind is None or kind in self.kinds

    @property
    def sees_team(self) -> bool:
        """The case manager and team members see the team; a receiving partner does not."""
        return self.relation in (Relation.CASE_MANAGER, Relation.TEAM_MEMBER)


ALL_KINDS = frozenset(DataKind)


def granted_kinds(
    institution_id: uuid.UUID, sector: str | None, consents: Iterable[Consent], now: datetime
) -> frozenset[DataKind]:
    """The kinds of data valid consents share with this institution at this moment (the shared
    decision, `shared.consent`, which the notifications service applies too)."""
    granted = shared_consent.granted_kinds(consents, institution_id, sector, now)
    return frozenset(DataKind(k) for k in granted)


def decide(
    actor: Actor,
    case: Case,
    *,
    consents: Iterable[Consent],
    team: Iterable[TeamMember],
    receiving_institutions: Iterable[uuid.UUID],
    sectors: Mapping[uuid.UUID, str | None],
    now: datetime,
) -> Access | None:
    """How the actor stands to this case, and which kinds of its data they may see; None means
    the case does not exist for them (404)."""
    if (
        CASE_MANAGER_ROLE in actor.roles
        and actor.subject == case.manager_subject
        and case.tenant in actor.tenants
    ):
        return Access(Relation.CASE_MANAGER, ALL_KINDS, actor.institution_id)
    if PARTNER_STAFF_ROLE not in actor.roles or actor.institution_id is None:
        return None
    if case.state == CaseState.CLOSED:  # the team's work, and with it the sharing, has ended
        return None
    institution = actor.institution_id
    kinds = granted_kinds(institution, sectors.get(institution), consents, now)
    member = next(
        (
            m
            for m in team
            if m.state == MemberState.ACTIVE
            and m.user_subject == actor.subject
            and m.institution_id == institution
        ),
        None,
    )
    access = shared_consent.partner_access(
        frozenset(kinds),
        case_closed=False,
        in_team=member is not None,
        receiving=institution in set(receiving_institutions),
    )
    if access is None:
        return None
    relation = Relation(access.relation)
    return Access(relation, frozenset(DataKind(k) for k in access.kinds), institution, member)


def may_reassign(actor: Actor, case: Case) -> Relation | None:
    """Who may hand the case over to another case manager: its own case manager, or the director
    of the welfare centre of the case's municipality (who employs the case managers and must be
    able to act when one is absent or gone). The director gains no sight of the case's data by it.
    Network coordinators, other case managers, partner staff and regional roles may not."""
    if (
        CASE_MANAGER_ROLE in actor.roles
        and actor.subject == case.manager_subject
        and case.tenant in actor.tenants
    ):
        return Relation.CASE_MANAGER
    if DIRECTOR_ROLE in actor.roles and case.tenant in actor.tenants:
        return Relation.DIRECTOR
    return None


def may_join(
    institution_id: uuid.UUID, sector: str | None, consents: Iterable[Consent], now: datetime
) -> bool:
    """An institution may be invited into the team only within a valid consent's scope."""
    return bool(granted_kinds(institution_id, sector, consents, now))


def referral_party(access: Access, institution_id: uuid.UUID, state: ReferralState) -> Party | None:
    """Whose side of a referral the caller is on: the case manager sends, the staff of the
    receiving institution (whose consent grants the referrals) receive — a draft only once sent;
    anyone else is neither and may not move it."""
    if access.relation == Relation.CASE_MANAGER:
        return Party.SENDER
    if (
        access.institution_id == institution_id
        and access.allows(DataKind.REFERRALS)
        and state != ReferralState.DRAFT
    ):
        return Party.RECEIVER
    return None
