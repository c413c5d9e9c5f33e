"""Translation of the basket's domain events into the published contracts (shared.contracts)."""

from __future__ import annotations

from typing import Any

from basket.domain import events as ev
from basket.domain import model
from shared.contracts import CloudEvent, EventData
from shared.contracts import basket as contract

SOURCE = contract.SOURCE


def snapshot(o: model.Offering) -> dict[str, Any]:
    """The OfferingSnapshot fields every offering event carries."""
    return {
        "service_id": o.id,
        "institution_id": o.institution_id,
        "provider_sector": o.provider_sector,
        "title": o.title,
        "area": o.area,
        "category": o.category,
        "status": o.status.value,
        "tenants_served": list(o.tenants_served),
        "capacity_status": o.capacity_status.value,
        "waiting_days": o.waiting_days,
        "cost": o.cost.kind.value,
        "referral_required": o.eligibility.referral_required,
        "last_verified_on": o.last_verified_on,
    }


def _wrap(data: EventData, o: model.Offering) -> CloudEvent:
    return CloudEvent.wrap(data, source=SOURCE, tenant=o.tenant, subject=str(o.id))


async def translate(uow: Any, o: model.Offering, event: ev.DomainEvent) -> list[CloudEvent]:
    data: EventData
    match event:
        case ev.OfferingAdded():
            data = contract.ServiceAdded(**snapshot(o))
        case ev.OfferingUpdated(changes=changes):
            data = contract.ServiceUpdated(**snapshot(o), changed_fields=[c.field for c in changes])
        case ev.OfferingPublished():
            data = contract.ServicePublished(**snapshot(o))
        case ev.OfferingSuspended(reason=reason, because_provider_left=left):
            data = contract.ServiceSuspended(
                **snapshot(o), reason=reason, because_provider_left=left
            )
        case ev.OfferingWithdrawn(reason=reason):
            data = contract.ServiceWithdrawn(**snapshot(o), reason=reason)
        case ev.OfferingVerified(verified_on=verified_on):
            assert verified_on is not None
            data = contract.ServiceVerified(
                service_id=o.id, institution_id=o.institution_id, verified_on=verified_on
            )
        case ev.CapacityChanged(previous_status=previous):
            data = contract.CapacityChanged(
                service_id=o.id,
                institution_id=o.institution_id,
                previous_status=previous,
                capacity_status=o.capacity_status.value,
                waiting_days=o.waiting_days,
            )
        case _:
            raise TypeError(f"no contract for {type(event).__name__}")
    return [_wrap(data, o)]
