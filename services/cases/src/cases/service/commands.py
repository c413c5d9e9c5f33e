"""Commands: what a caller asks the cases service to do (already validated for shape)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from cases.domain import model

DEFAULT_PURPOSE = "praca z rodziną"
# The family's own copy of its data (ADR 0016), unless the caller names another purpose.
EXPORT_PURPOSE = "udostępnienie rodzinie kopii jej danych (art. 15 ust. 3 i art. 20 RODO)"


@dataclass(frozen=True)
class FamilyMemberIn:
    first_name: str
    last_name: str
    year_of_birth: int | None = None
    relation: str | None = None
    phone: str | None = None
    email: str | None = None
    address: str | None = None
    pesel: str | None = None  # already validated; encrypted before it is stored


@dataclass(frozen=True)
class OpenCase:
    tenant: str
    family: list[FamilyMemberIn]
    purpose: str = DEFAULT_PURPOSE


@dataclass(frozen=True)
class AddFamilyMember:
    case_id: uuid.UUID
    person: FamilyMemberIn
    purpose: str = DEFAULT_PURPOSE


@dataclass(frozen=True)
class EditFamilyMember:
    """`changes` holds only the fields the caller sent (None clears an optional one); `pesel`
    is in it when sent: a validated number, or None to erase it."""

    case_id: uuid.UUID
    member_id: uuid.UUID
    changes: dict[str, Any]
    purpose: str = DEFAULT_PURPOSE


@dataclass(frozen=True)
class RemoveFamilyMember:
    case_id: uuid.UUID
    member_id: uuid.UUID
    purpose: str = DEFAULT_PURPOSE


@dataclass(frozen=True)
class ListRedactions:
    case_id: uuid.UUID
    purpose: str = DEFAULT_PURPOSE


@dataclass(frozen=True)
class ResolveRedaction:
    """The case manager redacts a place the removal left (`apply`) or says it is not the
    removed person (`apply=False`)."""

    case_id: uuid.UUID
    redaction_id: uuid.UUID
    apply: bool
    purpose: str = DEFAULT_PURPOSE


@dataclass(frozen=True)
class ChangeCaseState:
    case_id: uuid.UUID
    state: model.CaseState
    purpose: str = DEFAULT_PURPOSE


@dataclass(frozen=True)
class CloseCase:
    case_id: uuid.UUID
    reason: model.CloseReason
    note: str | None = None
    purpose: str = DEFAULT_PURPOSE


@dataclass(frozen=True)
class ReassignCase:
    case_id: uuid.UUID
    manager_subject: str
    manager_username: str
    reason_code: model.ReassignReason
    reason: str | None = None
    purpose: str = DEFAULT_PURPOSE


@dataclass(frozen=True)
class GiveConsent:
    case_id: uuid.UUID
    given_by_member_id: uuid.UUID
    method: model.ConsentMethod
    institution_ids: list[uuid.UUID]
    sectors: list[str]
    data_kinds: list[model.DataKind]
    given_at: datetime | None = None
    valid_until: datetime | None = None
    purpose: str = DEFAULT_PURPOSE


@dataclass(frozen=True)
class WithdrawConsent:
    case_id: uuid.UUID
    consent_id: uuid.UUID
    note: str | None = None
    purpose: str = DEFAULT_PURPOSE


@dataclass(frozen=True)
class ReinviteMember:
    """Invite again a member whose access ended with the consent (ADR 0037)."""

    case_id: uuid.UUID
    member_id: uuid.UUID
    purpose: str = DEFAULT_PURPOSE


@dataclass(frozen=True)
class InviteMember:
    case_id: uuid.UUID
    institution_id: uuid.UUID
    function: str | None = None
    username: str | None = None
    purpose: str = DEFAULT_PURPOSE


@dataclass(frozen=True)
class AnswerInvitation:
    member_id: uuid.UUID
    accept: bool


@dataclass(frozen=True)
class RemoveMember:
    case_id: uuid.UUID
    member_id: uuid.UUID
    purpose: str = DEFAULT_PURPOSE


@dataclass(frozen=True)
class AddDiagnosisEntry:
    case_id: uuid.UUID
    area: model.DiagnosisArea
    perspective: model.Perspective
    text: str
    purpose: str = DEFAULT_PURPOSE


@dataclass(frozen=True)
class UpdatePlan:
    case_id: uuid.UUID
    goals: list[dict[str, Any]]
    purpose: str = DEFAULT_PURPOSE


@dataclass(frozen=True)
class RecordReview:
    case_id: uuid.UUID
    reviewed_on: date
    goals: list[dict[str, Any]]
    family_assessment: str | None = None
    notes: str | None = None
    next_review_on: date | None = None
    purpose: str = DEFAULT_PURPOSE


@dataclass(frozen=True)
class CreateReferral:
    case_id: uuid.UUID
    service_id: uuid.UUID
    note: str | None = None
    send: bool = True
    purpose: str = DEFAULT_PURPOSE


@dataclass(frozen=True)
class MoveReferral:
    referral_id: uuid.UUID
    state: model.ReferralState
    reason_code: model.ReasonCode | None = None
    reason: str | None = None
    outcome_code: model.OutcomeCode | None = None
    outcome: str | None = None
    purpose: str = DEFAULT_PURPOSE


@dataclass(frozen=True)
class ScheduleMeeting:
    case_id: uuid.UUID
    kind: model.MeetingKind
    starts_at: datetime
    participants: list[dict[str, Any]]
    agenda: list[str] = field(default_factory=list)
    place: str | None = None
    online_url: str | None = None
    purpose: str = DEFAULT_PURPOSE


@dataclass(frozen=True)
class RecordMeetingHeld:
    meeting_id: uuid.UUID
    held_at: datetime
    notes: str | None
    decisions: list[dict[str, Any]]
    purpose: str = DEFAULT_PURPOSE


@dataclass(frozen=True)
class ReadCaseData:
    """A read of case data: checked against the consent and written to the access log."""

    case_id: uuid.UUID
    what: str
    kind: model.DataKind | None
    purpose: str = DEFAULT_PURPOSE
    manager_only: bool = False
    action: str = "read"  # "disclose" for the family's own copy of its data (ADR 0016)
