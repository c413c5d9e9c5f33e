"""Events of the partners service (the registry and the partnership of each municipality)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import Field

from shared.contracts.envelope import EventData

SOURCE = "/cus/partners"

Sector = Literal[
    "education",
    "health",
    "justice",
    "police",
    "ngo",
    "social_economy",
    "labour_market",
    "family_support",
    "business",
    "local_government",
    "social_assistance",
]
# The sectors' names, defined once (issue 14 §1, ADR 0082): the partners registry, the cases
# service's documents (in lower case, mid-sentence) and the web's pages read them from here. The
# order is the one forms list them in.
SECTOR_NAMES: dict[str, dict[str, str]] = {
    "pl": {
        "social_assistance": "Pomoc społeczna",
        "education": "Edukacja",
        "health": "Ochrona zdrowia",
        "justice": "Wymiar sprawiedliwości",
        "police": "Policja",
        "ngo": "Organizacje pozarządowe",
        "social_economy": "Ekonomia społeczna",
        "labour_market": "Rynek pracy",
        "family_support": "Wspieranie rodziny i piecza zastępcza",
        "business": "Biznes lokalny",
        "local_government": "Samorząd",
    },
    "en": {
        "social_assistance": "Social assistance",
        "education": "Education",
        "health": "Health care",
        "justice": "Justice",
        "police": "Police",
        "ngo": "Non-governmental organisations",
        "social_economy": "Social economy",
        "labour_market": "Labour market",
        "family_support": "Family support and foster care",
        "business": "Local business",
        "local_government": "Local government",
    },
}
SECTORS: tuple[str, ...] = tuple(SECTOR_NAMES["pl"])
MembershipState = Literal["invited", "informal", "declared", "suspended", "left"]


class InstitutionRegistered(EventData):
    event_type = "partners.institution.registered"

    institution_id: uuid.UUID
    name: str = Field(description="The institution's name (an organisation, not a person)")
    sector: Sector
    legal_form: str | None = None
    regon: str | None = None
    tenants_served: list[str] = Field(description="TERYT codes of the municipalities it serves")


class InstitutionUpdated(EventData):
    event_type = "partners.institution.updated"

    institution_id: uuid.UUID
    name: str
    sector: Sector
    legal_form: str | None = None
    regon: str | None = None
    tenants_served: list[str]
    changed_fields: list[str] = Field(description="Names of the fields that changed")


class PartnershipEstablished(EventData):
    event_type = "partners.partnership.established"

    partnership_id: uuid.UUID
    name: str
    leader_institution_id: uuid.UUID


class PartnershipUpdated(EventData):
    event_type = "partners.partnership.updated"

    partnership_id: uuid.UUID
    name: str
    leader_institution_id: uuid.UUID
    changed_fields: list[str]


class MembershipChanged(EventData):
    """A membership was created or changed state; `state` is the new state."""

    event_type = "partners.membership.changed"

    membership_id: uuid.UUID
    partnership_id: uuid.UUID
    institution_id: uuid.UUID
    sector: Sector
    previous_state: MembershipState | None = Field(
        default=None, description="None when the membership was just created"
    )
    state: MembershipState
    effective_on: date


class ContactPersonChanged(EventData):
    """A contact person of an institution was designated, changed or removed.

    Contact persons are staff of partner institutions acting in that role, not families.
    """

    event_type = "partners.contact_person.changed"

    contact_person_id: uuid.UUID
    institution_id: uuid.UUID
    user_id: str | None = Field(default=None, description="Keycloak user id, when they have one")
    name: str
    role: str | None = None
    email: str | None = None
    phone: str | None = None
    active: bool


class CoordinatorsChanged(EventData):
    event_type = "partners.coordinators.changed"

    partnership_id: uuid.UUID
    coordinator_count: int
    understaffed: bool = Field(description="True when the partnership has fewer than two")


class MeetingScheduled(EventData):
    event_type = "partners.meeting.scheduled"

    meeting_id: uuid.UUID
    partnership_id: uuid.UUID
    starts_at: datetime
    host_institution_id: uuid.UUID | None
    chair_institution_id: uuid.UUID | None
    online: bool


class MeetingHeld(EventData):
    event_type = "partners.meeting.held"

    meeting_id: uuid.UUID
    partnership_id: uuid.UUID
    held_at: datetime
    host_institution_id: uuid.UUID | None
    attending_institution_ids: list[uuid.UUID]
    decision_count: int


class MeetingCancelled(EventData):
    event_type = "partners.meeting.cancelled"

    meeting_id: uuid.UUID
    partnership_id: uuid.UUID
    reason: str
