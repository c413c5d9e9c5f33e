"""Events of the cases service (task cooperation teams around a family).

They carry identifiers, the tenant, the institutions and sectors involved and the times — never a
family's names, PESEL, address or contact, nor the content of a diagnosis, plan, note or free-text
reason. A consumer that needs more asks the cases API, where consent is checked.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import Field

from shared.contracts.envelope import EventData
from shared.contracts.partners import Sector

SOURCE = "/cus/cases"

DataKind = Literal["diagnosis", "plan", "referrals", "meetings", "contact"]
ConsentMethod = Literal["paper", "verbal", "electronic"]
ReferralState = Literal[
    "draft", "requested", "accepted", "rejected", "cancelled", "in-progress", "on-hold",
    "completed", "failed", "withdrawn-consent",
]  # fmt: skip
ReasonCode = Literal[
    "not_eligible",
    "no_capacity",
    "family_declined",
    "family_unreachable",
    "service_unavailable",
    "duplicate",
    "other",
    "consent_withdrawn",
    "consent_expired",
]
OutcomeCode = Literal["goal_achieved", "partially_achieved", "not_achieved", "other"]
CloseReason = Literal[
    "goals_achieved", "family_withdrew", "moved_away", "transferred", "no_cooperation", "other"
]
ReassignReason = Literal[
    "absence", "staff_change", "workload", "conflict_of_interest", "family_request", "other"
]
CapacityStatus = Literal["available", "waitlist", "no_capacity"]


class CaseOpened(EventData):
    event_type = "cases.case.opened"

    case_id: uuid.UUID
    opened_at: datetime
    family_size: int = Field(description="Number of people in the family record")
    case_manager_user_id: str | None = Field(
        default=None,
        description="Keycloak subject of the case manager (staff, not the family's data); absent "
        "in older events",
    )


class CaseClosed(EventData):
    event_type = "cases.case.closed"

    case_id: uuid.UUID
    opened_at: datetime
    closed_at: datetime
    reason_code: CloseReason


class CaseDisposed(EventData):
    """The closed case's file was disposed of at the end of its retention period, after the
    recorded approval (ADR 0018): its data, family and access log are gone from the cases
    service. Consumers drop what they hold about the case."""

    event_type = "cases.case.disposed"

    case_id: uuid.UUID
    disposed_at: datetime
    category: str = Field(description="The file's archival category, e.g. B10")


class CaseReassigned(EventData):
    """The case was handed over to another case manager of the same municipality; the previous
    one no longer has access to it."""

    event_type = "cases.case.reassigned"

    case_id: uuid.UUID
    reassigned_at: datetime
    case_manager_user_id: str = Field(description="Keycloak subject of the new case manager")
    previous_case_manager_user_id: str = Field(
        description="Keycloak subject of the case manager who handed the case over"
    )
    reason_code: ReassignReason = Field(
        description="Category of the reason; the free text stays in the service"
    )
    by_relation: Literal["case_manager", "director"] = Field(
        description="Who handed it over: the case manager or the welfare centre's director"
    )


class FamilyConsented(EventData):
    """A family member gave consent to sharing with partner institutions, within a scope."""

    event_type = "cases.family.consented"

    case_id: uuid.UUID
    consent_id: uuid.UUID
    given_at: datetime
    method: ConsentMethod
    institution_ids: list[uuid.UUID] = Field(description="Institutions named in the scope")
    sectors: list[Sector] = Field(description="Whole sectors named in the scope")
    data_kinds: list[DataKind]
    valid_until: datetime | None = None


class ConsentWithdrawn(EventData):
    event_type = "cases.consent.withdrawn"

    case_id: uuid.UUID
    consent_id: uuid.UUID
    withdrawn_at: datetime
    institution_ids: list[uuid.UUID]
    sectors: list[Sector]


class TeamMemberJoined(EventData):
    event_type = "cases.team.member_joined"

    case_id: uuid.UUID
    member_id: uuid.UUID
    institution_id: uuid.UUID
    sector: Sector | None
    joined_at: datetime
    user_id: str | None = Field(
        default=None,
        description="Keycloak subject of the specialist who joined (staff, not the family's "
        "data); absent in older events",
    )


class TeamMemberLeft(EventData):
    event_type = "cases.team.member_left"

    case_id: uuid.UUID
    member_id: uuid.UUID
    institution_id: uuid.UUID
    sector: Sector | None
    left_at: datetime
    reason_code: Literal["consent_ended", "case_closed"] | None = Field(
        default=None,
        description="Why: no valid consent covers the institution any more, or the case was "
        "closed; absent when the member left or was removed by the case manager (and in older "
        "events)",
    )


class PlanUpdated(EventData):
    event_type = "cases.plan.updated"

    case_id: uuid.UUID
    version: int
    goal_count: int
    action_count: int
    actions_done: int
    responsible_institution_ids: list[uuid.UUID]
    updated_at: datetime
    goals_total: int | None = Field(
        default=None, description="Goals in this plan version (as goal_count; absent in old events)"
    )
    goals_achieved: int | None = Field(
        default=None,
        description="Goals of this version the latest monitoring review assessing each marked "
        "reached (absent in old events)",
    )


class ReviewRecorded(EventData):
    """The case manager recorded a monitoring review of the support plan with the family. Counts
    only: the goals, the family's assessment and notes stay in the service."""

    event_type = "cases.review.recorded"

    case_id: uuid.UUID
    review_id: uuid.UUID
    plan_version: int = Field(description="The plan version the review assessed")
    reviewed_on: date
    next_review_on: date | None = None
    recorded_at: datetime
    goals_total: int = Field(description="Goals in the plan version reviewed")
    goals_reviewed: int
    goals_progressed: int
    goals_reached: int
    goals_not_reached: int
    family_assessed: bool = Field(description="Whether the family's own assessment was recorded")


class MeetingScheduled(EventData):
    event_type = "cases.meeting.scheduled"

    case_id: uuid.UUID
    meeting_id: uuid.UUID
    kind: Literal["meeting", "consultation"]
    starts_at: datetime
    online: bool
    institution_ids: list[uuid.UUID] = Field(description="Institutions of the participants")
    family_participates: bool


class MeetingHeld(EventData):
    event_type = "cases.meeting.held"

    case_id: uuid.UUID
    meeting_id: uuid.UUID
    kind: Literal["meeting", "consultation"]
    held_at: datetime
    institution_ids: list[uuid.UUID]
    family_participated: bool
    decision_count: int
    decisions_with_family_consent: int


class ReferralEvent(EventData):
    """Common facts of every referral event (one subject per state the referral reaches)."""

    referral_id: uuid.UUID
    case_id: uuid.UUID
    service_id: uuid.UUID
    sending_institution_id: uuid.UUID | None = None
    sending_sector: Sector | None = "social_assistance"
    receiving_institution_id: uuid.UUID
    receiving_sector: Sector | None
    state: ReferralState
    previous_state: ReferralState | None
    at: datetime = Field(description="When the referral reached this state")
    requested_at: datetime | None = None
    reason_code: ReasonCode | None = Field(
        default=None, description="Category of the reason; the free text stays in the service"
    )
    outcome_code: OutcomeCode | None = None
    capacity_status: CapacityStatus | None = Field(
        default=None, description="The offering's capacity when the referral was sent"
    )


class ReferralRequested(ReferralEvent):
    event_type = "cases.referral.requested"


class ReferralAccepted(ReferralEvent):
    event_type = "cases.referral.accepted"


class ReferralRejected(ReferralEvent):
    event_type = "cases.referral.rejected"


class ReferralInProgress(ReferralEvent):
    event_type = "cases.referral.in_progress"


class ReferralOnHold(ReferralEvent):
    event_type = "cases.referral.on_hold"


class ReferralCompleted(ReferralEvent):
    event_type = "cases.referral.completed"


class ReferralFailed(ReferralEvent):
    event_type = "cases.referral.failed"


class ReferralCancelled(ReferralEvent):
    event_type = "cases.referral.cancelled"


class ReferralWithdrawnConsent(ReferralEvent):
    """The referral ended because the family's consent no longer covers the receiving
    institution (`reason_code` consent_withdrawn | consent_expired). Its receiver is told even
    though the consent is gone: the event says only that this referral ended, and why."""

    event_type = "cases.referral.withdrawn_consent"


REFERRAL_EVENTS: dict[str, type[ReferralEvent]] = {
    "requested": ReferralRequested,
    "accepted": ReferralAccepted,
    "rejected": ReferralRejected,
    "in-progress": ReferralInProgress,
    "on-hold": ReferralOnHold,
    "completed": ReferralCompleted,
    "failed": ReferralFailed,
    "cancelled": ReferralCancelled,
    "withdrawn-consent": ReferralWithdrawnConsent,
}
