"""Read queries behind the partners API. Every query is scoped to the caller's tenants."""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

from sqlalchemy import and_, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from partners.adapters import orm
from partners.domain import model
from partners.entrypoints import schemas as s
from shared.auth.principal import Principal
from shared.paging import Page, PageParams

i_ = orm.institutions.c
m_ = orm.memberships.c
p_ = orm.partnerships.c


def _name_matches(column: Any, q: str) -> Any:
    """Case- and diacritics-insensitive substring match (unaccent)."""
    pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return func.unaccent(func.lower(column)).like(func.unaccent(func.lower(literal(pattern))))


def _visible_institutions(principal: Principal) -> Any:
    tenants = principal.readable_tenants()
    return literal(True) if tenants is None else i_.tenants_served.overlap(list(tenants))


def _institution_out(row: Any, membership: Any | None) -> s.InstitutionOut:
    data = dict(row._mapping)
    data["sector_name"] = model.SECTOR_NAMES_PL[model.Sector(data["sector"])]
    summary = None
    if membership is not None and membership.membership_id is not None:
        summary = s.MembershipSummary(
            membership_id=membership.membership_id,
            partnership_id=membership.partnership_id,
            tenant=membership.m_tenant,
            state=membership.state,
            since=membership.since,
        )
    data["membership"] = summary
    return s.InstitutionOut.model_validate(data)


async def list_institutions(
    session: AsyncSession,
    principal: Principal,
    paging: PageParams,
    *,
    tenant: str | None,
    sector: model.Sector | None,
    state: model.MembershipState | None,
    q: str | None,
) -> Page[s.InstitutionOut]:
    membership_join = and_(m_.institution_id == i_.id, m_.tenant == tenant) if tenant else None
    columns = [*orm.institutions.c]
    query: Any
    if membership_join is not None:
        query = select(
            *columns,
            m_.id.label("membership_id"),
            m_.partnership_id,
            m_.tenant.label("m_tenant"),
            m_.state,
            m_.since,
        ).select_from(orm.institutions.outerjoin(orm.memberships, membership_join))
    else:
        query = select(*columns)
    query = query.where(_visible_institutions(principal))
    if tenant:
        query = query.where(i_.tenants_served.any_() == tenant)
    if sector:
        query = query.where(i_.sector == sector.value)
    if state:
        if not tenant:
            query = query.where(
                select(m_.id).where(m_.institution_id == i_.id, m_.state == state.value).exists()
            )
        else:
            query = query.where(m_.state == state.value)
    if q:
        query = query.where(_name_matches(i_.name, q))
    total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    rows = (
        await session.execute(
            query.order_by(i_.name, i_.id).limit(paging.per_page).offset(paging.offset)
        )
    ).all()
    items = [_institution_out(r, r if membership_join is not None else None) for r in rows]
    return paging.page_of(items, total)


async def get_institution(
    session: AsyncSession, principal: Principal, id: uuid.UUID, tenant: str | None
) -> s.InstitutionOut | None:
    row = (
        await session.execute(
            select(orm.institutions).where(i_.id == id, _visible_institutions(principal))
        )
    ).first()
    if row is None:
        return None
    membership = None
    if tenant:
        membership = (
            await session.execute(
                select(
                    m_.id.label("membership_id"),
                    m_.partnership_id,
                    m_.tenant.label("m_tenant"),
                    m_.state,
                    m_.since,
                ).where(m_.institution_id == id, m_.tenant == tenant)
            )
        ).first()
    return _institution_out(row, membership)


def _scope(column: Any, principal: Principal) -> Any:
    tenants = principal.readable_tenants()
    return literal(True) if tenants is None else column.in_(tenants)


async def municipalities(session: AsyncSession) -> list[s.MunicipalityOut]:
    """Municipalities with a partnership, by name (the front end sorts them the Polish way)."""
    rows = await session.execute(
        select(p_.tenant, p_.municipality_name).distinct().order_by(p_.municipality_name)
    )
    found = {str(tenant): str(name) for tenant, name in rows}
    return [s.MunicipalityOut(teryt=teryt, name=name) for teryt, name in found.items()]


async def list_partnerships(session: AsyncSession, principal: Principal) -> list[s.PartnershipOut]:
    rows = (
        await session.execute(
            select(orm.partnerships).where(_scope(p_.tenant, principal)).order_by(p_.name)
        )
    ).all()
    return [await _partnership_out(session, r) for r in rows]


async def get_partnership(
    session: AsyncSession, principal: Principal, id: uuid.UUID
) -> s.PartnershipOut | None:
    row = (
        await session.execute(
            select(orm.partnerships).where(p_.id == id, _scope(p_.tenant, principal))
        )
    ).first()
    return None if row is None else await _partnership_out(session, row)


async def _partnership_out(session: AsyncSession, row: Any) -> s.PartnershipOut:
    data = dict(row._mapping)
    data.pop("created_at", None)
    leader = (
        await session.execute(select(i_.name).where(i_.id == data["leader_institution_id"]))
    ).scalar_one()
    states = Counter(
        {
            st: n
            for st, n in (
                await session.execute(
                    select(m_.state, func.count())
                    .where(m_.partnership_id == data["id"])
                    .group_by(m_.state)
                )
            ).all()
        }
    )
    c_ = orm.coordinators.c
    coordinators = [
        s.CoordinatorOut.model_validate(dict(r._mapping, id=r.id))
        for r in (
            await session.execute(
                select(
                    c_.id,
                    c_.name,
                    c_.email,
                    c_.phone,
                    c_.user_id,
                    c_.institution_id,
                    c_.since,
                    c_.until,
                )
                .where(c_.partnership_id == data["id"])
                .order_by(c_.since, c_.name)
            )
        ).all()
    ]
    active = sum(1 for c in coordinators if c.until is None)
    warning = None
    if active < model.MIN_COORDINATORS:
        warning = (
            f"Partnerstwo ma {active} aktywnego koordynatora sieci; zalecanych jest co "
            "najmniej dwóch."
            if active == 1
            else "Partnerstwo nie ma aktywnego koordynatora sieci; zalecanych jest co najmniej "
            "dwóch."
        )
    return s.PartnershipOut(
        **data,
        leader_name=leader,
        members_by_state={st.value: states.get(st.value, 0) for st in model.MembershipState},
        coordinators=coordinators,
        coordinator_warning=warning,
    )


def _membership_out(m: model.Membership, institution: Any) -> s.MembershipOut:
    return s.MembershipOut(
        id=m.id,
        tenant=m.tenant,
        partnership_id=m.partnership_id,
        institution_id=m.institution_id,
        institution_name=institution.name,
        sector=institution.sector,
        state=m.state,
        state_name=model.MEMBERSHIP_STATE_NAMES_PL[m.state],
        since=m.since,
        declaration_reference=m.declaration_reference,
        declaration_date=m.declaration_date,
        history=[s.MembershipChangeOut.model_validate(h, from_attributes=True) for h in m.history],
    )


async def list_memberships(
    session: AsyncSession,
    principal: Principal,
    paging: PageParams,
    *,
    partnership_id: uuid.UUID | None,
    state: model.MembershipState | None,
    sector: model.Sector | None,
    q: str | None,
) -> Page[s.MembershipOut]:
    query = (
        select(model.Membership, i_.name, i_.sector)
        .join(orm.institutions, i_.id == m_.institution_id)
        .where(_scope(m_.tenant, principal))
    )
    if partnership_id:
        query = query.where(m_.partnership_id == partnership_id)
    if state:
        query = query.where(m_.state == state.value)
    if sector:
        query = query.where(i_.sector == sector.value)
    if q:
        query = query.where(_name_matches(i_.name, q))
    total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    rows = (
        await session.execute(
            query.order_by(i_.name, m_.id).limit(paging.per_page).offset(paging.offset)
        )
    ).all()
    return paging.page_of([_membership_out(r[0], r) for r in rows], total)


async def get_membership(
    session: AsyncSession, principal: Principal, id: uuid.UUID
) -> s.MembershipOut | None:
    row = (
        await session.execute(
            select(model.Membership, i_.name, i_.sector)
            .join(orm.institutions, i_.id == m_.institution_id)
            .where(m_.id == id, _scope(m_.tenant, principal))
        )
    ).first()
    return None if row is None else _membership_out(row[0], row)


async def contact_persons(
    session: AsyncSession, institution_id: uuid.UUID
) -> list[s.ContactPersonOut]:
    c_ = orm.contact_persons.c
    rows = (
        await session.execute(
            select(orm.contact_persons)
            .where(c_.institution_id == institution_id)
            .order_by(c_.active.desc(), c_.name)
        )
    ).all()
    return [s.ContactPersonOut.model_validate(dict(r._mapping)) for r in rows]


async def coverage(
    session: AsyncSession, principal: Principal, partnership_id: uuid.UUID
) -> s.CoverageOut | None:
    if await get_partnership_tenant(session, principal, partnership_id) is None:
        return None
    rows = (
        await session.execute(
            select(i_.sector, m_.state, func.count())
            .join(orm.institutions, i_.id == m_.institution_id)
            .where(m_.partnership_id == partnership_id)
            .group_by(i_.sector, m_.state)
        )
    ).all()
    by_sector: dict[str, Counter[str]] = {}
    for sector, state, n in rows:
        by_sector.setdefault(sector, Counter())[state] = n
    sectors = []
    for sector in model.Sector:
        counts = by_sector.get(sector.value, Counter())
        active = sum(counts[st.value] for st in model.ACTIVE_STATES)
        sectors.append(
            s.SectorCoverage(
                sector=sector,
                sector_name=model.SECTOR_NAMES_PL[sector],
                recommended=sector in model.RECOMMENDED_SECTORS,
                active_members=active,
                members_by_state={st.value: counts[st.value] for st in model.MembershipState},
            )
        )
    missing = [x.sector for x in sectors if x.recommended and x.active_members == 0]
    return s.CoverageOut(
        partnership_id=partnership_id,
        sectors=sectors,
        missing_recommended=missing,
        missing_recommended_names=[model.SECTOR_NAMES_PL[m] for m in missing],
    )


async def get_partnership_tenant(
    session: AsyncSession, principal: Principal, partnership_id: uuid.UUID
) -> str | None:
    tenant: str | None = (
        await session.execute(
            select(p_.tenant).where(p_.id == partnership_id, _scope(p_.tenant, principal))
        )
    ).scalar_one_or_none()
    return tenant


async def list_meetings(
    session: AsyncSession,
    principal: Principal,
    paging: PageParams,
    *,
    partnership_id: uuid.UUID | None,
    status: model.MeetingStatus | None,
) -> Page[s.MeetingOut]:
    mt = orm.meetings.c
    query = select(orm.meetings).where(_scope(mt.tenant, principal))
    if partnership_id:
        query = query.where(mt.partnership_id == partnership_id)
    if status:
        query = query.where(mt.status == status.value)
    total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    rows = (
        await session.execute(
            query.order_by(mt.starts_at.desc()).limit(paging.per_page).offset(paging.offset)
        )
    ).all()
    return paging.page_of([s.MeetingOut.model_validate(dict(r._mapping)) for r in rows], total)


async def get_meeting(
    session: AsyncSession, principal: Principal, id: uuid.UUID
) -> s.MeetingOut | None:
    mt = orm.meetings.c
    row = (
        await session.execute(select(orm.meetings).where(mt.id == id, _scope(mt.tenant, principal)))
    ).first()
    return None if row is None else s.MeetingOut.model_validate(dict(row._mapping))


async def institution_names(session: AsyncSession, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    rows = await session.execute(select(i_.id, i_.name).where(i_.id.in_(ids)))
    return {r[0]: r[1] for r in rows}
