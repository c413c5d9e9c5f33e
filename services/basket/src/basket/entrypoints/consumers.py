"""The basket's read model of the partners service: institutions and memberships, fed by the
partners events; a membership that ends suspends the institution's offerings in that municipality.

Each event is applied in the consumer's transaction, together with its inbox record and the
outbox rows of any suspension, so a redelivery changes nothing. A row is overwritten only by an
event not older than the one it is as of (`event_time`, ADR 0083), so an older event arriving
late changes nothing either: not the row, not the offerings' sector, and it suspends nothing.
"""

from __future__ import annotations

from faststream.nats import NatsBroker
from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from basket.adapters import orm
from basket.adapters.uow import SqlUnitOfWork
from basket.service import commands as c
from basket.service import handlers
from basket.service.publishing import translate
from shared.contracts import CloudEvent
from shared.contracts import partners as contract
from shared.messaging import STREAMS, ConsumerStats, register_consumer
from shared.messaging.readmodel import ReadModel, newer_upsert

partners_read_model = ReadModel("basket-partners")


@partners_read_model.on(contract.InstitutionRegistered, contract.InstitutionUpdated)
async def on_institution(
    session: AsyncSession,
    event: CloudEvent,
    data: contract.InstitutionRegistered | contract.InstitutionUpdated,
) -> None:
    values = {
        "name": data.name,
        "sector": data.sector,
        "legal_form": data.legal_form,
        "regon": data.regon,
        "tenants_served": list(data.tenants_served),
        "updated_at": func.now(),
    }
    written = await session.execute(
        newer_upsert(
            orm.institutions, {"id": data.institution_id}, values, event.time, version="event_time"
        ).returning(orm.institutions.c.id)
    )
    if written.first() is None:
        return  # older than what the read model holds
    # The sector of the provider is a search filter kept on each offering.
    await session.execute(
        orm.offerings.update()
        .where(
            orm.offerings.c.institution_id == data.institution_id,
            orm.offerings.c.provider_sector != data.sector,
        )
        .values(provider_sector=data.sector)
    )


@partners_read_model.on(contract.MembershipChanged)
async def on_membership(
    session: AsyncSession, event: CloudEvent, data: contract.MembershipChanged
) -> None:
    tenant = event.tenant
    if tenant is None:
        return
    values = {
        "institution_id": data.institution_id,
        "tenant": tenant,
        "state": data.state,
        "effective_on": data.effective_on,
        "updated_at": func.now(),
    }
    written = await session.execute(
        newer_upsert(
            orm.memberships, {"id": data.membership_id}, values, event.time, version="event_time"
        ).returning(orm.memberships.c.id)
    )
    if written.first() is None:
        return  # older than what the read model holds
    await handlers.provider_left(
        c.ProviderLeft(data.institution_id, tenant, data.state),
        uow=SqlUnitOfWork.within(session, translate),
    )


SUBJECTS = partners_read_model.event_types


def register_partners_consumer(
    broker: NatsBroker, sessions: async_sessionmaker[AsyncSession], durable: str
) -> ConsumerStats:
    return register_consumer(
        broker,
        stream=STREAMS["partners"],
        durable=durable,
        sessions=sessions,
        inbox=orm.inbox,
        handler=partners_read_model,
        filter_subjects=SUBJECTS,
    )
