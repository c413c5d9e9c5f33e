"""What happened in the cases domain. Internal facts; the service layer maps them to the published
contracts in shared.contracts.cases (which never carry personal data)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class DomainEvent:
    pass


@dataclass(frozen=True)
class CaseOpened(DomainEvent):
    case_id: uuid.UUID


@dataclass(frozen=True)
class CaseClosed(DomainEvent):
    case_id: uuid.UUID


@dataclass(frozen=True)
class CaseReassigned(DomainEvent):
    case_id: uuid.UUID
    previous_subject: str
    reason_code: str
    by_relation: str
    at: datetime


@dataclass(frozen=True)
class ConsentGiven(DomainEvent):
    consent_id: uuid.UUID


@dataclass(frozen=True)
class ConsentWithdrawn(DomainEvent):
    consent_id: uuid.UUID


@dataclass(frozen=True)
class MemberJoined(DomainEvent):
    member_id: uuid.UUID


@dataclass(frozen=True)
class MemberLeft(DomainEvent):
    member_id: uuid.UUID


@dataclass(frozen=True)
class PlanUpdated(DomainEvent):
    case_id: uuid.UUID
    version: int


@dataclass(frozen=True)
class ReviewRecorded(DomainEvent):
    review_id: uuid.UUID


@dataclass(frozen=True)
class ReferralMoved(DomainEvent):
    """A referral reached `state` (requested, accepted, … cancelled)."""

    referral_id: uuid.UUID
    previous_state: str | None
    state: str
    at: datetime


@dataclass(frozen=True)
class MeetingScheduled(DomainEvent):
    meeting_id: uuid.UUID


@dataclass(frozen=True)
class MeetingHeld(DomainEvent):
    meeting_id: uuid.UUID
