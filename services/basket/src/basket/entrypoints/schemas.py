"""The basket API's request and response models (OpenAPI), with Polish descriptions."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt, model_validator

from basket.domain import model
from shared.contracts.basket import TargetGroup as TargetGroup  # defined once there (ADR 0082)

Teryt = Annotated[str, Field(pattern=r"^\d{4}(\d{3})?$", description="Kod TERYT gminy")]
ShortText = Annotated[str, Field(min_length=1, max_length=500)]
LongText = Annotated[str, Field(max_length=20000)]
Email = Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)]
Language = Annotated[str, Field(pattern=r"^[a-z]{2,3}$", description="Kod języka ISO 639")]


def in_utc(value: datetime | None) -> datetime | None:
    """The moment in UTC, as PostgreSQL gets it; one past year 9999 there (9999-12-31T23:00-05:00)
    is refused instead of overflowing in the driver."""
    if value is None or value.tzinfo is None:
        return value
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("Data i godzina poza obsługiwanym zakresem.") from None


# Bounds of the lists of an offering: far above any real one, far below what would strain a page.
Places = Annotated[list["PlaceIn"], Field(max_length=50)]
Slots = Annotated[list["ScheduleIn"], Field(max_length=100)]
Documents = Annotated[list[ShortText], Field(max_length=50)]
Languages = Annotated[list[Language], Field(max_length=30)]
Municipalities = Annotated[list[Teryt], Field(max_length=500)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CostIn(Strict):
    kind: model.CostKind = Field(description="free – bezpłatna, co_paid – częściowo, paid – płatna")
    amount: float | None = Field(default=None, ge=0, le=1_000_000, description="Kwota w PLN")
    description: ShortText | None = Field(default=None, description="Np. „za godzinę zajęć”")

    def domain(self) -> model.Cost:
        return model.Cost(kind=self.kind, amount=self.amount, description=self.description)


class PlaceIn(Strict):
    name: ShortText | None = None
    street: ShortText | None = None
    postal_code: Annotated[str, Field(pattern=r"^\d{2}-\d{3}$")] | None = None
    city: ShortText | None = None
    latitude: float | None = Field(default=None, description="Szerokość geograficzna (WGS 84)")
    longitude: float | None = Field(default=None, description="Długość geograficzna (WGS 84)")
    accessible: bool = Field(default=False, description="Dostępne dla osób z niepełnosprawnością")
    accessibility_notes: ShortText | None = None

    def domain(self) -> model.Place:
        return model.Place(**self.model_dump())


class ScheduleIn(Strict):
    weekday: int = Field(ge=1, le=7, description="1 = poniedziałek … 7 = niedziela")
    opens_at: time
    closes_at: time
    notes: ShortText | None = None

    def domain(self) -> model.ScheduleSlot:
        return model.ScheduleSlot(**self.model_dump())


class ContactIn(Strict):
    name: Annotated[str, Field(min_length=2, max_length=200)]
    role: ShortText | None = None
    phone: Annotated[str, Field(min_length=3, max_length=40)] | None = None
    email: Email | None = None

    def domain(self) -> model.Contact:
        return model.Contact(**self.model_dump())


class EligibilityIn(Strict):
    description: LongText | None = Field(default=None, description="Kto może skorzystać (opis)")
    min_age: int | None = Field(default=None, ge=0, le=120)
    max_age: int | None = Field(default=None, ge=0, le=120)
    residence: Municipalities = Field(default_factory=list, description="Gminy zamieszkania")
    referral_required: bool = Field(default=False, description="Wymagane skierowanie")
    decision_required: bool = Field(default=False, description="Wymagana decyzja administracyjna")

    def domain(self) -> model.Eligibility:
        return model.Eligibility(**self.model_dump())


class OfferingFields(Strict):
    description: LongText = ""
    target_groups: list[TargetGroup] = Field(default_factory=list)
    eligibility: EligibilityIn = Field(default_factory=EligibilityIn)
    required_documents: Documents = Field(default_factory=list)
    cost: CostIn = Field(default_factory=lambda: CostIn(kind=model.CostKind.FREE))
    places: Places = Field(default_factory=list)
    schedule: Slots = Field(default_factory=list)
    languages: Languages = Field(default_factory=lambda: ["pl"])
    tenants_served: Municipalities = Field(
        default_factory=list, description="Obszar działania: gminy (kody TERYT)"
    )
    website: Annotated[str, Field(pattern=r"^https?://", max_length=500)] | None = None


def _domain_values(body: BaseModel, keys: set[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key in keys:
        value = getattr(body, key)
        if isinstance(value, list):
            values[key] = [v.domain() if hasattr(v, "domain") else v for v in value]
        elif hasattr(value, "domain"):
            values[key] = value.domain()
        else:
            values[key] = value
    return values


class OfferingCreate(OfferingFields):
    id: uuid.UUID | None = Field(
        default=None, description="Identyfikator nadany z góry; zwykle pomiń"
    )
    tenant: Teryt | None = Field(
        default=None, description="Gmina koszyka; domyślnie gmina zalogowanego"
    )
    institution_id: uuid.UUID = Field(description="Instytucja realizująca (partner)")
    title: Annotated[str, Field(min_length=3, max_length=300)]
    category: Annotated[str, Field(min_length=1, max_length=100)] = Field(
        description="Kod kategorii (GET /v1/categories)"
    )
    contact: ContactIn = Field(description="Osoba do kontaktu")
    capacity_status: model.Capacity = model.Capacity.AVAILABLE
    waiting_days: int | None = Field(default=None, ge=0, le=3650)

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "institution_id": "7a1c3e52-5d0b-4a53-9b1e-2f6d0c8a0001",
                    "title": "Konsultacje psychologiczne dla rodziców",
                    "description": "Indywidualne spotkania z psychologiem.",
                    "category": "family_support.counselling",
                    "target_groups": ["parents", "families"],
                    "eligibility": {"description": "Mieszkańcy gminy", "referral_required": False},
                    "cost": {"kind": "free"},
                    "places": [
                        {
                            "street": "ul. Słowackiego 1",
                            "postal_code": "32-020",
                            "city": "Wieliczka",
                            "latitude": 49.987,
                            "longitude": 20.064,
                            "accessible": True,
                        }
                    ],
                    "schedule": [{"weekday": 2, "opens_at": "09:00", "closes_at": "15:00"}],
                    "contact": {"name": "Anna Nowak", "phone": "+48 12 000 00 00"},
                }
            ]
        }
    )

    def values(self) -> dict[str, Any]:
        keys = set(OfferingFields.model_fields) | {"title", "contact"}
        values = _domain_values(self, keys)
        values["capacity_status"] = self.capacity_status
        values["waiting_days"] = self.waiting_days
        return values


class OfferingPatch(Strict):
    title: Annotated[str, Field(min_length=3, max_length=300)] | None = None
    description: LongText | None = None
    category: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    target_groups: list[TargetGroup] | None = None
    eligibility: EligibilityIn | None = None
    required_documents: Documents | None = None
    cost: CostIn | None = None
    places: Places | None = None
    schedule: Slots | None = None
    languages: Languages | None = None
    tenants_served: Municipalities | None = None
    contact: ContactIn | None = None
    website: Annotated[str, Field(pattern=r"^https?://", max_length=500)] | None = None

    @model_validator(mode="after")
    def _not_null(self) -> OfferingPatch:
        for key in self.model_fields_set:
            if key not in ("website",) and getattr(self, key) is None:
                raise ValueError(f"{key}: pole nie może być puste.")
        return self

    def changes(self) -> dict[str, Any]:
        return _domain_values(self, set(self.model_fields_set))


class Reason(Strict):
    reason: Annotated[str, Field(min_length=3, max_length=1000)]


class CapacityIn(Strict):
    capacity_status: model.Capacity
    waiting_days: StrictInt | None = Field(
        default=None, ge=0, le=3650, description="Zwykły czas oczekiwania w dniach"
    )


class Created(BaseModel):
    id: uuid.UUID


class Changed(BaseModel):
    changed: list[str]


class CostOut(BaseModel):
    kind: model.CostKind
    kind_name: str
    amount: float | None
    currency: str
    description: str | None


class PlaceOut(BaseModel):
    name: str | None
    street: str | None
    postal_code: str | None
    city: str | None
    latitude: float | None
    longitude: float | None
    accessible: bool
    accessibility_notes: str | None


class ScheduleOut(BaseModel):
    weekday: int
    weekday_name: str
    opens_at: time
    closes_at: time
    notes: str | None


class ContactOut(BaseModel):
    name: str
    role: str | None
    phone: str | None
    email: str | None


class EligibilityOut(BaseModel):
    description: str | None
    min_age: int | None
    max_age: int | None
    residence: list[str]
    referral_required: bool
    decision_required: bool


class OfferingSummary(BaseModel):
    id: uuid.UUID
    tenant: str
    institution_id: uuid.UUID
    institution_name: str | None
    provider_sector: str
    title: str
    description: str
    area: str
    area_name: str
    category: str
    target_groups: list[str]
    cost: CostOut
    free: bool
    accessible: bool
    capacity_status: model.Capacity
    waiting_days: int | None
    status: model.Status
    status_reason: str | None
    last_verified_on: date | None
    stale: bool
    tenants_served: list[str]
    city: str | None
    latitude: float | None
    longitude: float | None
    distance_km: float | None = Field(default=None, description="Odległość od wskazanego punktu")
    score: float | None = Field(default=None, description="Trafność wyniku wyszukiwania")


class OfferingOut(BaseModel):
    id: uuid.UUID
    tenant: str
    institution_id: uuid.UUID
    institution_name: str | None
    provider_sector: str
    title: str
    description: str
    area: str
    area_name: str
    category: str
    category_name: str | None
    target_groups: list[str]
    target_group_names: list[str]
    eligibility: EligibilityOut
    required_documents: list[str]
    cost: CostOut
    places: list[PlaceOut]
    schedule: list[ScheduleOut]
    languages: list[str]
    tenants_served: list[str]
    contact: ContactOut
    capacity_status: model.Capacity
    waiting_days: int | None
    status: model.Status
    status_reason: str | None
    last_verified_on: date | None
    stale: bool
    website: str | None
    created_at: datetime | None
    updated_at: datetime | None


class HistoryEntry(BaseModel):
    changed_at: datetime
    changed_by: str
    action: str
    changes: list[dict[str, Any]] = Field(description="[{field, before, after}]")


class CategoryOut(BaseModel):
    code: str
    name: str


class AreaOut(BaseModel):
    code: str
    name: str
    categories: list[CategoryOut]


class TargetGroupOut(BaseModel):
    code: str
    name: str


class InstitutionOut(BaseModel):
    id: uuid.UUID
    name: str
    sector: str
    tenants_served: list[str]
    membership_state: str | None = Field(description="Stan członkostwa w partnerstwie gminy")
    may_offer: bool = Field(description="Czy może dodawać usługi do koszyka tej gminy")
