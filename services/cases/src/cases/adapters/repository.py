"""Repositories over the mapped domain classes, the read models and the access log."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any, Generic, TypeVar

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from cases.adapters import orm
from cases.domain import model
from cases.service.ports import AccessEntry, Institution, Offering

T = TypeVar("T")


class Tracked(list[object]):
    """The aggregates a unit of work touched, in the order it first touched them."""

    def add(self, item: object) -> None:
        if not any(x is item for x in self):
            self.append(item)


class SqlRepository(Generic[T]):
    entity: type[Any]

    def __init__(self, session: AsyncSession, seen: Tracked) -> None:
        self.session = session
        self.seen = seen

    async def get(self, id: uuid.UUID) -> T | None:
        item: T | None = await self.session.get(self.entity, id)
        if item is not None:
            self.seen.add(item)
        return item

    async def add(self, item: T) -> None:
        """Add and insert at once, so rows reach the database in the order they were added."""
        self.session.add(item)
        self.seen.add(item)
        await self.session.flush()

    async def of_case(self, case_id: uuid.UUID) -> Sequence[T]:
        rows = await self.session.execute(select(self.entity).where(self.entity.case_id == case_id))
        items: Sequence[T] = rows.scalars().all()
        for item in items:
            self.seen.add(item)
        return items


class CaseRepository(SqlRepository[model.Case]):
    entity = model.Case


class FamilyRepository(SqlRepository[model.FamilyMember]):
    entity = model.FamilyMember

    async def cases_with_pesel(self, tenants: frozenset[str], pesel_hash: str) -> list[uuid.UUID]:
        f = orm.family_members.c
        rows = await self.session.execute(
            select(f.case_id).where(f.pesel_hash == pesel_hash, f.tenant.in_(tenants)).distinct()
        )
        return list(rows.scalars())


class ConsentRepository(SqlRepository[model.Consent]):
    entity = model.Consent


class TeamRepository(SqlRepository[model.TeamMember]):
    entity = model.TeamMember

    async def invitations_for(self, institution_id: uuid.UUID) -> Sequence[model.TeamMember]:
        t = orm.team_members.c
        rows = await self.session.execute(
            select(model.TeamMember).where(
                t.institution_id == institution_id, t.state == model.MemberState.INVITED.value
            )
        )
        return rows.scalars().all()


class DiagnosisRepository(SqlRepository[model.DiagnosisEntry]):
    entity = model.DiagnosisEntry


class PlanRepository(SqlRepository[model.PlanVersion]):
    entity = model.PlanVersion

    async def latest(self, case_id: uuid.UUID) -> model.PlanVersion | None:
        p = orm.plan_versions.c
        rows = await self.session.execute(
            select(model.PlanVersion)
            .where(p.case_id == case_id)
            .order_by(p.version.desc())
            .limit(1)
        )
        return rows.scalar_one_or_none()


class ReferralRepository(SqlRepository[model.Referral]):
    entity = model.Referral

    async def receiving_institutions(self, case_id: uuid.UUID) -> set[uuid.UUID]:
        r = orm.referrals.c
        rows = await self.session.execute(
            select(r.institution_id)
            .where(r.case_id == case_id, r.state != model.ReferralState.DRAFT.value)
            .distinct()
        )
        return set(rows.scalars())


class MeetingRepository(SqlRepository[model.Meeting]):
    entity = model.Meeting


class SqlDirectory:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def institution(self, id: uuid.UUID) -> Institution | None:
        i = orm.institutions.c
        row = (
            await self.session.execute(
                select(i.id, i.name, i.sector, i.tenants_served).where(i.id == id)
            )
        ).first()
        return Institution(*row) if row else None

    async def sectors(self, ids: Sequence[uuid.UUID]) -> Mapping[uuid.UUID, str | None]:
        if not ids:
            return {}
        i = orm.institutions.c
        rows = await self.session.execute(select(i.id, i.sector).where(i.id.in_(list(ids))))
        return {row[0]: row[1] for row in rows}

    async def offering(self, service_id: uuid.UUID) -> Offering | None:
        o = orm.offerings.c
        row = (
            await self.session.execute(
                select(
                    o.service_id,
                    o.institution_id,
                    o.provider_sector,
                    o.title,
                    o.status,
                    o.tenants_served,
                    o.capacity_status,
                    o.waiting_days,
                ).where(o.service_id == service_id)
            )
        ).first()
        return Offering(*row) if row else None


class SqlAccessLog:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def record(self, entry: AccessEntry) -> None:
        await self.session.execute(insert(orm.access_log).values(**asdict(entry)))
