"""Read queries behind the basket API. Staff reads are scoped to the caller's tenants; public reads
see published offerings only."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from basket.adapters import orm
from basket.adapters.search import SearchFilters, build_search, positional
from basket.domain import model
from basket.entrypoints import schemas as s
from basket.service.handlers import PARTICIPATING
from basket.service.ports import Provider
from shared.contracts.basket import AREA_NAMES_PL, AREAS
from shared.paging import Page, PageParams

o_ = orm.offerings.c
i_ = orm.institutions.c
m_ = orm.memberships.c


def _cost_out(cost: dict[str, Any] | model.Cost) -> s.CostOut:
    data = model.jsonable(cost)
    kind = model.CostKind(data["kind"])
    return s.CostOut(
        kind=kind,
        kind_name=model.COST_NAMES_PL[kind],
        amount=data.get("amount"),
        currency=data.get("currency", "PLN"),
        description=data.get("description"),
    )


def is_stale(last_verified_on: date | None, today: date, stale_after_days: int) -> bool:
    return last_verified_on is None or (today - last_verified_on).days > stale_after_days


async def search(
    db: AsyncSession | AsyncConnection,
    filters: SearchFilters,
    *,
    today: date,
    stale_after_days: int,
) -> Page[s.OfferingSummary]:
    """The basket's search (adapters/search.py): one statement, run on the asyncpg connection
    beneath SQLAlchemy's (same connection and transaction, asyncpg's statement cache, traced by
    the asyncpg instrumentation) — SQLAlchemy's result processing cost as much as the query's own
    client side (ADR 0013)."""
    conn = await db.connection() if isinstance(db, AsyncSession) else db
    driver = (await conn.get_raw_connection()).driver_connection
    assert driver is not None
    sql, args = positional(*build_search(filters))
    rows = await driver.fetch(sql, *args)
    total = int(rows[0]["total"]) if rows else 0
    if not rows and filters.offset:
        sql, args = positional(
            *build_search(SearchFilters(**{**filters.__dict__, "limit": 1, "offset": 0}))
        )
        first = await driver.fetchrow(sql, *args)
        total = int(first["total"]) if first else 0
    items = []
    for r in rows:
        kind = model.CostKind(r["cost_kind"])
        items.append(
            s.OfferingSummary(
                id=r["id"],
                tenant=r["tenant"],
                institution_id=r["institution_id"],
                institution_name=r["institution_name"],
                provider_sector=r["provider_sector"],
                title=r["title"],
                description=r["description"],
                area=r["area"],
                area_name=AREA_NAMES_PL.get(r["area"], r["area"]),
                category=r["category"],
                target_groups=list(r["target_groups"]),
                cost=s.CostOut(
                    kind=kind,
                    kind_name=model.COST_NAMES_PL[kind],
                    amount=r["cost_amount"],
                    currency="PLN",
                    description=r["cost_description"],
                ),
                free=r["free"],
                accessible=r["accessible"],
                capacity_status=r["capacity_status"],
                waiting_days=r["waiting_days"],
                status=r["status"],
                status_reason=r["status_reason"],
                last_verified_on=r["last_verified_on"],
                stale=is_stale(r["last_verified_on"], today, stale_after_days),
                tenants_served=list(r["tenants_served"]),
                city=r["city"],
                latitude=r["latitude"],
                longitude=r["longitude"],
                distance_km=round(r["distance_km"], 2) if r["distance_km"] is not None else None,
                score=round(float(r["score"]), 4) if filters.q else None,
            )
        )
    return PageParams.from_offset(filters.offset, filters.limit).page_of(items, total)


async def category_names(session: AsyncSession) -> dict[str, str]:
    c = orm.categories.c
    rows = await session.execute(select(c.code, c.name_pl))
    return {r.code: r.name_pl for r in rows}


async def load(
    session: AsyncSession, id: uuid.UUID
) -> tuple[model.Offering, Provider | None] | None:
    row = (
        await session.execute(
            select(model.Offering, i_.name, i_.sector, i_.tenants_served)
            .outerjoin(orm.institutions, i_.id == o_.institution_id)
            .where(o_.id == id)
        )
    ).first()
    if row is None:
        return None
    offering = row[0]
    provider = Provider(offering.institution_id, row[1], row[2], list(row[3])) if row[1] else None
    return offering, provider


async def published(
    session: AsyncSession,
    *,
    tenant: str | None = None,
    ids: Sequence[uuid.UUID] | None = None,
) -> list[tuple[model.Offering, Provider | None]]:
    """Published offerings (of a municipality's basket, or by id), with their providers, in
    order of area, category and title."""
    query = (
        select(model.Offering, i_.name, i_.sector, i_.tenants_served)
        .outerjoin(orm.institutions, i_.id == o_.institution_id)
        .where(o_.status == model.Status.PUBLISHED.value)
        .order_by(o_.area, o_.category, o_.search_title, o_.id)
    )
    if tenant is not None:
        query = query.where(o_.tenants_served.any_() == tenant)
    if ids is not None:
        query = query.where(o_.id.in_(list(ids)))
    rows = (await session.execute(query)).all()
    return [
        (
            r[0],
            Provider(r[0].institution_id, r[1], r[2], list(r[3])) if r[1] else None,
        )
        for r in rows
    ]


def offering_out(
    o: model.Offering,
    provider: Provider | None,
    categories: dict[str, str],
    *,
    today: date,
    stale_after_days: int,
) -> s.OfferingOut:
    e = o.eligibility
    return s.OfferingOut(
        id=o.id,
        tenant=o.tenant,
        institution_id=o.institution_id,
        institution_name=provider.name if provider else None,
        provider_sector=o.provider_sector,
        title=o.title,
        description=o.description,
        area=o.area,
        area_name=AREA_NAMES_PL.get(o.area, o.area),
        category=o.category,
        category_name=categories.get(o.category),
        target_groups=list(o.target_groups),
        target_group_names=[model.TARGET_GROUPS.get(g, g) for g in o.target_groups],
        eligibility=s.EligibilityOut(
            description=e.description,
            min_age=e.min_age,
            max_age=e.max_age,
            residence=list(e.residence),
            referral_required=e.referral_required,
            decision_required=e.decision_required,
        ),
        required_documents=list(o.required_documents),
        cost=_cost_out(o.cost),
        places=[s.PlaceOut(**model.jsonable(p)) for p in o.places],
        schedule=[
            s.ScheduleOut(
                weekday=slot.weekday,
                weekday_name=model.WEEKDAYS_PL[slot.weekday],
                opens_at=slot.opens_at,
                closes_at=slot.closes_at,
                notes=slot.notes,
            )
            for slot in o.schedule
        ],
        languages=list(o.languages),
        tenants_served=list(o.tenants_served),
        contact=s.ContactOut(**model.jsonable(o.contact)),
        capacity_status=o.capacity_status,
        waiting_days=o.waiting_days,
        status=o.status,
        status_reason=o.status_reason,
        last_verified_on=o.last_verified_on,
        stale=is_stale(o.last_verified_on, today, stale_after_days),
        website=o.website,
        created_at=o.created_at,
        updated_at=o.updated_at,
    )


async def history(session: AsyncSession, offering_id: uuid.UUID) -> list[s.HistoryEntry]:
    h = orm.offering_changes.c
    rows = await session.execute(
        select(h.changed_at, h.changed_by, h.action, h.changes)
        .where(h.offering_id == offering_id)
        .order_by(h.id)
    )
    return [s.HistoryEntry.model_validate(dict(r._mapping)) for r in rows]


async def stale(
    session: AsyncSession, tenant: str, *, today: date, stale_after_days: int
) -> list[s.OfferingSummary]:
    """Offerings of the municipality's basket (not withdrawn) not verified for too long."""
    cutoff = today - timedelta(days=stale_after_days)
    ids = (
        (
            await session.execute(
                select(o_.id)
                .where(
                    o_.tenant == tenant,
                    o_.status != model.Status.WITHDRAWN.value,
                    (o_.last_verified_on < cutoff) | o_.last_verified_on.is_(None),
                )
                .order_by(o_.last_verified_on.nulls_first(), o_.search_title)
            )
        )
        .scalars()
        .all()
    )
    if not ids:
        return []
    page = await search(
        session,
        SearchFilters(
            ids=tuple(ids), limit=len(ids), readable_tenants=frozenset({tenant}), sort="name"
        ),
        today=today,
        stale_after_days=stale_after_days,
    )
    return sorted(
        (item for item in page.items if item.id in set(ids)),
        key=lambda item: (item.last_verified_on or date.min, item.title),
    )


async def categories(session: AsyncSession) -> list[s.AreaOut]:

    c = orm.categories.c
    rows = (await session.execute(select(c.code, c.area, c.name_pl).order_by(c.position))).all()
    return [
        s.AreaOut(
            code=area,
            name=AREA_NAMES_PL[area],
            categories=[s.CategoryOut(code=r.code, name=r.name_pl) for r in rows if r.area == area],
        )
        for area in AREAS
    ]


async def institutions(session: AsyncSession, tenant: str) -> list[s.InstitutionOut]:
    """The providers the basket knows in a municipality (serving it or a member there)."""
    rows = await session.execute(
        select(i_.id, i_.name, i_.sector, i_.tenants_served, m_.state)
        .outerjoin(orm.memberships, and_(m_.institution_id == i_.id, m_.tenant == tenant))
        .where((i_.tenants_served.any_() == tenant) | m_.state.is_not(None))
        .order_by(func.lower(i_.name))
    )
    return [
        s.InstitutionOut(
            id=r.id,
            name=r.name,
            sector=r.sector,
            tenants_served=list(r.tenants_served),
            membership_state=r.state,
            may_offer=r.state in PARTICIPATING,
        )
        for r in rows
    ]


async def organizations(
    session: AsyncSession,
    *,
    tenant: str | None,
    search: str | None,
    limit: int,
    offset: int,
    id: uuid.UUID | None = None,
) -> tuple[list[Provider], int]:
    """Institutions with at least one published offering (HSDS organizations)."""
    has_published = (
        select(o_.id)
        .where(
            o_.institution_id == i_.id,
            o_.status == model.Status.PUBLISHED.value,
            *([o_.tenants_served.any_() == tenant] if tenant else []),
        )
        .exists()
    )
    query = select(i_.id, i_.name, i_.sector, i_.tenants_served).where(has_published)
    if search:
        query = query.where(func.lower(i_.name).contains(search.lower()))
    if id is not None:
        query = query.where(i_.id == id)
    total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    rows = await session.execute(query.order_by(i_.name, i_.id).limit(limit).offset(offset))
    return [Provider(r.id, r.name, r.sector, list(r.tenants_served)) for r in rows], int(total)
