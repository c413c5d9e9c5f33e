"""Consumers of other services' events: the read models of institutions (partners) and of the
basket's offerings with their capacity, and the disclosures of case events to partner systems
(notifications), written into the case's access log. Each event is applied once (inbox, see
shared.messaging)."""

from __future__ import annotations

from faststream.nats import NatsBroker
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cases.adapters import orm
from shared.contracts import CloudEvent, EventData
from shared.contracts import basket as basket_events
from shared.contracts import notifications as notifications_events
from shared.contracts import partners as partners_events
from shared.messaging import STREAMS, register_consumer
from shared.messaging.readmodel import ReadModel, newer_update, newer_upsert

DISCLOSURE_SUBJECTS = (notifications_events.DisclosureRecorded.event_type,)
CHANNEL_NAMES_PL = {"webhook": "webhook", "feed": "strumień zdarzeń"}


partners_read_model = ReadModel("cases-partners")
basket_read_model = ReadModel("cases-basket")


@partners_read_model.on(partners_events.InstitutionRegistered, partners_events.InstitutionUpdated)
async def on_institution(
    session: AsyncSession,
    event: CloudEvent,
    data: partners_events.InstitutionRegistered | partners_events.InstitutionUpdated,
) -> None:
    values = {"name": data.name, "sector": data.sector, "tenants_served": list(data.tenants_served)}
    await session.execute(
        newer_upsert(orm.institutions, {"id": data.institution_id}, values, event.time)
    )


@basket_read_model.on(basket_events.OfferingSnapshot)
async def on_offering(
    session: AsyncSession, event: CloudEvent, data: basket_events.OfferingSnapshot
) -> None:
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
    }
    await session.execute(
        newer_upsert(orm.offerings, {"service_id": data.service_id}, values, event.time)
    )


@basket_read_model.on(basket_events.CapacityChanged)
async def on_capacity(
    session: AsyncSession, event: CloudEvent, data: basket_events.CapacityChanged
) -> None:
    values = {"capacity_status": data.capacity_status, "waiting_days": data.waiting_days}
    await session.execute(
        newer_update(orm.offerings, {"service_id": data.service_id}, values, event.time)
    )


async def on_notifications_event(session: AsyncSession, event: CloudEvent, data: EventData) -> None:
    """A case event reached a partner institution's system: one access-log entry, action
    `disclose`, in the case's chain (ADR 0029). An unknown case (another environment's id) is
    skipped: it has no record to write to."""
    if not isinstance(data, notifications_events.DisclosureRecorded):
        return
    tenant = (
        await session.execute(select(orm.cases.c.tenant).where(orm.cases.c.id == data.case_id))
    ).scalar_one_or_none()
    if tenant is None:
        return
    system = data.client_id or f"webhook {data.endpoint_id}"
    await session.execute(
        orm.access_log.insert().values(
            case_id=data.case_id,
            tenant=tenant,
            at=data.disclosed_at,
            actor_subject=f"{data.channel}:{data.client_id or data.endpoint_id}",
            actor_username=system,
            actor_name=f"system teleinformatyczny ({CHANNEL_NAMES_PL[data.channel]})",
            actor_roles="partner-system",
            relation="partner_system",
            institution_id=data.institution_id,
            action="disclose",
            outcome="allowed",
            what=data.disclosed_type,
            purpose=data.channel,
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
        handler=partners_read_model,
        filter_subjects=partners_read_model.event_types,
    )
    register_consumer(
        broker,
        stream=STREAMS["basket"],
        durable=f"{prefix}-basket",
        sessions=sessions,
        inbox=orm.inbox,
        handler=basket_read_model,
    )
    register_consumer(
        broker,
        stream=STREAMS["notifications"],
        durable=f"{prefix}-notifications",
        sessions=sessions,
        inbox=orm.inbox,
        handler=on_notifications_event,
        filter_subjects=DISCLOSURE_SUBJECTS,
    )
