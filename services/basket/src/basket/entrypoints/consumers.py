"""The basket's read model of the partners service: institutions and memberships, fed by the
partners events; a membership that ends suspends the institution's offerings in that municipality.

Each event is applied in the consumer's transaction, together with its inbox record and the
outbox rows of any suspension, so a redelivery changes nothing.
"""

from __future__ import annotations

from faststream.nats import NatsBroker
from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from basket.adapters import orm
from basket.adapters.uow import SqlUnitOfWork
from basket.service import commands as c
from basket.service import handlers
from basket.service.publishing import translate
from shared.contracts import CloudEvent, EventData
from shared.contracts import partners as contract
from shared.messaging import STREAMS, ConsumerStats, register_consumer

SUBJECTS = (
    contract.InstitutionRegistered.event_type,
    contract.InstitutionUpdated.event_type,
    contract.MembershipChanged.event_type,
)


async def apply_partners_event(session: AsyncSession, event: CloudEvent, data: EventData) -> None:
    match data:
        case contract.InstitutionRegistered() | contract.InstitutionUpdated():
            values = {
                "name": data.name,
                "sector": data.sector,
                "legal_form": data.legal_form,
                "regon": data.regon,
                "tenants_served": list(data.tenants_served),
                "updated_at": func.now(),
            }
            await session.execute(
                insert(orm.institutions)
                .values(id=data.institution_id, **values)
                .on_conflict_do_update(index_elements=["id"], set_=values)
            )
            # The sector of the provider is a search filter kept on each offering.
            await session.execute(
                orm.offerings.update()
                .where(
                    orm.offerings.c.institution_id == data.institution_id,
                    orm.offerings.c.provider_sector != data.sector,
                )
                .values(provider_sector=data.sector)
            )
        case contract.MembershipChanged():
            tenant = event.tenant
            if tenant is None:
                return
            values_m = {
                "institution_id": data.institution_id,
                "tenant": tenant,
                "state": data.state,
                "effective_on": data.effective_on,
                "updated_at": func.now(),
            }
            await session.execute(
                insert(orm.memberships)
                .values(id=data.membership_id, **values_m)
                .on_conflict_do_update(index_elements=["id"], set_=values_m)
            )
            await handlers.provider_left(
                c.ProviderLeft(data.institution_id, tenant, data.state),
                uow=SqlUnitOfWork.within(session, translate),
            )


def register_partners_consumer(
    broker: NatsBroker, sessions: async_sessionmaker[AsyncSession], durable: str
) -> ConsumerStats:
    return register_consumer(
        broker,
        stream=STREAMS["partners"],
        durable=durable,
        sessions=sessions,
        inbox=orm.inbox,
        handler=apply_partners_event,
        filter_subjects=SUBJECTS,
    )
