"""Consumers of other services' events: the read models of institutions (partners) and of the
basket's offerings with their capacity. Each event is applied once (inbox, see shared.messaging)."""

from __future__ import annotations

from datetime import UTC, datetime

from faststream.nats import NatsBroker
from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cases.adapters import orm
from shared.contracts import CloudEvent, EventData
from shared.contracts import basket as basket_events
from shared.contracts import partners as partners_events
from shared.messaging import STREAMS, register_consumer

INSTITUTION_SUBJECTS = ("partners.institution.registered", "partners.institution.updated")


async def on_partners_event(session: AsyncSession, event: CloudEvent, data: EventData) -> None:
    if not isinstance(
        data, partners_events.InstitutionRegistered | partners_events.InstitutionUpdated
    ):
        return
    values = {
        "name": data.name,
        "sector": data.sector,
        "tenants_served": list(data.tenants_served),
        "updated_at": event.time,
    }
    statement = insert(orm.institutions).values(id=data.institution_id, **values)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[orm.institutions.c.id],
            set_=values,
            where=orm.institutions.c.updated_at <= event.time,
        )
    )


async def on_basket_event(session: AsyncSession, event: CloudEvent, data: EventData) -> None:
    if isinstance(data, basket_events.OfferingSnapshot):
        values = {
            "institution_id": data.institution_id,
            "provider_sector": data.provider_sector,
            "title": data.title,
            "area": data.area,
            "category": data.category,
            "status": data.status,
            "tenants_served": list(data.tenants_served),
            "capacity_status": data.capacity_status,
            "waiting_days": data.waiting_days,
            "cost": data.cost,
            "referral_required": data.referral_required,
            "updated_at": event.time,
        }
        statement = insert(orm.offerings).values(service_id=data.service_id, **values)
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=[orm.offerings.c.service_id],
                set_=values,
                where=orm.offerings.c.updated_at <= event.time,
            )
        )
    elif isinstance(data, basket_events.CapacityChanged):
        o = orm.offerings.c
        await session.execute(
            update(orm.offerings)
            .where(o.service_id == data.service_id, o.updated_at <= event.time)
            .values(
                capacity_status=data.capacity_status,
                waiting_days=data.waiting_days,
                updated_at=event.time or datetime.now(UTC),
            )
        )


def register_consumers(
    broker: NatsBroker, sessions: async_sessionmaker[AsyncSession], prefix: str
) -> None:
    register_consumer(
        broker,
        stream=STREAMS["partners"],
        durable=f"{prefix}-partners",
        sessions=sessions,
        inbox=orm.inbox,
        handler=on_partners_event,
        filter_subjects=INSTITUTION_SUBJECTS,
    )
    register_consumer(
        broker,
        stream=STREAMS["basket"],
        durable=f"{prefix}-basket",
        sessions=sessions,
        inbox=orm.inbox,
        handler=on_basket_event,
    )
