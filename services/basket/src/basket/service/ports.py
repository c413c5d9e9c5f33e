"""What the handlers need from the outside world (implemented in adapters, faked in unit tests)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, Self

from basket.domain import model


@dataclass(frozen=True)
class Provider:
    """An institution as the basket knows it from the partners events."""

    id: uuid.UUID
    name: str
    sector: str
    tenants_served: list[str]


@dataclass(frozen=True)
class Category:
    code: str
    area: str
    name_pl: str


class OfferingRepository(Protocol):
    async def get(self, id: uuid.UUID) -> model.Offering | None: ...

    async def exists(self, id: uuid.UUID) -> bool: ...

    async def add(self, item: model.Offering) -> None: ...

    async def of_provider(
        self, institution_id: uuid.UUID, tenant: str | None
    ) -> Sequence[model.Offering]: ...


class Catalogue(Protocol):
    """The categories and the partners read model."""

    async def category(self, code: str) -> Category | None: ...

    async def provider(self, institution_id: uuid.UUID) -> Provider | None: ...

    async def membership_state(self, institution_id: uuid.UUID, tenant: str) -> str | None: ...


class UnitOfWork(Protocol):
    @property
    def offerings(self) -> OfferingRepository: ...

    @property
    def catalogue(self) -> Catalogue: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(self, *args: object) -> None: ...

    async def commit(self) -> None: ...
