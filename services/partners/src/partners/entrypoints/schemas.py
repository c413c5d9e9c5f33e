"""The partners API's request and response models (OpenAPI), with Polish validation messages."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    HttpUrl,
    model_validator,
)

from partners.domain import identifiers
from partners.domain.model import MeetingStatus, MembershipState, Sector
from shared import clock
from shared.fields import IsoDate, StrictBool

Regon = Annotated[str, AfterValidator(identifiers.regon)]
Nip = Annotated[str, AfterValidator(identifiers.nip)]
Krs = Annotated[str, AfterValidator(identifiers.krs)]
Teryt = Annotated[str, AfterValidator(identifiers.teryt)]
PostalCode = Annotated[str, AfterValidator(identifiers.postal_code)]
Name = Annotated[str, Field(min_length=2, max_length=300)]
ShortText = Annotated[str, Field(min_length=1, max_length=500)]
LongText = Annotated[str, Field(max_length=20000)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def Kept() -> Any:
    """A PATCH field that may be left out but not cleared: absent keeps the value, and the
    OpenAPI does not offer null (the column is NOT NULL; null is refused with 422)."""
    return Field(default=None)


class InstitutionFields(Strict):
    legal_form: ShortText | None = Field(
        default=None, description="Forma prawna, np. jednostka budżetowa, fundacja"
    )
    regon: Regon | None = Field(default=None, description="REGON (9 lub 14 cyfr)")
    nip: Nip | None = Field(default=None, description="NIP (10 cyfr)")
    krs: Krs | None = Field(default=None, description="Numer w KRS")
    street: ShortText | None = None
    postal_code: PostalCode | None = None
    city: ShortText | None = None
    email: EmailStr | None = None
    phone: Annotated[str, Field(min_length=3, max_length=40)] | None = None
    website: HttpUrl | None = None
    description: LongText | None = None

    def details(self) -> dict[str, Any]:
        data = self.model_dump(exclude_unset=True)
        if data.get("website") is not None:
            data["website"] = str(data["website"])
        return data


class InstitutionCreate(InstitutionFields):
    id: uuid.UUID | None = Field(
        default=None, description="Identyfikator nadany z góry (np. przy imporcie); zwykle pomiń"
    )
    name: Name
    sector: Sector
    tenant: Teryt | None = Field(
        default=None, description="Gmina prowadząca wpis; domyślnie gmina zalogowanego"
    )
    tenants_served: list[Teryt] = Field(
        default_factory=list, description="Gminy, którym instytucja służy"
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Szkoła Podstawowa nr 2 w Wieliczce",
                    "sector": "education",
                    "legal_form": "jednostka budżetowa",
                    "regon": "123456785",
                    "street": "ul. Szkolna 1",
                    "postal_code": "32-020",
                    "city": "Wieliczka",
                    "email": "sekretariat@sp2.example.org",
                }
            ]
        }
    )

    def details(self) -> dict[str, Any]:
        data = super().details()
        for key in ("id", "name", "sector", "tenant", "tenants_served"):
            data.pop(key, None)
        return data


class InstitutionPatch(InstitutionFields):
    name: Name = Kept()
    sector: Sector = Kept()
    tenants_served: list[Teryt] = Kept()

    model_config = ConfigDict(json_schema_extra={"examples": [{"phone": "+48 12 000 00 00"}]})


class MembershipSummary(BaseModel):
    membership_id: uuid.UUID
    partnership_id: uuid.UUID
    tenant: str
    state: MembershipState
    since: date


class InstitutionOut(BaseModel):
    id: uuid.UUID
    tenant: str
    name: str
    sector: Sector
    sector_name: str
    tenants_served: list[str]
    legal_form: str | None
    regon: str | None
    nip: str | None
    krs: str | None
    street: str | None
    postal_code: str | None
    city: str | None
    email: str | None
    phone: str | None
    website: str | None
    description: str | None
    membership: MembershipSummary | None = Field(
        default=None, description="Członkostwo w partnerstwie wybranej gminy"
    )
    updated_at: datetime


class PartnershipCreate(Strict):
    tenant: Teryt | None = None
    name: Name
    municipality_name: Name
    leader_institution_id: uuid.UUID
    goals: LongText | None = None
    principles: LongText | None = None
    meeting_frequency: ShortText | None = None
    formal_act_kind: ShortText | None = Field(
        default=None, description="np. uchwała rady gminy, porozumienie, zarządzenie wójta"
    )
    formal_act_reference: ShortText | None = None
    formal_act_date: date | None = None
    established_on: date | None = None

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Partnerstwo na rzecz rodzin w Gminie Wieliczka",
                    "municipality_name": "Wieliczka",
                    "leader_institution_id": "5b0c9a52-1f6e-4d8f-9d53-0c1f1c0e0a01",
                    "meeting_frequency": "raz na kwartał",
                    "formal_act_kind": "uchwała rady gminy",
                    "formal_act_reference": "XII/123/2026",
                }
            ]
        }
    )


class PartnershipPatch(Strict):
    name: Name = Kept()
    municipality_name: Name = Kept()
    leader_institution_id: uuid.UUID = Kept()
    goals: LongText | None = None
    principles: LongText | None = None
    meeting_frequency: ShortText | None = None
    formal_act_kind: ShortText | None = None
    formal_act_reference: ShortText | None = None
    formal_act_date: date | None = None
    established_on: date | None = None


class CoordinatorOut(BaseModel):
    id: uuid.UUID
    name: str
    email: str | None
    phone: str | None
    user_id: str | None
    institution_id: uuid.UUID | None
    since: date | None
    until: date | None


class MunicipalityOut(BaseModel):
    teryt: str = Field(description="Kod TERYT gminy")
    name: str = Field(description="Nazwa gminy")


class PartnershipOut(BaseModel):
    id: uuid.UUID
    tenant: str
    name: str
    municipality_name: str
    leader_institution_id: uuid.UUID
    leader_name: str
    goals: str | None
    principles: str | None
    meeting_frequency: str | None
    formal_act_kind: str | None
    formal_act_reference: str | None
    formal_act_date: date | None
    established_on: date | None
    members_by_state: dict[str, int]
    coordinators: list[CoordinatorOut]
    coordinator_warning: str | None = Field(
        description="Ostrzeżenie, gdy partnerstwo ma mniej niż dwóch koordynatorów"
    )


class MembershipCreate(Strict):
    partnership_id: uuid.UUID
    institution_id: uuid.UUID
    state: MembershipState = MembershipState.INVITED
    effective_on: date = Field(default_factory=clock.today)
    declaration_reference: ShortText | None = Field(
        default=None, description="Sygnatura/numer deklaracji przystąpienia (dla stanu declared)"
    )
    declaration_date: date | None = None
    reason: ShortText | None = None

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "partnership_id": "5b0c9a52-1f6e-4d8f-9d53-0c1f1c0e0a02",
                    "institution_id": "5b0c9a52-1f6e-4d8f-9d53-0c1f1c0e0a03",
                    "state": "informal",
                }
            ]
        }
    )


class MembershipTransition(Strict):
    state: MembershipState
    effective_on: date = Field(default_factory=clock.today)
    reason: ShortText | None = None
    declaration_reference: ShortText | None = None
    declaration_date: date | None = None

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"state": "declared", "declaration_reference": "OPS.4012.7.2026"},
                {"state": "suspended", "reason": "Reorganizacja placówki"},
            ]
        }
    )


class MembershipChangeOut(BaseModel):
    previous_state: MembershipState | None
    state: MembershipState
    effective_on: date
    reason: str | None
    declaration_reference: str | None
    changed_by: str
    changed_at: datetime


class MembershipOut(BaseModel):
    id: uuid.UUID
    tenant: str
    partnership_id: uuid.UUID
    institution_id: uuid.UUID
    institution_name: str
    sector: Sector
    state: MembershipState
    state_name: str
    since: date
    declaration_reference: str | None
    declaration_date: date | None
    history: list[MembershipChangeOut]


class ContactPersonCreate(Strict):
    name: Name
    position: ShortText | None = None
    email: EmailStr | None = None
    phone: Annotated[str, Field(min_length=3, max_length=40)] | None = None
    user_id: ShortText | None = None


class ContactPersonPatch(Strict):
    name: Name = Kept()
    position: ShortText | None = None
    email: EmailStr | None = None
    phone: Annotated[str, Field(min_length=3, max_length=40)] | None = None
    user_id: ShortText | None = None
    active: StrictBool = Kept()


class ContactPersonOut(BaseModel):
    id: uuid.UUID
    institution_id: uuid.UUID
    name: str
    position: str | None
    email: str | None
    phone: str | None
    user_id: str | None
    active: bool


class CoordinatorCreate(Strict):
    name: Name
    email: EmailStr | None = None
    phone: Annotated[str, Field(min_length=3, max_length=40)] | None = None
    user_id: ShortText | None = None
    institution_id: uuid.UUID | None = None
    since: IsoDate = Field(default_factory=clock.today)


class CoordinatorEnd(Strict):
    until: date = Field(default_factory=clock.today)


class Attendance(Strict):
    institution_id: uuid.UUID
    person_name: ShortText | None = None


class MeetingCreate(Strict):
    partnership_id: uuid.UUID
    title: Name
    starts_at: datetime
    ends_at: datetime | None = None
    place: ShortText | None = None
    online_url: HttpUrl | None = None
    host_institution_id: uuid.UUID | None = Field(
        default=None, description="Gospodarz; gdy brak, przyjmuje się proponowanego"
    )
    chair_institution_id: uuid.UUID | None = None
    chair_name: ShortText | None = None
    agenda: list[ShortText] = Field(default_factory=list)

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "partnership_id": "5b0c9a52-1f6e-4d8f-9d53-0c1f1c0e0a02",
                    "title": "Spotkanie partnerstwa – IV kwartał",
                    "starts_at": "2026-12-10T10:00:00+01:00",
                    "place": "Sala narad Urzędu Miasta i Gminy",
                    "agenda": ["Przegląd koszyka usług", "Wolne wnioski"],
                }
            ]
        }
    )

    @model_validator(mode="after")
    def _aware(self) -> MeetingCreate:
        if self.starts_at.tzinfo is None:
            raise ValueError("starts_at: podaj strefę czasową (np. +01:00).")
        return self


class MeetingHeldIn(Strict):
    held_at: datetime | None = None
    attendance: list[Attendance]
    minutes: LongText | None = None
    decisions: list[Annotated[str, Field(min_length=1, max_length=2000)]] = Field(
        default_factory=list
    )


class MeetingCancelIn(Strict):
    reason: ShortText


class MeetingOut(BaseModel):
    id: uuid.UUID
    tenant: str
    partnership_id: uuid.UUID
    title: str
    status: MeetingStatus
    starts_at: datetime
    ends_at: datetime | None
    place: str | None
    online_url: str | None
    host_institution_id: uuid.UUID | None
    chair_institution_id: uuid.UUID | None
    chair_name: str | None
    agenda: list[str]
    attendance: list[dict[str, Any]]
    minutes: str | None
    decisions: list[str]
    held_at: datetime | None
    cancel_reason: str | None


class ProposedHost(BaseModel):
    institution_id: uuid.UUID | None
    institution_name: str | None
    reason: str


class SectorCoverage(BaseModel):
    sector: Sector
    sector_name: str
    recommended: bool
    active_members: int
    members_by_state: dict[str, int]


class CoverageOut(BaseModel):
    partnership_id: uuid.UUID
    sectors: list[SectorCoverage]
    missing_recommended: list[Sector]
    missing_recommended_names: list[str]


class BenefitSectionOut(BaseModel):
    heading: str | None
    benefits: list[str]


class BenefitCardOut(BaseModel):
    key: str
    title: str
    sector_name: str
    includes: list[str]
    sections: list[BenefitSectionOut]


class Created(BaseModel):
    id: uuid.UUID
