"""Repositories: offerings (the mapped aggregate) and the catalogue (categories, providers)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from basket.adapters import orm
from basket.domain import model
from basket.service.ports import Category, Provider
from shared.db.uow import Tracked


class OfferingRepository:
    def __init__(self, session: AsyncSession, seen: Tracked[model.Offering]) -> None:
        self.session = session
        self.seen = seen

    async def get(self, id: uuid.UUID) -> model.Offering | None:
        item = await self.session.get(model.Offering, id, with_for_update=True)
        if item is not None:
            self.seen.add(item)
        return item

    async def exists(self, id: uuid.UUID) -> bool:
        """Whether an offering of any municipality has this id."""
        found = await self.session.scalar(
            select(orm.offerings.c.id).where(orm.offerings.c.id == id)
        )
        return found is not None

    async def add(self, item: model.Offering) -> None:
        self.session.add(item)
        self.seen.add(item)
        await self.session.flush()

    async def of_provider(
        self, institution_id: uuid.UUID, tenant: str | None
    ) -> Sequence[model.Offering]:
        query = select(model.Offering).where(orm.offerings.c.institution_id == institution_id)
        if tenant is not None:
            query = query.where(orm.offerings.c.tenant == tenant)
        items = (await self.session.execute(query.with_for_update())).scalars().all()
        for item in items:
            self.seen.add(item)
        return items


class Catalogue:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def category(self, code: str) -> Category | None:
        c = orm.categories.c
        row = (
            await self.session.execute(select(c.code, c.area, c.name_pl).where(c.code == code))
        ).first()
        return Category(row.code, row.area, row.name_pl) if row else None

    async def provider(self, institution_id: uuid.UUID) -> Provider | None:
        i = orm.institutions.c
        row = (
            await self.session.execute(
                select(i.id, i.name, i.sector, i.tenants_served).where(i.id == institution_id)
            )
        ).first()
        return Provider(row.id, row.name, row.sector, list(row.tenants_served)) if row else None

    async def membership_state(self, institution_id: uuid.UUID, tenant: str) -> str | None:
        m = orm.memberships.c
        row = (
            await self.session.execute(
                select(m.state)
                .where(m.institution_id == institution_id, m.tenant == tenant)
                .order_by(m.updated_at.desc())
                .limit(1)
            )
        ).first()
        return str(row.state) if row else None
