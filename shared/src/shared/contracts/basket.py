"""Events of the basket service (the Local Basket of Services, Lokalny Koszyk Usług).

Offerings are facts about institutions and their services, never about families.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from pydantic import Field

from shared.contracts.envelope import EventData
from shared.contracts.partners import Sector

SOURCE = "/cus/basket"

# The 14 areas of social services of the 2019 act on Centres of Social Services (art. 2),
# the top level of the basket's categories.
Area = Literal[
    "family_policy",  # polityka prorodzinna
    "family_support",  # wspieranie rodziny
    "foster_care",  # piecza zastępcza
    "social_assistance",  # pomoc społeczna
    "health",  # promocja i ochrona zdrowia
    "disability_support",  # wspieranie osób niepełnosprawnych
    "public_education",  # edukacja publiczna
    "unemployment",  # przeciwdziałanie bezrobociu
    "culture",  # kultura
    "sport_tourism",  # kultura fizyczna i turystyka
    "civic_activity",  # aktywność obywatelska
    "housing",  # mieszkalnictwo
    "environment",  # ochrona środowiska
    "reintegration",  # reintegracja zawodowa i społeczna
]
AREAS: tuple[str, ...] = Area.__args__  # type: ignore[attr-defined]

# The codes of the groups an offering is for (the basket API validates them).
TargetGroup = Literal[
    "children",
    "youth",
    "families",
    "parents",
    "seniors",
    "disabled",
    "unemployed",
    "crisis",
    "violence",
    "addiction",
    "homeless",
    "migrants",
    "foster_families",
    "carers",
    "adults",
]

# The groups an offering is for, defined once with their Polish and English names: the basket
# service accepts these codes, the web labels them (issue 14 §1, ADR 0082).
TARGET_GROUP_NAMES: dict[str, dict[str, str]] = {
    "pl": {
        "children": "Dzieci",
        "youth": "Młodzież",
        "families": "Rodziny",
        "parents": "Rodzice",
        "seniors": "Seniorzy",
        "disabled": "Osoby z niepełnosprawnościami",
        "unemployed": "Osoby bezrobotne",
        "crisis": "Osoby w kryzysie",
        "violence": "Osoby doznające przemocy",
        "addiction": "Osoby z problemem uzależnień",
        "homeless": "Osoby w kryzysie bezdomności",
        "migrants": "Migranci i uchodźcy",
        "foster_families": "Rodziny zastępcze",
        "carers": "Opiekunowie osób zależnych",
        "adults": "Dorośli",
    },
    "en": {
        "children": "Children",
        "youth": "Young people",
        "families": "Families",
        "parents": "Parents",
        "seniors": "Older people",
        "disabled": "People with disabilities",
        "unemployed": "Unemployed people",
        "crisis": "People in crisis",
        "violence": "People experiencing violence",
        "addiction": "People with addictions",
        "homeless": "People experiencing homelessness",
        "migrants": "Migrants and refugees",
        "foster_families": "Foster families",
        "carers": "Carers of dependent people",
        "adults": "Adults",
    },
}
TARGET_GROUPS: tuple[str, ...] = TargetGroup.__args__  # type: ignore[attr-defined]

AREA_NAMES_PL: dict[str, str] = {
    "family_policy": "Polityka prorodzinna",
    "family_support": "Wspieranie rodziny",
    "foster_care": "Piecza zastępcza",
    "social_assistance": "Pomoc społeczna",
    "health": "Promocja i ochrona zdrowia",
    "disability_support": "Wspieranie osób niepełnosprawnych",
    "public_education": "Edukacja publiczna",
    "unemployment": "Przeciwdziałanie bezrobociu",
    "culture": "Kultura",
    "sport_tourism": "Kultura fizyczna i turystyka",
    "civic_activity": "Aktywność obywatelska",
    "housing": "Mieszkalnictwo",
    "environment": "Ochrona środowiska",
    "reintegration": "Reintegracja zawodowa i społeczna",
}

OfferingStatus = Literal["draft", "published", "suspended", "withdrawn"]
CapacityStatus = Literal["available", "waitlist", "no_capacity"]
CostKind = Literal["free", "co_paid", "paid"]


class OfferingSnapshot(EventData):
    """What other services need to know of an offering (the read models of cases, notifications
    and evaluation are fed by it)."""

    service_id: uuid.UUID
    institution_id: uuid.UUID
    provider_sector: Sector
    title: str
    area: Area
    category: str = Field(description="Finer category code below the area")
    status: OfferingStatus
    tenants_served: list[str] = Field(description="TERYT codes of the area served")
    capacity_status: CapacityStatus
    waiting_days: int | None = None
    cost: CostKind
    referral_required: bool
    last_verified_on: date | None = None


class ServiceAdded(OfferingSnapshot):
    event_type = "basket.service.added"


class ServiceUpdated(OfferingSnapshot):
    event_type = "basket.service.updated"

    changed_fields: list[str] = Field(default_factory=list)


class ServicePublished(OfferingSnapshot):
    event_type = "basket.service.published"


class ServiceSuspended(OfferingSnapshot):
    event_type = "basket.service.suspended"

    reason: str
    because_provider_left: bool = Field(
        default=False, description="Suspended automatically: the provider left the partnership"
    )


class ServiceWithdrawn(OfferingSnapshot):
    event_type = "basket.service.withdrawn"

    reason: str


class ServiceVerified(EventData):
    event_type = "basket.service.verified"

    service_id: uuid.UUID
    institution_id: uuid.UUID
    verified_on: date


class CapacityChanged(EventData):
    event_type = "basket.capacity.changed"

    service_id: uuid.UUID
    institution_id: uuid.UUID
    previous_status: CapacityStatus | None = None
    capacity_status: CapacityStatus
    waiting_days: int | None = None
