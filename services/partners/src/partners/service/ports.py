"""What the handlers need from the outside world (implemented in adapters, faked in unit tests)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol, Self, TypeVar

from partners.domain import model

T = TypeVar("T")


class Repository(Protocol[T]):
    async def get(self, id: uuid.UUID, tenants: frozenset[str] | None) -> T | None: ...

    async def add(self, item: T) -> None: ...


class InstitutionRepository(Repository[model.Institution], Protocol):
    async def serving(self, tenant: str) -> Sequence[model.Institution]: ...


class PartnershipRepository(Repository[model.Partnership], Protocol):
    async def for_tenant(self, tenant: str) -> model.Partnership | None: ...


class MembershipRepository(Repository[model.Membership], Protocol):
    async def find(
        self, partnership_id: uuid.UUID, institution_id: uuid.UUID
    ) -> model.Membership | None: ...

    async def of_partnership(self, partnership_id: uuid.UUID) -> Sequence[model.Membership]: ...


class CoordinatorRepository(Repository[model.Coordinator], Protocol):
    async def active(self, partnership_id: uuid.UUID) -> Sequence[model.Coordinator]: ...


class MeetingRepository(Repository[model.Meeting], Protocol):
    async def hosting_record(
        self, partnership_id: uuid.UUID
    ) -> dict[uuid.UUID, tuple[int, datetime | None]]: ...


class UnitOfWork(Protocol):
    @property
    def institutions(self) -> InstitutionRepository: ...

    @property
    def partnerships(self) -> PartnershipRepository: ...

    @property
    def memberships(self) -> MembershipRepository: ...

    @property
    def contacts(self) -> Repository[model.ContactPerson]: ...

    @property
    def coordinators(self) -> CoordinatorRepository: ...

    @property
    def meetings(self) -> MeetingRepository: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(self, *args: object) -> None: ...

    async def commit(self) -> None: ...
