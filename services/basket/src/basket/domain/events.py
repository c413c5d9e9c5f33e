"""What happened to an offering. Internal facts; the service layer maps them to the published
contracts in shared.contracts.basket and writes the history of changes from them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: Any
    after: Any


@dataclass(frozen=True)
class DomainEvent:
    by: str
    changes: tuple[FieldChange, ...] = field(default=(), kw_only=True)


@dataclass(frozen=True)
class OfferingAdded(DomainEvent):
    pass


@dataclass(frozen=True)
class OfferingUpdated(DomainEvent):
    pass


@dataclass(frozen=True)
class OfferingPublished(DomainEvent):
    pass


@dataclass(frozen=True)
class OfferingSuspended(DomainEvent):
    reason: str = ""
    because_provider_left: bool = False


@dataclass(frozen=True)
class OfferingWithdrawn(DomainEvent):
    reason: str = ""


@dataclass(frozen=True)
class OfferingVerified(DomainEvent):
    verified_on: date | None = None


@dataclass(frozen=True)
class CapacityChanged(DomainEvent):
    previous_status: str | None = None
