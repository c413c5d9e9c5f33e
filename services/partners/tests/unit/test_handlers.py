"""Handlers against a fake unit of work: what is committed, and what is refused."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from partners.domain import model
from partners.service import commands as c
from partners.service import handlers
from shared.auth import Principal, Role
from shared.errors import Forbidden, InvalidInput, NotFound

A, B = "1219053", "1219043"
COORD_A = Principal(
    subject="1", username="coord-a", roles=frozenset({Role.COORDINATOR}), tenants=frozenset({A})
)
COORD_B = Principal(
    subject="2", username="coord-b", roles=frozenset({Role.COORDINATOR}), tenants=frozenset({B})
)


class FakeRepo:
    def __init__(self, uow: FakeUoW):
        self.items: dict[uuid.UUID, object] = {}
        self.uow = uow

    async def get(self, id, tenants):
        item = self.items.get(id)
        if item is None:
            return None
        if tenants is not None:
            served = getattr(item, "tenants_served", None) or [item.tenant]
            if not set(served) & set(tenants):
                return None
        self.uow.seen.append(item)
        return item

    async def add(self, item):
        self.items[item.id] = item
        self.uow.seen.append(item)

    async def serving(self, tenant):
        return [i for i in self.items.values() if tenant in i.tenants_served]

    async def for_tenant(self, tenant):
        return next((p for p in self.items.values() if p.tenant == tenant), None)

    async def find(self, partnership_id, institution_id):
        return next(
            (
                m
                for m in self.items.values()
                if m.partnership_id == partnership_id and m.institution_id == institution_id
            ),
            None,
        )

    async def of_partnership(self, partnership_id):
        return [m for m in self.items.values() if m.partnership_id == partnership_id]

    async def active(self, partnership_id):
        return [
            k for k in self.items.values() if k.partnership_id == partnership_id and k.until is None
        ]

    async def hosting_record(self, partnership_id):
        return {}


class FakeUoW:
    """Records what each commit would have written to the outbox (the domain events)."""

    def __init__(self):
        self.seen: list[object] = []
        self.committed: list[object] = []
        self.commits = 0
        for name in (
            "institutions",
            "partnerships",
            "memberships",
            "contacts",
            "coordinators",
            "meetings",
        ):
            setattr(self, name, FakeRepo(self))

    async def __aenter__(self):
        self.seen = []
        return self

    async def __aexit__(self, *args):
        for item in self.seen:  # an uncommitted unit of work drops its events
            if hasattr(item, "events"):
                item.events = []

    async def commit(self):
        self.commits += 1
        for item in dict.fromkeys(self.seen):
            self.committed.extend(getattr(item, "events", []))
            if hasattr(item, "events"):
                item.events = []


@pytest.fixture
def uow():
    return FakeUoW()


async def register(uow, name="Szkoła", actor=COORD_A, sector=model.Sector.EDUCATION):
    return await handlers.register_institution(
        c.RegisterInstitution(tenant=A, name=name, sector=sector), uow=uow, actor=actor
    )


async def test_register_commits_once_with_one_event(uow):
    await register(uow)
    assert uow.commits == 1
    assert [type(e).__name__ for e in uow.committed] == ["InstitutionRegistered"]


async def test_coordinator_of_another_municipality_cannot_write_there(uow):
    with pytest.raises(Forbidden):
        await register(uow, actor=COORD_B)
    assert uow.commits == 0


async def test_establishing_a_partnership_makes_the_leader_a_declared_member(uow):
    leader = await register(uow, "OPS", sector=model.Sector.SOCIAL_ASSISTANCE)
    partnership = await handlers.establish_partnership(
        c.EstablishPartnership(
            tenant=A, name="P", municipality_name="Wieliczka", leader_institution_id=leader
        ),
        uow=uow,
        actor=COORD_A,
    )
    [m] = await uow.memberships.of_partnership(partnership)
    assert m.state == model.MembershipState.DECLARED
    with pytest.raises(InvalidInput) as error:
        await handlers.establish_partnership(
            c.EstablishPartnership(
                tenant=A, name="P2", municipality_name="Wieliczka", leader_institution_id=leader
            ),
            uow=uow,
            actor=COORD_A,
        )
    assert error.value.errors[0].field == "tenant"


async def test_failed_transition_commits_nothing(uow):
    leader = await register(uow, "OPS", sector=model.Sector.SOCIAL_ASSISTANCE)
    partnership = await handlers.establish_partnership(
        c.EstablishPartnership(
            tenant=A, name="P", municipality_name="W", leader_institution_id=leader
        ),
        uow=uow,
        actor=COORD_A,
    )
    school = await register(uow)
    membership = await handlers.add_membership(
        c.AddMembership(partnership, school, model.MembershipState.INVITED, date(2026, 1, 1)),
        uow=uow,
        actor=COORD_A,
    )
    commits, events = uow.commits, len(uow.committed)
    with pytest.raises(InvalidInput):
        await handlers.change_membership_state(
            c.ChangeMembershipState(
                membership, model.MembershipState.SUSPENDED, date(2026, 2, 1), reason="x"
            ),
            uow=uow,
            actor=COORD_A,
        )
    assert (uow.commits, len(uow.committed)) == (commits, events)
    with pytest.raises(NotFound):
        await handlers.change_membership_state(
            c.ChangeMembershipState(membership, model.MembershipState.INFORMAL, date(2026, 2, 1)),
            uow=uow,
            actor=COORD_B,
        )


async def test_coordinator_count_is_published(uow):
    leader = await register(uow, "OPS", sector=model.Sector.SOCIAL_ASSISTANCE)
    partnership = await handlers.establish_partnership(
        c.EstablishPartnership(
            tenant=A, name="P", municipality_name="W", leader_institution_id=leader
        ),
        uow=uow,
        actor=COORD_A,
    )
    await handlers.add_coordinator(
        c.AddCoordinator(partnership, "Anna", date(2026, 1, 1)), uow=uow, actor=COORD_A
    )
    changed = [e for e in uow.committed if type(e).__name__ == "CoordinatorsChanged"]
    assert changed[-1].count == 1
