"""The cases service's read models of institutions (partners) and offerings (basket) are
order-independent (ADR 0083): the same events, in any order and with duplicates, leave the same
rows. (Offerings: snapshots only. A capacity change shares the snapshot's one version column, so
one that arrives before the offering's first snapshot, or a snapshot older than it that arrives
after it, is lost: see the ADR.)"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cases.adapters import orm
from cases.entrypoints.consumers import basket_read_model, partners_read_model
from shared.contracts import CloudEvent, EventData
from shared.contracts import basket as bc
from shared.contracts import partners as pc
from shared.db import create_engine, session_factory
from shared.testing.readmodel import check_order_independence

A, B = "1219053", "1219043"
T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def at(seconds: int, data: EventData, source: str) -> CloudEvent:
    return CloudEvent.wrap(data, source=source, tenant=A, time=T0 + timedelta(seconds=seconds))


def institution(
    kind: type[pc.InstitutionRegistered] | type[pc.InstitutionUpdated],
    i: uuid.UUID,
    name: str,
    tenants: list[str],
) -> EventData:
    extra = {"changed_fields": ["name"]} if kind is pc.InstitutionUpdated else {}
    return kind(institution_id=i, name=name, sector="ngo", tenants_served=tenants, **extra)  # type: ignore[arg-type]


def institutions(ids: list[uuid.UUID]) -> list[CloudEvent]:
    one, two = ids
    return [
        at(0, institution(pc.InstitutionRegistered, one, "Fundacja", [A]), pc.SOURCE),
        at(1, institution(pc.InstitutionRegistered, two, "Szkoła", [A]), pc.SOURCE),
        at(2, institution(pc.InstitutionUpdated, one, "Fundacja Rodzina", [A, B]), pc.SOURCE),
        at(3, institution(pc.InstitutionUpdated, two, "Szkoła nr 7", [B]), pc.SOURCE),
        at(4, institution(pc.InstitutionUpdated, one, "Fundacja Rodzina i Dom", [B]), pc.SOURCE),
    ]


def snapshot(
    kind: type[bc.OfferingSnapshot],
    service: uuid.UUID,
    provider: uuid.UUID,
    title: str,
    **kw: object,
) -> EventData:
    values: dict[str, object] = {
        "service_id": service,
        "institution_id": provider,
        "provider_sector": "ngo",
        "title": title,
        "area": "family_support",
        "category": "family_support.counselling",
        "status": "draft",
        "tenants_served": [A],
        "capacity_status": "available",
        "cost": "free",
        "referral_required": False,
    } | kw
    return kind(**values)


def offerings(ids: list[uuid.UUID]) -> list[CloudEvent]:
    s1, s2, provider = ids
    src = bc.SOURCE
    return [
        at(0, snapshot(bc.ServiceAdded, s1, provider, "Konsultacje"), src),
        at(1, snapshot(bc.ServiceAdded, s2, provider, "Świetlica"), src),
        at(2, snapshot(bc.ServicePublished, s1, provider, "Konsultacje", status="published"), src),
        at(
            3,
            snapshot(
                bc.ServiceUpdated,
                s2,
                provider,
                "Świetlica dla dzieci",
                waiting_days=7,
                capacity_status="waitlist",
            ),
            src,
        ),
        at(
            4,
            snapshot(
                bc.ServiceSuspended, s1, provider, "Konsultacje", status="suspended", reason="x"
            ),
            src,
        ),
        at(
            5,
            snapshot(
                bc.ServiceUpdated,
                s1,
                provider,
                "Konsultacje rodzinne",
                status="suspended",
                tenants_served=[A, B],
            ),
            src,
        ),
    ]


async def institution_rows(session: AsyncSession, ids: list[uuid.UUID]) -> object:
    i = orm.institutions.c
    rows = await session.execute(
        select(i.id, i.name, i.sector, i.tenants_served, i.updated_at)
        .where(i.id.in_(ids))
        .order_by(i.name)
    )
    return [tuple(r) for r in rows]


async def offering_rows(session: AsyncSession, ids: list[uuid.UUID]) -> object:
    o = orm.offerings.c
    rows = await session.execute(
        select(orm.offerings).where(o.service_id.in_(ids)).order_by(o.title)
    )
    return [tuple(r) for r in rows]


@pytest.fixture
async def sessions(databases):
    engine = create_engine(await databases.create("cases"), pool_size=2)
    yield session_factory(engine)
    await engine.dispose()


async def test_institutions_in_any_order_with_duplicates_give_the_same_rows(sessions):
    rows = await check_order_independence(
        sessions,
        inbox=orm.inbox,
        handler=partners_read_model,
        scenario=institutions,
        state=institution_rows,
        objects=2,
    )
    assert [r[1] for r in rows] == ["Fundacja Rodzina i Dom", "Szkoła nr 7"]


async def test_offering_snapshots_in_any_order_with_duplicates_give_the_same_rows(sessions):
    rows = await check_order_independence(
        sessions,
        inbox=orm.inbox,
        handler=basket_read_model,
        scenario=offerings,
        state=offering_rows,
        objects=3,
    )
    assert [r[3] for r in rows] == ["Konsultacje rodzinne", "Świetlica dla dzieci"]
