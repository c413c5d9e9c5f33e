"""Repositories over the mapped domain classes. Every read is scoped by the caller's tenants."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from partners.adapters import orm
from partners.domain import model
from shared.db.uow import Tracked

T = TypeVar("T")


class SqlRepository(Generic[T]):
    entity: type[Any]

    def __init__(self, session: AsyncSession, seen: Tracked[Any]) -> None:
        self.session = session
        self.seen = seen

    def _scope(self, tenants: frozenset[str] | None) -> ColumnElement[bool] | None:
        if tenants is None:
            return None
        return self.entity.tenant.in_(tenants)  # type: ignore[no-any-return]

    async def get(self, id: uuid.UUID, tenants: frozenset[str] | None) -> T | None:
        query = select(self.entity).where(self.entity.id == id)
        scope = self._scope(tenants)
        if scope is not None:
            query = query.where(scope)
        item: T | None = (await self.session.execute(query)).scalar_one_or_none()
        if item is not None:
            self.seen.add(item)
        return item

    async def add(self, item: T) -> None:
        """Add and insert at once, so rows reach the database in the order they were added
        (the mapping has no relationships from which to infer foreign-key order)."""
        self.session.add(item)
        self.seen.add(item)
        await self.session.flush()


class InstitutionRepository(SqlRepository[model.Institution]):
    entity = model.Institution

    def _scope(self, tenants: frozenset[str] | None) -> ColumnElement[bool] | None:
        # An institution is visible in every municipality it serves.
        if tenants is None:
            return None
        served: ColumnElement[bool] = orm.institutions.c.tenants_served.overlap(list(tenants))
        return served

    async def serving(self, tenant: str) -> Sequence[model.Institution]:
        rows = await self.session.execute(
            select(model.Institution).where(orm.institutions.c.tenants_served.any_() == tenant)
        )
        return rows.scalars().all()

    async def many(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, model.Institution]:
        if not ids:
            return {}
        rows = await self.session.execute(
            select(model.Institution).where(orm.institutions.c.id.in_(ids))
        )
        return {i.id: i for i in rows.scalars()}


class PartnershipRepository(SqlRepository[model.Partnership]):
    entity = model.Partnership

    async def for_tenant(self, tenant: str) -> model.Partnership | None:
        rows = await self.session.execute(
            select(model.Partnership).where(orm.partnerships.c.tenant == tenant)
        )
        item = rows.scalar_one_or_none()
        if item is not None:
            self.seen.add(item)
        return item


class MembershipRepository(SqlRepository[model.Membership]):
    entity = model.Membership

    async def find(
        self, partnership_id: uuid.UUID, institution_id: uuid.UUID
    ) -> model.Membership | None:
        rows = await self.session.execute(
            select(model.Membership).where(
                orm.memberships.c.partnership_id == partnership_id,
                orm.memberships.c.institution_id == institution_id,
            )
        )
        return rows.scalar_one_or_none()

    async def of_partnership(self, partnership_id: uuid.UUID) -> Sequence[model.Membership]:
        rows = await self.session.execute(
            select(model.Membership).where(orm.memberships.c.partnership_id == partnership_id)
        )
        return rows.scalars().all()


class ContactRepository(SqlRepository[model.ContactPerson]):
    entity = model.ContactPerson


class CoordinatorRepository(SqlRepository[model.Coordinator]):
    entity = model.Coordinator

    async def active(self, partnership_id: uuid.UUID) -> Sequence[model.Coordinator]:
        rows = await self.session.execute(
            select(model.Coordinator).where(
                orm.coordinators.c.partnership_id == partnership_id,
                orm.coordinators.c.until.is_(None),
            )
        )
        return rows.scalars().all()


class MeetingRepository(SqlRepository[model.Meeting]):
    entity = model.Meeting

    async def hosting_record(
        self, partnership_id: uuid.UUID
    ) -> dict[uuid.UUID, tuple[int, datetime | None]]:
        m = orm.meetings.c
        rows = await self.session.execute(
            select(m.host_institution_id, func.count(), func.max(m.starts_at))
            .where(
                m.partnership_id == partnership_id,
                m.host_institution_id.is_not(None),
                m.status != model.MeetingStatus.CANCELLED.value,
            )
            .group_by(m.host_institution_id)
        )
        return {row[0]: (int(row[1]), row[2]) for row in rows}
