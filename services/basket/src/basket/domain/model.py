"""The Local Basket of Services: the service offering aggregate, its value objects and rules.

Plain Python. An offering records what happened in `events`; the unit of work collects them,
writes the history of changes and the outbox.
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum
from typing import Any

from basket.domain import events as ev
from basket.domain import polish
from shared.contracts.basket import TARGET_GROUP_NAMES
from shared.errors import Conflict, FieldError, InvalidInput


class Status(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    SUSPENDED = "suspended"
    WITHDRAWN = "withdrawn"


STATUS_NAMES_PL = {
    Status.DRAFT: "szkic",
    Status.PUBLISHED: "opublikowana",
    Status.SUSPENDED: "zawieszona",
    Status.WITHDRAWN: "wycofana",
}

TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.DRAFT: frozenset({Status.PUBLISHED, Status.WITHDRAWN}),
    Status.PUBLISHED: frozenset({Status.SUSPENDED, Status.WITHDRAWN}),
    Status.SUSPENDED: frozenset({Status.PUBLISHED, Status.WITHDRAWN}),
    Status.WITHDRAWN: frozenset(),
}


class Capacity(StrEnum):
    AVAILABLE = "available"
    WAITLIST = "waitlist"
    NO_CAPACITY = "no_capacity"


CAPACITY_NAMES_PL = {
    Capacity.AVAILABLE: "dostępna",
    Capacity.WAITLIST: "lista oczekujących",
    Capacity.NO_CAPACITY: "brak miejsc",
}


class CostKind(StrEnum):
    FREE = "free"
    CO_PAID = "co_paid"
    PAID = "paid"


COST_NAMES_PL = {
    CostKind.FREE: "bezpłatna",
    CostKind.CO_PAID: "częściowo odpłatna",
    CostKind.PAID: "odpłatna",
}

# Defined once in the contract, with the English names (ADR 0082); the Polish ones here.
TARGET_GROUPS: dict[str, str] = TARGET_GROUP_NAMES["pl"]

WEEKDAYS_PL = ("", "poniedziałek", "wtorek", "środa", "czwartek", "piątek", "sobota", "niedziela")

# Poland's bounding box (WGS 84).
LAT_RANGE = (49.0, 54.9)
LON_RANGE = (14.1, 24.2)


@dataclass(frozen=True)
class Cost:
    kind: CostKind
    amount: float | None = None
    currency: str = "PLN"
    description: str | None = None


@dataclass(frozen=True)
class Place:
    name: str | None = None
    street: str | None = None
    postal_code: str | None = None
    city: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    accessible: bool = False
    accessibility_notes: str | None = None


@dataclass(frozen=True)
class ScheduleSlot:
    weekday: int  # 1 = Monday … 7 = Sunday (ISO)
    opens_at: time
    closes_at: time
    notes: str | None = None


@dataclass(frozen=True)
class Contact:
    name: str
    role: str | None = None
    phone: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class Eligibility:
    description: str | None = None
    min_age: int | None = None
    max_age: int | None = None
    residence: list[str] = field(default_factory=list)  # TERYT codes where one must live
    referral_required: bool = False
    decision_required: bool = False  # an administrative decision (decyzja) is needed


class Aggregate:
    events: list[ev.DomainEvent]

    def record(self, event: ev.DomainEvent) -> None:
        if not hasattr(self, "events"):
            self.events = []
        self.events.append(event)


def jsonable(value: Any) -> Any:
    """A value as it is kept in the history of changes (JSON)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: jsonable(v) for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, date | datetime | time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


@dataclass(eq=False)
class Offering(Aggregate):
    id: uuid.UUID
    tenant: str  # the municipality whose basket holds it
    institution_id: uuid.UUID
    provider_sector: str
    title: str
    description: str
    area: str
    category: str
    target_groups: list[str]
    eligibility: Eligibility
    required_documents: list[str]
    cost: Cost
    places: list[Place]
    schedule: list[ScheduleSlot]
    languages: list[str]
    tenants_served: list[str]
    contact: Contact
    capacity_status: Capacity = Capacity.AVAILABLE
    waiting_days: int | None = None
    status: Status = Status.DRAFT
    status_reason: str | None = None
    suspended_because_provider_left: bool = False
    last_verified_on: date | None = None
    website: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    # Derived, kept for search and filters (refreshed on every change).
    free: bool = False
    accessible: bool = False
    weekdays: list[int] = field(default_factory=list)
    latitude: float | None = None
    longitude: float | None = None
    search_title: str = ""
    search_text: str = ""
    search_stems: str = ""

    EDITABLE = (
        "title",
        "description",
        "category",
        "target_groups",
        "eligibility",
        "required_documents",
        "cost",
        "places",
        "schedule",
        "languages",
        "tenants_served",
        "contact",
        "website",
    )

    @classmethod
    def add(cls, *, by: str, today: date, area: str, **values: Any) -> Offering:
        offering = cls(area=area, last_verified_on=today, **values)
        if offering.tenant not in offering.tenants_served:
            offering.tenants_served = [offering.tenant, *offering.tenants_served]
        offering.check()
        offering.refresh_index()
        changes = tuple(
            ev.FieldChange(k, None, jsonable(getattr(offering, k))) for k in cls.EDITABLE
        )
        offering.record(ev.OfferingAdded(by, changes=changes))
        return offering

    # --- rules --------------------------------------------------------------------------------

    def check(self) -> None:
        """Every rule on the offering's content; all failures at once, named by request path."""
        errors: list[FieldError] = []
        if not self.title.strip():
            errors.append(FieldError("title", "Tytuł nie może być pusty.", "missing"))
        for i, group in enumerate(self.target_groups):
            if group not in TARGET_GROUPS:
                errors.append(
                    FieldError(
                        f"target_groups.{i}", f"Nieznana grupa docelowa: {group}.", "unknown"
                    )
                )
        e = self.eligibility
        if e.min_age is not None and e.max_age is not None and e.min_age > e.max_age:
            errors.append(
                FieldError(
                    "eligibility.max_age", "Wiek maksymalny jest niższy niż minimalny.", "range"
                )
            )
        if self.cost.amount is not None and self.cost.amount < 0:
            errors.append(FieldError("cost.amount", "Kwota nie może być ujemna.", "negative"))
        if self.cost.kind is CostKind.FREE and self.cost.amount:
            errors.append(
                FieldError("cost.amount", "Usługa bezpłatna nie może mieć kwoty.", "free_amount")
            )
        if self.cost.kind is CostKind.PAID and self.cost.amount is None:
            errors.append(FieldError("cost.amount", "Podaj kwotę dla usługi odpłatnej.", "missing"))
        for i, place in enumerate(self.places):
            if place.latitude is not None and not LAT_RANGE[0] <= place.latitude <= LAT_RANGE[1]:
                errors.append(
                    FieldError(f"places.{i}.latitude", "Współrzędne poza Polską.", "outside_poland")
                )
            if place.longitude is not None and not (
                LON_RANGE[0] <= place.longitude <= LON_RANGE[1]
            ):
                errors.append(
                    FieldError(
                        f"places.{i}.longitude", "Współrzędne poza Polską.", "outside_poland"
                    )
                )
            if (place.latitude is None) != (place.longitude is None):
                errors.append(
                    FieldError(
                        f"places.{i}.longitude",
                        "Podaj obie współrzędne albo żadnej.",
                        "incomplete",
                    )
                )
        for i, slot in enumerate(self.schedule):
            if not 1 <= slot.weekday <= 7:
                errors.append(
                    FieldError(f"schedule.{i}.weekday", "Dzień tygodnia to liczba 1–7.", "range")
                )
            if slot.closes_at <= slot.opens_at:
                errors.append(
                    FieldError(
                        f"schedule.{i}.closes_at",
                        "Godzina zamknięcia musi być późniejsza niż otwarcia.",
                        "closes_before_opens",
                    )
                )
        if self.waiting_days is not None and self.waiting_days < 0:
            errors.append(
                FieldError("waiting_days", "Czas oczekiwania nie może być ujemny.", "negative")
            )
        if errors:
            raise InvalidInput(*errors)

    def refresh_index(self) -> None:
        self.free = self.cost.kind is CostKind.FREE
        self.accessible = any(p.accessible for p in self.places)
        self.weekdays = sorted({s.weekday for s in self.schedule})
        located = next((p for p in self.places if p.latitude is not None), None)
        self.latitude = located.latitude if located else None
        self.longitude = located.longitude if located else None
        self.search_title = polish.fold(self.title)
        parts = [self.title, self.description, self.eligibility.description or ""]
        parts += [p.city or "" for p in self.places]
        self.search_text = " ".join(polish.words(" ".join(parts)))
        # The title's stems twice: the tsvector's frequency then favours title matches.
        title_stems = polish.stems(self.title)
        self.search_stems = " ".join(
            [*title_stems, *title_stems, *polish.stems(" ".join(parts[1:]))]
        )

    # --- changes ------------------------------------------------------------------------------

    def update(self, changes: dict[str, Any], *, by: str, area: str | None = None) -> list[str]:
        diff: list[ev.FieldChange] = []
        before = {k: getattr(self, k) for k in self.EDITABLE}
        for key, value in changes.items():
            if key in self.EDITABLE and getattr(self, key) != value:
                setattr(self, key, value)
        if self.tenant not in self.tenants_served:
            self.tenants_served = [self.tenant, *self.tenants_served]
        if area is not None:
            self.area = area
        try:
            self.check()
        except InvalidInput:
            for key, value in before.items():
                setattr(self, key, value)
            raise
        for key, old in before.items():
            new = getattr(self, key)
            if old != new:
                diff.append(ev.FieldChange(key, jsonable(old), jsonable(new)))
        if diff:
            self.refresh_index()
            self.record(ev.OfferingUpdated(by, changes=tuple(diff)))
        return [d.field for d in diff]

    def _move(self, to: Status, reason: str | None, field_name: str = "status") -> ev.FieldChange:
        if to not in TRANSITIONS[self.status]:
            raise Conflict(
                f"Usługi o statusie „{STATUS_NAMES_PL[self.status]}” nie można zmienić na "
                f"„{STATUS_NAMES_PL[to]}”."
            )
        change = ev.FieldChange(field_name, self.status.value, to.value)
        self.status = to
        self.status_reason = reason
        return change

    def publish(self, *, by: str) -> None:
        change = self._move(Status.PUBLISHED, None)
        self.suspended_because_provider_left = False
        self.record(ev.OfferingPublished(by, changes=(change,)))

    def suspend(self, reason: str, *, by: str, because_provider_left: bool = False) -> None:
        if not reason.strip():
            raise InvalidInput.field("reason", "Podaj powód zawieszenia.", "missing")
        change = self._move(Status.SUSPENDED, reason)
        self.suspended_because_provider_left = because_provider_left
        self.record(
            ev.OfferingSuspended(
                by,
                changes=(change, ev.FieldChange("status_reason", None, reason)),
                reason=reason,
                because_provider_left=because_provider_left,
            )
        )

    def withdraw(self, reason: str, *, by: str) -> None:
        if not reason.strip():
            raise InvalidInput.field("reason", "Podaj powód wycofania.", "missing")
        change = self._move(Status.WITHDRAWN, reason)
        self.record(
            ev.OfferingWithdrawn(
                by, changes=(change, ev.FieldChange("status_reason", None, reason)), reason=reason
            )
        )

    def verify(self, today: date, *, by: str) -> None:
        if self.status is Status.WITHDRAWN:
            raise Conflict("Wycofanej usługi nie weryfikuje się.")
        change = ev.FieldChange(
            "last_verified_on", jsonable(self.last_verified_on), today.isoformat()
        )
        self.last_verified_on = today
        self.record(ev.OfferingVerified(by, changes=(change,), verified_on=today))

    def change_capacity(self, status: Capacity, waiting_days: int | None, *, by: str) -> bool:
        if waiting_days is not None and waiting_days < 0:
            raise InvalidInput.field(
                "waiting_days", "Czas oczekiwania nie może być ujemny.", "negative"
            )
        if status == self.capacity_status and waiting_days == self.waiting_days:
            return False
        changes = (
            ev.FieldChange("capacity_status", self.capacity_status.value, status.value),
            ev.FieldChange("waiting_days", self.waiting_days, waiting_days),
        )
        previous = self.capacity_status
        self.capacity_status = status
        self.waiting_days = waiting_days
        self.record(ev.CapacityChanged(by, changes=changes, previous_status=previous.value))
        return True

    def is_stale(self, today: date, stale_after_days: int) -> bool:
        if self.last_verified_on is None:
            return True
        return (today - self.last_verified_on).days > stale_after_days
