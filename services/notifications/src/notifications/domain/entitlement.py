"""Who may hear of a case event: the consent decision the cases API applies (`shared.consent`),
evaluated on this service's read model of the case (its consents, team and referrals, fed by the
case events), for the partner's institution, the event's kind of data, at the moment of delivery
(ADR 0036).

- Each case event type stands for a kind of data (plan events → `plan`, meeting events →
  `meetings`, referral events → `referrals`) or for the case itself (opened, closed, reassigned:
  any relation to the case). An event reaches a partner only if the partner's access allows it.
- A referral's events reach only its sending side and its receiving institution.
- Team events reach the team's members (a receiving partner outside the team does not see the
  team), and an institution hears of its own membership while a consent in force covers it.
- A consent event reaches the institutions that consent covers, trimmed to what concerns each:
  its own id, its own sector; a given consent only while it is in force.
- The municipality check (the event's tenant among the system's) is applied on top, elsewhere.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from shared import consent as policy
from shared.consent import PartnerAccess
from shared.contracts import EventData
from shared.contracts import cases as c

PARTNER_STAFF = "partner-staff"
CASE_MANAGER = "case-manager"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Scope:
    """One institution or one sector named in a consent's scope, with the consent's kinds of
    data and validity (a `shared.consent.ConsentScope`)."""

    consent_id: uuid.UUID
    institution_id: uuid.UUID | None
    sector: str | None
    valid_until: datetime | None
    withdrawn_at: datetime | None
    data_kinds: frozenset[str] = frozenset()
    given_at: datetime = EPOCH

    @property
    def institution_ids(self) -> frozenset[uuid.UUID]:
        return frozenset({self.institution_id}) if self.institution_id is not None else frozenset()

    @property
    def sectors(self) -> frozenset[str]:
        return frozenset({self.sector}) if self.sector is not None else frozenset()


@dataclass(frozen=True)
class Member:
    institution_id: uuid.UUID
    user_id: str | None
    left_at: datetime | None

    def active_at(self, at: datetime) -> bool:
        return self.left_at is None or self.left_at > at


@dataclass(frozen=True)
class Referral:
    referral_id: uuid.UUID
    receiving_institution_id: uuid.UUID
    sending_institution_id: uuid.UUID | None


@dataclass(frozen=True)
class CaseFacts:
    """What this service knows of a case, from its events."""

    case_id: uuid.UUID
    tenant: str | None
    closed_at: datetime | None = None
    manager_user_id: str | None = None
    scopes: tuple[Scope, ...] = ()
    team: tuple[Member, ...] = ()
    referrals: tuple[Referral, ...] = ()

    def access(
        self,
        institution_id: uuid.UUID,
        sector: str | None,
        at: datetime,
        *,
        person: str | None = None,
    ) -> PartnerAccess | None:
        """A partner's access to the case at `at`, as the cases API decides it. For a partner
        system (`person` None) the institution is in the team if any of its staff is; for a
        person, only if they themselves are a member (as in the API)."""
        granted = policy.granted_kinds(self.scopes, institution_id, sector, at)
        in_team = any(
            m.institution_id == institution_id
            and m.active_at(at)
            and (person is None or (m.user_id is not None and m.user_id == person))
            for m in self.team
        )
        receiving = any(r.receiving_institution_id == institution_id for r in self.referrals)
        return policy.partner_access(
            granted,
            case_closed=self.closed_at is not None and self.closed_at <= at,
            in_team=in_team,
            receiving=receiving,
        )

    def referral(self, referral_id: uuid.UUID) -> Referral | None:
        return next((r for r in self.referrals if r.referral_id == referral_id), None)


# The kind of data each case event stands for; None: the case itself (any relation to it).
EVENT_KINDS: dict[str, str | None] = {
    c.CaseOpened.event_type: None,
    c.CaseClosed.event_type: None,
    c.CaseReassigned.event_type: None,
    c.PlanUpdated.event_type: policy.PLAN,
    c.ReviewRecorded.event_type: policy.PLAN,
    c.MeetingScheduled.event_type: policy.MEETINGS,
    c.MeetingHeld.event_type: policy.MEETINGS,
    **{cls.event_type: policy.REFERRALS for cls in c.REFERRAL_EVENTS.values()},
}
TEAM_EVENTS = frozenset({c.TeamMemberJoined.event_type, c.TeamMemberLeft.event_type})
CONSENT_EVENTS = frozenset({c.FamilyConsented.event_type, c.ConsentWithdrawn.event_type})


def _trimmed_scope(
    data: c.FamilyConsented | c.ConsentWithdrawn, institution_id: uuid.UUID, sector: str | None
) -> EventData:
    return data.model_copy(
        update={
            "institution_ids": [i for i in data.institution_ids if i == institution_id],
            "sectors": [s for s in data.sectors if sector is not None and s == sector],
        }
    )


def _consent_reaches(
    data: c.FamilyConsented | c.ConsentWithdrawn,
    facts: CaseFacts,
    institution_id: uuid.UUID,
    sector: str | None,
    at: datetime,
) -> EventData | None:
    rows = [s for s in facts.scopes if s.consent_id == data.consent_id]
    if isinstance(data, c.FamilyConsented):
        named = institution_id in data.institution_ids or (
            sector is not None and sector in data.sectors
        )
        # A given consent concerns the partner while it is in force for it.
        in_force = any(
            policy.valid_at(s, at) and policy.covers(s, institution_id, sector) for s in rows
        )
        return _trimmed_scope(data, institution_id, sector) if named and in_force else None
    # A withdrawal concerns the institutions whose share it ended.
    everything = not data.institution_ids and not data.sectors
    if everything:
        named = any(policy.covers(s, institution_id, sector) for s in rows)
    else:
        named = institution_id in data.institution_ids or (
            sector is not None and sector in data.sectors
        )
    return _trimmed_scope(data, institution_id, sector) if named else None


CONSENT_ENDED = "consent_ended"


def _consent_end_reaches(
    data: c.ReferralWithdrawnConsent, facts: CaseFacts, institution_id: uuid.UUID
) -> EventData | None:
    """A referral ended because the consent ended (ADR 0037): its receiving institution (and
    its sending side) is told although the consent no longer shares anything with it — the event
    carries only the referral's identifiers, its states, times and the reason code, all of which
    the receiver held while the referral was open. A draft was never shown to the receiver, so
    its end is not told to it either."""
    if institution_id == data.sending_institution_id:
        return data
    referral = facts.referral(data.referral_id)
    if (
        institution_id == data.receiving_institution_id
        and referral is not None
        and referral.receiving_institution_id == institution_id
        and data.previous_state not in (None, "draft")
    ):
        return data
    return None


def reaches(
    event_type: str,
    data: EventData,
    facts: CaseFacts,
    institution_id: uuid.UUID,
    sector: str | None,
    at: datetime,
    *,
    person: str | None = None,
) -> EventData | None:
    """The case event as this partner (its system, or one of its staff: `person`) may receive it
    at `at`, or None when it must not reach them."""
    if isinstance(data, c.FamilyConsented | c.ConsentWithdrawn):
        return _consent_reaches(data, facts, institution_id, sector, at)
    if isinstance(data, c.ReferralWithdrawnConsent):
        return _consent_end_reaches(data, facts, institution_id)
    if (
        isinstance(data, c.TeamMemberLeft)
        and data.reason_code == CONSENT_ENDED
        and data.institution_id == institution_id
    ):
        # The member's own institution learns its access ended with the consent; the rest of
        # the team, as for any departure, while it may see the team.
        return data
    if event_type in TEAM_EVENTS:
        assert isinstance(data, c.TeamMemberJoined | c.TeamMemberLeft)
        if data.institution_id == institution_id:
            # Its own membership, while a consent in force covers it (after a withdrawal, the
            # withdrawal itself is what it is told).
            granted = policy.granted_kinds(facts.scopes, institution_id, sector, at)
            return data if granted else None
        access = facts.access(institution_id, sector, at, person=person)
        return data if access is not None and access.sees_team else None
    if event_type not in EVENT_KINDS:
        return None  # an event type this service does not know the kind of: no partner
    access = facts.access(institution_id, sector, at, person=person)
    if access is None or not access.allows(EVENT_KINDS[event_type]):
        return None
    if isinstance(data, c.ReferralEvent) and institution_id not in (
        data.sending_institution_id,
        data.receiving_institution_id,
    ):
        return None  # only the referral's sending side and its receiving institution
    return data


def audience(
    event_type: str,
    data: EventData,
    facts: CaseFacts,
    candidates: dict[uuid.UUID, str | None],
    at: datetime,
) -> set[uuid.UUID]:
    """The candidate institutions (id → sector) whose systems the event reaches at `at`."""
    return {
        i
        for i, sector in candidates.items()
        if reaches(event_type, data, facts, i, sector, at) is not None
    }


def opens(
    facts: CaseFacts,
    *,
    user_id: str,
    roles: Iterable[str],
    tenants: Iterable[str],
    institution_id: uuid.UUID | None,
    sector: str | None,
    kind: str | None,
    referral_id: uuid.UUID | None,
    at: datetime,
) -> bool:
    """Whether a person may open what a notice about the case points at (the case, or one of its
    referrals; `kind` the data it shows, as in the API) at `at`."""
    roles = set(roles)
    if (
        CASE_MANAGER in roles
        and facts.manager_user_id is not None
        and facts.manager_user_id == user_id
        and facts.tenant in set(tenants)
    ):
        return True
    if PARTNER_STAFF not in roles or institution_id is None:
        return False
    access = facts.access(institution_id, sector, at, person=user_id)
    if access is None or not access.allows(kind):
        return False
    if referral_id is not None and access.relation == policy.RECEIVING_PARTNER:
        referral = facts.referral(referral_id)
        return referral is not None and referral.receiving_institution_id == institution_id
    return True
