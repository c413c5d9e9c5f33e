"""The basket's partners read model is order-independent (ADR 0083): the same partners events, in
any order and with duplicates, leave the same institutions and memberships. An older update that
arrives late no longer overwrites a newer name."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from basket.adapters import orm
from basket.entrypoints.consumers import partners_read_model
from shared.contracts import CloudEvent
from shared.contracts import partners as pc
from shared.db import create_engine, session_factory
from shared.testing.readmodel import apply_deliveries, check_order_independence

A, B = "1219053", "1219043"
T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def at(seconds: int, data: pc.EventData, tenant: str = A) -> CloudEvent:
    return CloudEvent.wrap(
        data, source=pc.SOURCE, tenant=tenant, time=T0 + timedelta(seconds=seconds)
    )


def registered(i: uuid.UUID, name: str, sector: str) -> pc.InstitutionRegistered:
    return pc.InstitutionRegistered(
        institution_id=i,
        name=name,
        sector=sector,  # type: ignore[arg-type]
        tenants_served=[A],
    )


def updated(i: uuid.UUID, name: str, sector: str, tenants: list[str]) -> pc.InstitutionUpdated:
    return pc.InstitutionUpdated(
        institution_id=i,
        name=name,
        sector=sector,  # type: ignore[arg-type]
        tenants_served=tenants,
        changed_fields=["name"],
    )


def membership(m: uuid.UUID, i: uuid.UUID, state: str, day: int) -> pc.MembershipChanged:
    return pc.MembershipChanged(
        membership_id=m,
        partnership_id=uuid.uuid5(uuid.NAMESPACE_URL, A),
        institution_id=i,
        sector="ngo",
        state=state,  # type: ignore[arg-type]
        effective_on=date(2026, 11, day),
    )


def scenario(ids: list[uuid.UUID]) -> list[CloudEvent]:
    """Two institutions renamed (one re-sectored, one serving other municipalities), two
    memberships changing state."""
    school, ngo, m1, m2 = ids
    return [
        at(0, registered(school, "Szkoła", "education")),
        at(1, registered(ngo, "Fundacja", "ngo")),
        at(2, membership(m1, school, "declared", 2)),
        at(3, updated(school, "Szkoła nr 7", "education", [A, B])),
        at(4, membership(m2, ngo, "declared", 2)),
        at(5, membership(m1, school, "informal", 3)),
        at(6, updated(ngo, "Fundacja Rodzina", "social_economy", [A])),
        at(7, membership(m2, ngo, "suspended", 4)),
        at(8, updated(school, "Szkoła Podstawowa nr 7", "education", [B])),
        at(9, membership(m2, ngo, "declared", 5)),
        at(10, membership(m1, school, "left", 6)),
    ]


async def state(session: AsyncSession, ids: list[uuid.UUID]) -> object:
    i, m = orm.institutions.c, orm.memberships.c
    institutions = await session.execute(
        select(i.id, i.name, i.sector, i.tenants_served, i.event_time)
        .where(i.id.in_(ids))
        .order_by(i.name)
    )
    memberships = await session.execute(
        select(m.id, m.institution_id, m.tenant, m.state, m.effective_on, m.event_time)
        .where(m.id.in_(ids))
        .order_by(m.state)
    )
    return [tuple(r) for r in institutions], [tuple(r) for r in memberships]


@pytest.fixture
async def sessions(databases):
    orm.start_mappers()  # as the service's bootstrap does
    engine = create_engine(await databases.create("basket"), pool_size=2)
    yield session_factory(engine)
    await engine.dispose()


async def test_same_events_in_any_order_with_duplicates_give_the_same_read_model(sessions):
    institutions, memberships = await check_order_independence(
        sessions,
        inbox=orm.inbox,
        handler=partners_read_model,
        scenario=scenario,
        state=state,
        objects=4,
    )
    assert [row[1] for row in institutions] == ["Fundacja Rodzina", "Szkoła Podstawowa nr 7"]
    assert [row[3] for row in memberships] == ["declared", "left"]


async def test_an_older_update_arriving_late_does_not_overwrite_a_newer_name(sessions):
    from shared.messaging.consumer import InboxApplier

    ids = [uuid.uuid4() for _ in range(4)]
    events = scenario(ids)
    applier = InboxApplier("late", orm.inbox, partners_read_model)
    newest_first = [events[0], events[8], events[3]]  # registered, renamed twice, late
    await apply_deliveries(sessions, applier, newest_first)
    async with sessions() as session:
        name = (
            await session.execute(
                select(orm.institutions.c.name).where(orm.institutions.c.id == ids[0])
            )
        ).scalar_one()
    assert name == "Szkoła Podstawowa nr 7"
