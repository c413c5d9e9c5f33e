"""Commands: what a caller asks the partners service to do (already validated for shape)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from partners.domain.model import MembershipState, Sector


@dataclass(frozen=True)
class RegisterInstitution:
    tenant: str
    name: str
    sector: Sector
    tenants_served: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    institution_id: uuid.UUID | None = None


@dataclass(frozen=True)
class UpdateInstitution:
    institution_id: uuid.UUID
    changes: dict[str, Any]


@dataclass(frozen=True)
class EstablishPartnership:
    tenant: str
    name: str
    municipality_name: str
    leader_institution_id: uuid.UUID
    details: dict[str, Any] = field(default_factory=dict)
    partnership_id: uuid.UUID | None = None


@dataclass(frozen=True)
class UpdatePartnership:
    partnership_id: uuid.UUID
    changes: dict[str, Any]


@dataclass(frozen=True)
class AddMembership:
    partnership_id: uuid.UUID
    institution_id: uuid.UUID
    state: MembershipState
    effective_on: date
    declaration_reference: str | None = None
    declaration_date: date | None = None
    reason: str | None = None


@dataclass(frozen=True)
class ChangeMembershipState:
    membership_id: uuid.UUID
    state: MembershipState
    effective_on: date
    reason: str | None = None
    declaration_reference: str | None = None
    declaration_date: date | None = None


@dataclass(frozen=True)
class AddContactPerson:
    institution_id: uuid.UUID
    name: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class UpdateContactPerson:
    contact_person_id: uuid.UUID
    changes: dict[str, Any]


@dataclass(frozen=True)
class AddCoordinator:
    partnership_id: uuid.UUID
    name: str
    since: date
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class EndCoordinator:
    coordinator_id: uuid.UUID
    until: date


@dataclass(frozen=True)
class ScheduleMeeting:
    partnership_id: uuid.UUID
    title: str
    starts_at: datetime
    details: dict[str, Any] = field(default_factory=dict)
    host_institution_id: uuid.UUID | None = None
    use_proposed_host: bool = True


@dataclass(frozen=True)
class RecordMeetingHeld:
    meeting_id: uuid.UUID
    held_at: datetime
    attendance: list[dict[str, Any]]
    minutes: str | None
    decisions: list[str]


@dataclass(frozen=True)
class CancelMeeting:
    meeting_id: uuid.UUID
    reason: str
