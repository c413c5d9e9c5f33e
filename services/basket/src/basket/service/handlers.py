"""One small async function per command: load, check who may do it, apply the rule, commit once.

An offering another municipality's staff may not see is simply not found; one they see but may
not change is forbidden.
"""

from __future__ import annotations

import uuid
from datetime import date

from basket.domain import model
from basket.service import commands as c
from basket.service.ports import UnitOfWork
from shared import clock
from shared.auth.principal import Principal
from shared.auth.roles import Role
from shared.errors import Forbidden, InvalidInput, NotFound

# Membership states in which an institution takes part in the municipality's partnership.
PARTICIPATING = frozenset({"informal", "declared"})
# Membership states that take the institution's published offerings off the basket.
ENDED = frozenset({"left", "suspended"})

SUSPENSION_REASONS = {
    "left": "Instytucja wystąpiła z partnerstwa gminy.",
    "suspended": "Członkostwo instytucji w partnerstwie gminy zostało zawieszone.",
}


def today() -> date:
    """Today in Poland on the service's clock (ADR 0015)."""
    return clock.today()


def can_see(actor: Principal, o: model.Offering) -> bool:
    """Everyone signed in reads published offerings (the public does too); drafts, suspended and
    withdrawn ones only the municipality's own staff and regional staff."""
    readable = actor.readable_tenants()
    return readable is None or o.tenant in readable or o.status is model.Status.PUBLISHED


def can_edit(actor: Principal, tenant: str, institution_id: uuid.UUID) -> bool:
    if actor.has_role(Role.REGIONAL_ADMIN):
        return True
    if tenant not in actor.tenants:
        return False
    if actor.has_role(Role.COORDINATOR):
        return True
    return actor.has_role(Role.PARTNER_EDITOR) and actor.institution_id == institution_id


async def _for_edit(uow: UnitOfWork, actor: Principal, id: uuid.UUID) -> model.Offering:
    offering = await uow.offerings.get(id)
    if offering is None or not can_see(actor, offering):
        raise NotFound("Nie znaleziono usługi.")
    if not can_edit(actor, offering.tenant, offering.institution_id):
        raise Forbidden("Tę usługę może zmieniać koordynator gminy albo redaktor jej realizatora.")
    return offering


async def _participating(uow: UnitOfWork, institution_id: uuid.UUID, tenant: str) -> None:
    state = await uow.catalogue.membership_state(institution_id, tenant)
    if state not in PARTICIPATING:
        raise InvalidInput.field(
            "institution_id",
            "Instytucja nie uczestniczy w partnerstwie tej gminy (nieformalnie ani na podstawie "
            "deklaracji).",
            "not_a_partner",
        )


async def add_offering(cmd: c.AddOffering, *, uow: UnitOfWork, actor: Principal) -> uuid.UUID:
    if not can_edit(actor, cmd.tenant, cmd.institution_id):
        raise Forbidden(
            "Usługę dodaje koordynator gminy albo redaktor instytucji, która ją realizuje."
        )
    async with uow:
        category = await uow.catalogue.category(cmd.category)
        if category is None:
            raise InvalidInput.field("category", f"Nieznana kategoria: {cmd.category}.", "unknown")
        provider = await uow.catalogue.provider(cmd.institution_id)
        if provider is None:
            raise InvalidInput.field(
                "institution_id", "Nie ma takiej instytucji w rejestrze partnerów.", "unknown"
            )
        await _participating(uow, provider.id, cmd.tenant)
        if cmd.offering_id and await uow.offerings.exists(cmd.offering_id):
            # As the partners registry answers for an institution's id (422 naming `id`).
            raise InvalidInput.field(
                "id", "Usługa o tym identyfikatorze już istnieje.", "duplicate"
            )
        offering = model.Offering.add(
            by=actor.username,
            today=today(),
            area=category.area,
            id=cmd.offering_id or uuid.uuid4(),
            tenant=cmd.tenant,
            institution_id=provider.id,
            provider_sector=provider.sector,
            category=category.code,
            **cmd.values,
        )
        await uow.offerings.add(offering)
        await uow.commit()
        return offering.id


async def update_offering(cmd: c.UpdateOffering, *, uow: UnitOfWork, actor: Principal) -> list[str]:
    async with uow:
        offering = await _for_edit(uow, actor, cmd.offering_id)
        area = None
        if "category" in cmd.changes:
            category = await uow.catalogue.category(cmd.changes["category"])
            if category is None:
                raise InvalidInput.field(
                    "category", f"Nieznana kategoria: {cmd.changes['category']}.", "unknown"
                )
            area = category.area
        changed = offering.update(cmd.changes, by=actor.username, area=area)
        await uow.commit()
        return changed


async def publish_offering(cmd: c.PublishOffering, *, uow: UnitOfWork, actor: Principal) -> None:
    async with uow:
        offering = await _for_edit(uow, actor, cmd.offering_id)
        await _participating(uow, offering.institution_id, offering.tenant)
        offering.publish(by=actor.username)
        await uow.commit()


async def suspend_offering(cmd: c.SuspendOffering, *, uow: UnitOfWork, actor: Principal) -> None:
    async with uow:
        offering = await _for_edit(uow, actor, cmd.offering_id)
        offering.suspend(cmd.reason, by=actor.username)
        await uow.commit()


async def withdraw_offering(cmd: c.WithdrawOffering, *, uow: UnitOfWork, actor: Principal) -> None:
    async with uow:
        offering = await _for_edit(uow, actor, cmd.offering_id)
        offering.withdraw(cmd.reason, by=actor.username)
        await uow.commit()


async def verify_offering(cmd: c.VerifyOffering, *, uow: UnitOfWork, actor: Principal) -> date:
    async with uow:
        offering = await _for_edit(uow, actor, cmd.offering_id)
        offering.verify(today(), by=actor.username)
        await uow.commit()
        return today()


async def change_capacity(cmd: c.ChangeCapacity, *, uow: UnitOfWork, actor: Principal) -> bool:
    async with uow:
        offering = await _for_edit(uow, actor, cmd.offering_id)
        changed = offering.change_capacity(cmd.capacity_status, cmd.waiting_days, by=actor.username)
        await uow.commit()
        return changed


async def provider_left(cmd: c.ProviderLeft, *, uow: UnitOfWork) -> list[uuid.UUID]:
    """Suspend the institution's published offerings in the municipality it no longer serves as a
    partner (it left, or its membership was suspended). Drafts stay drafts: publishing checks
    the membership again."""
    if cmd.state not in ENDED:
        return []
    suspended: list[uuid.UUID] = []
    async with uow:
        for offering in await uow.offerings.of_provider(cmd.institution_id, cmd.tenant):
            if offering.status is model.Status.PUBLISHED:
                offering.suspend(
                    SUSPENSION_REASONS[cmd.state], by="partners", because_provider_left=True
                )
                suspended.append(offering.id)
        await uow.commit()
    return suspended
