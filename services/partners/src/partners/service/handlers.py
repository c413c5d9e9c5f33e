"""One small async function per command: load, apply the domain rule, commit once.

Reads are scoped by the actor's tenants, so another municipality's object is simply not found.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from partners.domain import events as ev
from partners.domain import model
from partners.service import commands as c
from partners.service.ports import UnitOfWork
from shared import clock
from shared.auth.principal import Principal
from shared.errors import Forbidden, InvalidInput, NotFound


def _now() -> datetime:
    return clock.now()


def _check_write(actor: Principal, tenant: str) -> None:
    if not actor.can_write_tenant(tenant):
        raise Forbidden("Nie masz uprawnień do zapisu w tej gminie.")


def _check_tenants_served(actor: Principal, tenants: Sequence[str]) -> None:
    for teryt in tenants:
        if not teryt.isdigit():
            raise InvalidInput.field("tenants_served", f"Nieprawidłowy kod TERYT: {teryt}.")


async def _partnership(uow: UnitOfWork, actor: Principal, id: uuid.UUID) -> model.Partnership:
    partnership = await uow.partnerships.get(id, actor.readable_tenants())
    if partnership is None:
        raise NotFound("Nie znaleziono partnerstwa.")
    return partnership


async def _institution_for_write(
    uow: UnitOfWork, actor: Principal, id: uuid.UUID
) -> model.Institution:
    institution = await uow.institutions.get(id, actor.readable_tenants())
    if institution is None:
        raise NotFound("Nie znaleziono instytucji.")
    if not actor.can_write_tenant(institution.tenant):
        raise Forbidden("Instytucję prowadzi koordynator innej gminy.")
    return institution


async def register_institution(
    cmd: c.RegisterInstitution, *, uow: UnitOfWork, actor: Principal
) -> uuid.UUID:
    _check_write(actor, cmd.tenant)
    _check_tenants_served(actor, cmd.tenants_served)
    async with uow:
        if cmd.institution_id and await uow.institutions.get(cmd.institution_id, None):
            raise InvalidInput.field(
                "id", "Instytucja o tym identyfikatorze już istnieje.", "duplicate"
            )
        institution = model.Institution.register(
            id=cmd.institution_id or uuid.uuid4(),
            tenant=cmd.tenant,
            name=cmd.name,
            sector=cmd.sector,
            tenants_served=list(dict.fromkeys([cmd.tenant, *cmd.tenants_served])),
            **cmd.details,
        )
        await uow.institutions.add(institution)
        await uow.commit()
        return institution.id


async def update_institution(
    cmd: c.UpdateInstitution, *, uow: UnitOfWork, actor: Principal
) -> tuple[str, ...]:
    async with uow:
        institution = await _institution_for_write(uow, actor, cmd.institution_id)
        changed = institution.update(cmd.changes)
        await uow.commit()
        return changed


async def establish_partnership(
    cmd: c.EstablishPartnership, *, uow: UnitOfWork, actor: Principal
) -> uuid.UUID:
    _check_write(actor, cmd.tenant)
    async with uow:
        if await uow.partnerships.for_tenant(cmd.tenant) is not None:
            raise InvalidInput.field("tenant", "Ta gmina ma już partnerstwo.", "duplicate")
        leader = await uow.institutions.get(cmd.leader_institution_id, frozenset({cmd.tenant}))
        if leader is None:
            raise InvalidInput.field(
                "leader_institution_id",
                "Lider musi być instytucją działającą w tej gminie.",
                "unknown_institution",
            )
        partnership = model.Partnership.establish(
            id=cmd.partnership_id or uuid.uuid4(),
            tenant=cmd.tenant,
            name=cmd.name,
            municipality_name=cmd.municipality_name,
            leader_institution_id=leader.id,
            **cmd.details,
        )
        await uow.partnerships.add(partnership)
        # The leader takes part from the start, by its own declaration.
        membership = model.Membership.start(
            id=uuid.uuid4(),
            tenant=cmd.tenant,
            partnership_id=partnership.id,
            institution_id=leader.id,
            state=model.MembershipState.DECLARED,
            effective_on=cmd.details.get("established_on") or clock.today(),
            declaration_reference=cmd.details.get("formal_act_reference") or "lider partnerstwa",
            changed_by=actor.username,
            now=_now(),
        )
        await uow.memberships.add(membership)
        await uow.commit()
        return partnership.id


async def update_partnership(
    cmd: c.UpdatePartnership, *, uow: UnitOfWork, actor: Principal
) -> tuple[str, ...]:
    async with uow:
        partnership = await _partnership(uow, actor, cmd.partnership_id)
        _check_write(actor, partnership.tenant)
        leader = cmd.changes.get("leader_institution_id")
        if leader is not None:
            membership = await uow.memberships.find(partnership.id, leader)
            if membership is None or not membership.active:
                raise InvalidInput.field(
                    "leader_institution_id",
                    "Liderem może być tylko aktywny członek partnerstwa.",
                    "not_a_member",
                )
        changed = partnership.update(cmd.changes)
        await uow.commit()
        return changed


async def add_membership(cmd: c.AddMembership, *, uow: UnitOfWork, actor: Principal) -> uuid.UUID:
    async with uow:
        partnership = await _partnership(uow, actor, cmd.partnership_id)
        _check_write(actor, partnership.tenant)
        institution = await uow.institutions.get(
            cmd.institution_id, frozenset({partnership.tenant})
        )
        if institution is None:
            raise InvalidInput.field(
                "institution_id",
                "Instytucja nie jest w rejestrze tej gminy.",
                "unknown_institution",
            )
        if await uow.memberships.find(partnership.id, institution.id) is not None:
            raise InvalidInput.field(
                "institution_id", "Ta instytucja ma już członkostwo; zmień jego stan.", "duplicate"
            )
        membership = model.Membership.start(
            id=uuid.uuid4(),
            tenant=partnership.tenant,
            partnership_id=partnership.id,
            institution_id=institution.id,
            state=cmd.state,
            effective_on=cmd.effective_on,
            declaration_reference=cmd.declaration_reference,
            declaration_date=cmd.declaration_date,
            reason=cmd.reason,
            changed_by=actor.username,
            now=_now(),
        )
        await uow.memberships.add(membership)
        await uow.commit()
        return membership.id


async def change_membership_state(
    cmd: c.ChangeMembershipState, *, uow: UnitOfWork, actor: Principal
) -> model.MembershipState:
    async with uow:
        membership = await uow.memberships.get(cmd.membership_id, actor.readable_tenants())
        if membership is None:
            raise NotFound("Nie znaleziono członkostwa.")
        _check_write(actor, membership.tenant)
        membership.change_state(
            cmd.state,
            effective_on=cmd.effective_on,
            changed_by=actor.username,
            now=_now(),
            reason=cmd.reason,
            declaration_reference=cmd.declaration_reference,
            declaration_date=cmd.declaration_date,
        )
        await uow.commit()
        return membership.state


async def add_contact_person(
    cmd: c.AddContactPerson, *, uow: UnitOfWork, actor: Principal
) -> uuid.UUID:
    async with uow:
        institution = await _institution_for_write(uow, actor, cmd.institution_id)
        person = model.ContactPerson(
            id=uuid.uuid4(),
            tenant=institution.tenant,
            institution_id=institution.id,
            name=cmd.name,
            **cmd.details,
        )
        person.record(ev.ContactPersonChanged(person.id))
        await uow.contacts.add(person)
        await uow.commit()
        return person.id


async def update_contact_person(
    cmd: c.UpdateContactPerson, *, uow: UnitOfWork, actor: Principal
) -> tuple[str, ...]:
    async with uow:
        person = await uow.contacts.get(cmd.contact_person_id, actor.readable_tenants())
        if person is None:
            raise NotFound("Nie znaleziono osoby do kontaktu.")
        _check_write(actor, person.tenant)
        changed = person.update(cmd.changes)
        await uow.commit()
        return changed


async def _coordinators_changed(uow: UnitOfWork, partnership: model.Partnership) -> None:
    count = len(await uow.coordinators.active(partnership.id))
    partnership.record(ev.CoordinatorsChanged(partnership.id, count))


async def add_coordinator(cmd: c.AddCoordinator, *, uow: UnitOfWork, actor: Principal) -> uuid.UUID:
    async with uow:
        partnership = await _partnership(uow, actor, cmd.partnership_id)
        _check_write(actor, partnership.tenant)
        institution_id = cmd.details.get("institution_id")
        if institution_id is not None and not await uow.institutions.get(
            institution_id, frozenset({partnership.tenant})
        ):
            raise InvalidInput.field(
                "institution_id",
                "Instytucja nie jest w rejestrze tej gminy.",
                "unknown_institution",
            )
        coordinator = model.Coordinator(
            id=uuid.uuid4(),
            tenant=partnership.tenant,
            partnership_id=partnership.id,
            name=cmd.name,
            since=cmd.since,
            **cmd.details,
        )
        await uow.coordinators.add(coordinator)
        await _coordinators_changed(uow, partnership)
        await uow.commit()
        return coordinator.id


async def end_coordinator(cmd: c.EndCoordinator, *, uow: UnitOfWork, actor: Principal) -> None:
    async with uow:
        coordinator = await uow.coordinators.get(cmd.coordinator_id, actor.readable_tenants())
        if coordinator is None or coordinator.until is not None:
            raise NotFound("Nie znaleziono aktywnego koordynatora.")
        _check_write(actor, coordinator.tenant)
        if coordinator.since and cmd.until < coordinator.since:
            raise InvalidInput.field("until", "Koniec pełnienia funkcji przed jej początkiem.")
        coordinator.until = cmd.until
        partnership = await _partnership(uow, actor, coordinator.partnership_id)
        await _coordinators_changed(uow, partnership)
        await uow.commit()


async def _active_members(uow: UnitOfWork, partnership_id: uuid.UUID) -> list[model.Membership]:
    return [m for m in await uow.memberships.of_partnership(partnership_id) if m.active]


async def proposed_host(
    partnership_id: uuid.UUID, *, uow: UnitOfWork, actor: Principal
) -> uuid.UUID | None:
    async with uow:
        partnership = await _partnership(uow, actor, partnership_id)
        return await _propose(uow, partnership)


async def _propose(uow: UnitOfWork, partnership: model.Partnership) -> uuid.UUID | None:
    members = await _active_members(uow, partnership.id)
    institutions = {i.id: i for i in await uow.institutions.serving(partnership.tenant)}
    candidates = [
        (m.institution_id, institutions[m.institution_id].name)
        for m in members
        if m.institution_id in institutions
    ]
    return model.propose_host(candidates, await uow.meetings.hosting_record(partnership.id))


async def schedule_meeting(
    cmd: c.ScheduleMeeting, *, uow: UnitOfWork, actor: Principal
) -> uuid.UUID:
    async with uow:
        partnership = await _partnership(uow, actor, cmd.partnership_id)
        _check_write(actor, partnership.tenant)
        member_ids = {m.institution_id for m in await _active_members(uow, partnership.id)}
        host = cmd.host_institution_id
        if host is None and cmd.use_proposed_host:
            host = await _propose(uow, partnership)
        for name in ("host_institution_id", "chair_institution_id"):
            value = host if name == "host_institution_id" else cmd.details.get(name)
            if value is not None and value not in member_ids:
                raise InvalidInput.field(
                    name, "To nie jest aktywny członek partnerstwa.", "not_a_member"
                )
        meeting = model.Meeting.schedule(
            id=uuid.uuid4(),
            tenant=partnership.tenant,
            partnership_id=partnership.id,
            title=cmd.title,
            starts_at=cmd.starts_at,
            host_institution_id=host,
            **cmd.details,
        )
        await uow.meetings.add(meeting)
        await uow.commit()
        return meeting.id


async def record_meeting_held(
    cmd: c.RecordMeetingHeld, *, uow: UnitOfWork, actor: Principal
) -> None:
    async with uow:
        meeting = await uow.meetings.get(cmd.meeting_id, actor.readable_tenants())
        if meeting is None:
            raise NotFound("Nie znaleziono spotkania.")
        _check_write(actor, meeting.tenant)
        members = {
            m.institution_id
            for m in await uow.memberships.of_partnership(meeting.partnership_id)
            if m.state != model.MembershipState.LEFT
        }
        meeting.record_held(
            held_at=cmd.held_at,
            attendance=cmd.attendance,
            minutes=cmd.minutes,
            decisions=cmd.decisions,
            member_ids=members,
        )
        await uow.commit()


async def cancel_meeting(cmd: c.CancelMeeting, *, uow: UnitOfWork, actor: Principal) -> None:
    async with uow:
        meeting = await uow.meetings.get(cmd.meeting_id, actor.readable_tenants())
        if meeting is None:
            raise NotFound("Nie znaleziono spotkania.")
        _check_write(actor, meeting.tenant)
        meeting.cancel(cmd.reason)
        await uow.commit()
