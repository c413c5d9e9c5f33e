"""Translation of the partners domain events into the published contracts (shared.contracts)."""

from __future__ import annotations

from typing import Any

from partners.domain import events as ev
from partners.domain import model
from shared.contracts import CloudEvent, EventData
from shared.contracts import partners as contract

SOURCE = contract.SOURCE


def _wrap(data: EventData, tenant: str | None, subject: Any) -> CloudEvent:
    return CloudEvent.wrap(data, source=SOURCE, tenant=tenant, subject=str(subject))


def _institution_data(i: model.Institution) -> dict[str, Any]:
    return {
        "institution_id": i.id,
        "name": i.name,
        "sector": i.sector.value,
        "legal_form": i.legal_form,
        "regon": i.regon,
        "tenants_served": list(i.tenants_served),
    }


async def translate(uow: Any, aggregate: object, event: ev.DomainEvent) -> list[CloudEvent]:
    match event, aggregate:
        case ev.InstitutionRegistered(), model.Institution() as i:
            return [_wrap(contract.InstitutionRegistered(**_institution_data(i)), i.tenant, i.id)]
        case ev.InstitutionUpdated(changed_fields=changed), model.Institution() as i:
            data = contract.InstitutionUpdated(**_institution_data(i), changed_fields=list(changed))
            return [_wrap(data, i.tenant, i.id)]
        case ev.PartnershipEstablished(), model.Partnership() as p:
            data_p = contract.PartnershipEstablished(
                partnership_id=p.id, name=p.name, leader_institution_id=p.leader_institution_id
            )
            return [_wrap(data_p, p.tenant, p.id)]
        case ev.PartnershipUpdated(changed_fields=changed), model.Partnership() as p:
            data_u = contract.PartnershipUpdated(
                partnership_id=p.id,
                name=p.name,
                leader_institution_id=p.leader_institution_id,
                changed_fields=list(changed),
            )
            return [_wrap(data_u, p.tenant, p.id)]
        case ev.MembershipChanged() as e, model.Membership() as m:
            institution = await uow.institutions.get(m.institution_id, None)
            data_m = contract.MembershipChanged(
                membership_id=m.id,
                partnership_id=m.partnership_id,
                institution_id=m.institution_id,
                sector=institution.sector.value,
                previous_state=e.previous_state,
                state=e.state,
                effective_on=e.effective_on,
            )
            return [_wrap(data_m, m.tenant, m.id)]
        case ev.ContactPersonChanged(), model.ContactPerson() as cp:
            data_c = contract.ContactPersonChanged(
                contact_person_id=cp.id,
                institution_id=cp.institution_id,
                user_id=cp.user_id,
                name=cp.name,
                role=cp.position,
                email=cp.email,
                phone=cp.phone,
                active=cp.active,
            )
            return [_wrap(data_c, cp.tenant, cp.id)]
        case ev.CoordinatorsChanged(count=count), model.Partnership() as p:
            data_k = contract.CoordinatorsChanged(
                partnership_id=p.id,
                coordinator_count=count,
                understaffed=count < model.MIN_COORDINATORS,
            )
            return [_wrap(data_k, p.tenant, p.id)]
        case ev.MeetingScheduled(), model.Meeting() as mt:
            data_s = contract.MeetingScheduled(
                meeting_id=mt.id,
                partnership_id=mt.partnership_id,
                starts_at=mt.starts_at,
                host_institution_id=mt.host_institution_id,
                chair_institution_id=mt.chair_institution_id,
                online=bool(mt.online_url),
            )
            return [_wrap(data_s, mt.tenant, mt.id)]
        case ev.MeetingHeld(held_at=held_at), model.Meeting() as mt:
            data_h = contract.MeetingHeld(
                meeting_id=mt.id,
                partnership_id=mt.partnership_id,
                held_at=held_at,
                host_institution_id=mt.host_institution_id,
                attending_institution_ids=[a["institution_id"] for a in mt.attendance],
                decision_count=len(mt.decisions),
            )
            return [_wrap(data_h, mt.tenant, mt.id)]
        case ev.MeetingCancelled(reason=reason), model.Meeting() as mt:
            data_x = contract.MeetingCancelled(
                meeting_id=mt.id, partnership_id=mt.partnership_id, reason=reason
            )
            return [_wrap(data_x, mt.tenant, mt.id)]
    raise TypeError(f"no contract for {type(event).__name__} on {type(aggregate).__name__}")
