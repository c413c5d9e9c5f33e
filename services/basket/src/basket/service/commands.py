"""Commands: what a caller asks the basket to do (already validated for shape)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from basket.domain.model import Capacity


@dataclass(frozen=True)
class AddOffering:
    tenant: str
    institution_id: uuid.UUID
    category: str
    values: dict[str, Any]  # the other Offering fields, as domain values
    offering_id: uuid.UUID | None = None


@dataclass(frozen=True)
class UpdateOffering:
    offering_id: uuid.UUID
    changes: dict[str, Any]


@dataclass(frozen=True)
class PublishOffering:
    offering_id: uuid.UUID


@dataclass(frozen=True)
class SuspendOffering:
    offering_id: uuid.UUID
    reason: str


@dataclass(frozen=True)
class WithdrawOffering:
    offering_id: uuid.UUID
    reason: str


@dataclass(frozen=True)
class VerifyOffering:
    offering_id: uuid.UUID


@dataclass(frozen=True)
class ChangeCapacity:
    offering_id: uuid.UUID
    capacity_status: Capacity
    waiting_days: int | None = None


@dataclass(frozen=True)
class ProviderLeft:
    """From the partners events: the institution's membership in `tenant` ended or was suspended."""

    institution_id: uuid.UUID
    tenant: str
    state: str
    extra: dict[str, Any] = field(default_factory=dict)
