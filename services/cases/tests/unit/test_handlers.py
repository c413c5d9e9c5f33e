"""Handlers against a fake unit of work that implements the ports and records what was committed
and what went to the outbox (translated into the published contracts)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest

from cases.domain import model
from cases.domain.policy import Actor
from cases.service import commands as c
from cases.service import handlers
from cases.service.ports import AccessEntry, Institution, Offering, SealedPesel
from cases.service.publishing import translate
from shared import clock
from shared.contracts import CloudEvent
from shared.errors import InvalidInput, NotFound

A = "1219053"
SCHOOL = uuid.uuid4()


class FakeRepo:
    def __init__(self, uow: FakeUoW) -> None:
        self.items: dict[uuid.UUID, Any] = {}
        self.uow = uow

    async def get(self, id: uuid.UUID) -> Any:
        item = self.items.get(id)
        if item is not None:
            self.uow.seen.append(item)
        return item

    async def add(self, item: Any) -> None:
        self.items[item.id] = item
        self.uow.seen.append(item)

    async def of_case(self, case_id: uuid.UUID) -> list[Any]:
        found = [i for i in self.items.values() if i.case_id == case_id]
        self.uow.seen.extend(found)
        return found

    async def snapshot(self, case_id: uuid.UUID) -> Any:
        case = self.items.get(case_id)
        if case is None:
            return None
        return case, await self.uow.consents.of_case(case_id), await self.uow.team.of_case(case_id)

    async def latest(self, case_id: uuid.UUID) -> Any:
        versions = [p for p in self.items.values() if p.case_id == case_id]
        return max(versions, key=lambda p: p.version) if versions else None

    async def receiving_institutions(self, case_id: uuid.UUID) -> set[uuid.UUID]:
        return {r.institution_id for r in self.items.values() if r.case_id == case_id}

    async def cases_sent_to(self, institution_id: uuid.UUID) -> list[uuid.UUID]:
        return [r.case_id for r in self.items.values() if r.institution_id == institution_id]

    async def cases_with_pesel(
        self, tenants: frozenset[str], hashes: list[tuple[str, str]]
    ) -> list[uuid.UUID]:
        return [m.case_id for m in self.items.values() if (m.pesel_hash_key_id, m.pesel_hash)
                in hashes]  # fmt: skip

    async def delete(self, item: Any) -> None:
        self.items.pop(item.id)

    async def lock(self, case_id: uuid.UUID) -> None:
        pass

    async def cases_with_expiry_pending(self, now: Any, limit: int) -> list[uuid.UUID]:
        return sorted(
            {x.case_id for x in self.items.values()
             if x.valid_until is not None and x.valid_until <= now and x.withdrawn_at is None
             and x.expiry_applied_at is None}
        )[:limit]  # fmt: skip


@dataclass
class FakeDirectory:
    institutions: dict[uuid.UUID, Institution] = field(default_factory=dict)
    offerings: dict[uuid.UUID, Offering] = field(default_factory=dict)

    async def institution(self, id: uuid.UUID) -> Institution | None:
        return self.institutions.get(id)

    async def sectors(self, ids: list[uuid.UUID]) -> dict[uuid.UUID, str | None]:
        return {i: self.institutions[i].sector for i in ids if i in self.institutions}

    async def offering(self, service_id: uuid.UUID) -> Offering | None:
        return self.offerings.get(service_id)


class FakeLog:
    def __init__(self) -> None:
        self.entries: list[AccessEntry] = []

    async def record(self, entry: AccessEntry) -> None:
        self.entries.append(entry)


class FakeUoW:
    def __init__(self) -> None:
        self.seen: list[Any] = []
        self.cases, self.family, self.consents = FakeRepo(self), FakeRepo(self), FakeRepo(self)
        self.team, self.diagnosis, self.plans = FakeRepo(self), FakeRepo(self), FakeRepo(self)
        self.referrals, self.meetings = FakeRepo(self), FakeRepo(self)
        self.reviews, self.reassignments = FakeRepo(self), FakeRepo(self)
        self.directory = FakeDirectory()
        self.access_log = FakeLog()
        self.session = None
        self.outbox: list[CloudEvent] = []
        self.commits = 0

    async def __aenter__(self) -> FakeUoW:
        self.seen = []
        return self

    async def __aexit__(self, *args: object) -> None:
        pass

    async def commit(self) -> None:
        for aggregate in dict.fromkeys(id(x) for x in self.seen):
            item = next(x for x in self.seen if id(x) == aggregate)
            for event in getattr(item, "events", []):
                self.outbox.extend(await translate(self, item, event))
            if getattr(item, "events", None):
                item.events = []
        self.commits += 1


class Vault:
    def seal(self, pesel: str) -> SealedPesel:
        return SealedPesel(b"x" + pesel[::-1].encode(), "k1", "h" + pesel, "h1")

    def decrypt(self, blob: bytes, key_id: str | None = None) -> str:
        return blob[1:].decode()[::-1]

    def lookup_hashes(self, pesel: str) -> list[tuple[str, str]]:
        return [("h1", "h" + pesel)]


MANAGER = Actor("m-1", "manager-a", frozenset({"case-manager"}), frozenset({A}), None)
PARTNER = Actor("p-1", "partner-a", frozenset({"partner-staff"}), frozenset({A}), SCHOOL)


async def _case_with_member(uow: FakeUoW) -> tuple[uuid.UUID, uuid.UUID]:
    uow.directory.institutions[SCHOOL] = Institution(SCHOOL, "Szkoła", "education", [A])
    person = c.FamilyMemberIn("Ewa", "Testowa", pesel="44051401359")
    case_id = await handlers.open_case(
        c.OpenCase(A, [person]), uow=uow, actor=MANAGER, vault=Vault()
    )
    [giver] = uow.family.items
    consent_id = await handlers.give_consent(
        c.GiveConsent(case_id, giver, model.ConsentMethod.PAPER, [SCHOOL], [],
                      [model.DataKind.PLAN, model.DataKind.REFERRALS]),
        uow=uow, actor=MANAGER,
    )  # fmt: skip
    member = await handlers.invite_member(c.InviteMember(case_id, SCHOOL), uow=uow, actor=MANAGER)
    await handlers.answer_invitation(c.AnswerInvitation(member, True), uow=uow, actor=PARTNER)
    return case_id, consent_id


async def test_opening_encrypts_the_pesel_and_publishes_no_personal_data():
    uow = FakeUoW()
    case_id, _consent = await _case_with_member(uow)
    [person] = uow.family.items.values()
    assert person.pesel_encrypted != b"44051401359"
    assert person.pesel_hash == "h44051401359"
    assert [e.type for e in uow.outbox] == [
        "cases.case.opened", "cases.family.consented", "cases.team.member_joined"
    ]  # fmt: skip
    assert all("Ewa" not in e.model_dump_json() and "4405" not in e.model_dump_json()
               for e in uow.outbox)  # fmt: skip
    assert [e.what for e in uow.access_log.entries] == [
        "case.open", "consent.give", "team.invite", "team.accept"
    ]  # fmt: skip
    assert uow.outbox[0].subject == str(case_id)


async def test_withdrawal_ends_the_membership_of_institutions_no_longer_covered():
    uow = FakeUoW()
    case_id, consent_id = await _case_with_member(uow)
    await handlers.withdraw_consent(c.WithdrawConsent(case_id, consent_id), uow=uow, actor=MANAGER)
    [member] = uow.team.items.values()
    assert member.state == model.MemberState.LEFT
    assert [e.type for e in uow.outbox][-2:] == [
        "cases.consent.withdrawn",
        "cases.team.member_left",
    ]
    with pytest.raises(NotFound):
        await handlers.read_case_data(
            c.ReadCaseData(case_id, "plan", model.DataKind.PLAN),
            uow=uow, actor=PARTNER, fetch=lambda u, a: None,  # type: ignore[arg-type,return-value]
        )  # fmt: skip


async def test_a_referral_snapshots_capacity_and_needs_a_published_offering_in_scope():
    uow = FakeUoW()
    case_id, _consent = await _case_with_member(uow)
    service = uuid.uuid4()
    uow.directory.offerings[service] = Offering(
        service, SCHOOL, "education", "Zajęcia", "published", [A], "waitlist", 21
    )
    referral_id = await handlers.create_referral(
        c.CreateReferral(case_id, service), uow=uow, actor=MANAGER
    )
    referral = uow.referrals.items[referral_id]
    assert (referral.state, referral.capacity_status, referral.waiting_days) == (
        model.ReferralState.REQUESTED, "waitlist", 21
    )  # fmt: skip
    requested = uow.outbox[-1]
    assert requested.type == "cases.referral.requested"
    assert requested.data["capacity_status"] == "waitlist"
    uow.directory.offerings[service] = Offering(
        service, SCHOOL, "education", "Zajęcia", "withdrawn", [A], "waitlist", 21
    )
    with pytest.raises(InvalidInput) as refused:
        await handlers.create_referral(c.CreateReferral(case_id, service), uow=uow, actor=MANAGER)
    assert refused.value.errors[0].field == "service_id"


async def test_an_expired_consent_admits_no_new_member():
    uow = FakeUoW()
    uow.directory.institutions[SCHOOL] = Institution(SCHOOL, "Szkoła", "education", [A])
    case_id = await handlers.open_case(
        c.OpenCase(A, [c.FamilyMemberIn("Ewa", "Testowa")]), uow=uow, actor=MANAGER, vault=Vault()
    )
    [giver] = uow.family.items
    past = clock.now() - timedelta(days=2)
    await handlers.give_consent(
        c.GiveConsent(case_id, giver, model.ConsentMethod.VERBAL, [SCHOOL], [],
                      [model.DataKind.PLAN], given_at=past, valid_until=past + timedelta(days=1)),
        uow=uow, actor=MANAGER,
    )  # fmt: skip
    with pytest.raises(InvalidInput) as refused:
        await handlers.invite_member(c.InviteMember(case_id, SCHOOL), uow=uow, actor=MANAGER)
    assert refused.value.errors[0].code == "outside_consent"


async def test_the_expiry_sweep_applies_an_expired_consent_once():
    uow = FakeUoW()
    _case_id, consent_id = await _case_with_member(uow)
    consent = uow.consents.items[consent_id]
    consent.valid_until = handlers.now() - timedelta(minutes=1)
    assert await handlers.sweep_expired_consents(lambda: uow) == (1, 0)
    [member] = uow.team.items.values()
    assert (member.state, member.left_reason) == (
        model.MemberState.LEFT,
        model.LeftReason.CONSENT_ENDED,
    )
    assert consent.expiry_applied_at is not None
    assert uow.outbox[-1].type == "cases.team.member_left"
    assert uow.outbox[-1].data["reason_code"] == "consent_ended"
    assert [e.what for e in uow.access_log.entries][-1] == "consent.expired"
    assert await handlers.sweep_expired_consents(lambda: uow) == (0, 0)
