"""What happened in the partners domain. Internal facts; the service layer maps them to the
published contracts in shared.contracts.partners."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class DomainEvent:
    pass


@dataclass(frozen=True)
class InstitutionRegistered(DomainEvent):
    institution_id: uuid.UUID


@dataclass(frozen=True)
class InstitutionUpdated(DomainEvent):
    institution_id: uuid.UUID
    changed_fields: tuple[str, ...]


@dataclass(frozen=True)
class PartnershipEstablished(DomainEvent):
    partnership_id: uuid.UUID


@dataclass(frozen=True)
class PartnershipUpdated(DomainEvent):
    partnership_id: uuid.UUID
    changed_fields: tuple[str, ...]


@dataclass(frozen=True)
class MembershipChanged(DomainEvent):
    membership_id: uuid.UUID
    previous_state: str | None
    state: str
    effective_on: date


@dataclass(frozen=True)
class ContactPersonChanged(DomainEvent):
    contact_person_id: uuid.UUID


@dataclass(frozen=True)
class CoordinatorsChanged(DomainEvent):
    partnership_id: uuid.UUID
    count: int


@dataclass(frozen=True)
class MeetingScheduled(DomainEvent):
    meeting_id: uuid.UUID


@dataclass(frozen=True)
class MeetingHeld(DomainEvent):
    meeting_id: uuid.UUID
    held_at: datetime


@dataclass(frozen=True)
class MeetingCancelled(DomainEvent):
    meeting_id: uuid.UUID
    reason: str
