"""Taking in an event with a fake store: who is entitled, what the withdrawal takes away, who is
told — the service layer on its own, without a database."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from notifications.domain.entitlement import Scope, withdrawn
from notifications.service.intake import take_in
from notifications.service.ports import Person
from shared import clock
from shared.contracts import CloudEvent, EventData
from shared.contracts import cases as c

A = "1219053"
NOW = clock.now()
INSIDE, OUTSIDE = uuid.uuid4(), uuid.uuid4()


@dataclass
class FakeStore:
    scopes_: list[Scope] = field(default_factory=list)
    events: list[CloudEvent] = field(default_factory=list)
    audience: dict[int, set[uuid.UUID]] = field(default_factory=dict)
    revoked: list[tuple[uuid.UUID, set[uuid.UUID]]] = field(default_factory=list)
    deliveries: list[tuple[int, set[uuid.UUID] | None]] = field(default_factory=list)
    notices: list[tuple[str, str, str]] = field(default_factory=list)
    emails: list[tuple[str, str]] = field(default_factory=list)
    staff: dict[uuid.UUID, list[Person]] = field(default_factory=dict)
    coordinators: list[Person] = field(default_factory=list)
    manager: Person | None = None
    team: dict[uuid.UUID, list[Person]] = field(default_factory=dict)
    staff_asked: list[tuple[bool, bool, set[uuid.UUID] | None]] = field(default_factory=list)

    async def record_event(self, event: CloudEvent, case_id: Any, restricted_to: Any) -> int | None:
        if any(e.id == event.id for e in self.events):
            return None
        self.events.append(event)
        return len(self.events)

    async def update_read_models(self, event: CloudEvent, data: EventData) -> None:
        pass

    async def scopes(self, case_id: uuid.UUID) -> list[Scope]:
        return list(self.scopes_)

    async def add_consent(self, event: CloudEvent, data: EventData) -> None:
        assert isinstance(data, c.FamilyConsented)
        self.scopes_ += [
            Scope(data.consent_id, i, None, data.valid_until, None) for i in data.institution_ids
        ]

    async def withdraw(self, consent_id: Any, ids: Any, sectors: Any, at: datetime) -> None:
        self.scopes_ = withdrawn(self.scopes_, consent_id, ids, sectors, at)

    async def candidates(self, case_id: Any, tenant: Any, extra: Any) -> dict[uuid.UUID, None]:
        return {INSIDE: None, OUTSIDE: None}

    async def add_audience(self, seq: int, case_id: Any, institutions: set[uuid.UUID]) -> None:
        self.audience[seq] = set(institutions)

    async def revoke(self, case_id: uuid.UUID, institutions: set[uuid.UUID], keep_seq: int) -> None:
        self.revoked.append((case_id, set(institutions)))

    async def create_deliveries(
        self, seq: int, event: CloudEvent, audience: Any, restricted_to: Any
    ) -> int:
        self.deliveries.append((seq, audience))
        return 1

    async def people(
        self, tenant: Any, institutions: list[uuid.UUID], coordinators: bool
    ) -> list[Person]:
        out = [p for i in institutions for p in self.staff.get(i, [])]
        return out + (self.coordinators if coordinators else [])

    async def case_staff(
        self,
        case_id: uuid.UUID,
        *,
        manager: bool,
        team: bool,
        institutions: set[uuid.UUID] | None,
        at: datetime,
    ) -> list[Person]:
        self.staff_asked.append((manager, team, institutions))
        out = [self.manager] if manager and self.manager else []
        if team:
            out += [
                p
                for i, people in self.team.items()
                if institutions is None or i in institutions
                for p in people
            ]
        return out

    async def add_notice(self, user_id: str, key: str, kind: str, title: str, link: Any) -> None:
        self.notices.append((user_id, kind, title))

    async def queue_email(self, key: str, recipient: str, subject: str, body: str) -> None:
        self.emails.append((recipient, subject))


def wrap(data: EventData, case_id: uuid.UUID) -> CloudEvent:
    return CloudEvent.wrap(data, source="/cus/cases", tenant=A, subject=str(case_id))


async def test_referral_then_withdrawal() -> None:
    store = FakeStore(
        staff={
            INSIDE: [Person("staff-in", "in@example.org")],
            OUTSIDE: [Person("staff-out", "out@example.org")],
        },
        coordinators=[
            Person("coord", "coord@example.org", preferences={("referral", "email"): False})
        ],
    )
    case_id, consent_id = uuid.uuid4(), uuid.uuid4()
    consent = c.FamilyConsented(
        case_id=case_id, consent_id=consent_id, given_at=NOW, method="paper",
        institution_ids=[INSIDE], sectors=[], data_kinds=["referrals"],
        valid_until=NOW + timedelta(days=30),
    )  # fmt: skip
    referral = c.ReferralRequested(
        referral_id=uuid.uuid4(), case_id=case_id, service_id=uuid.uuid4(),
        receiving_institution_id=INSIDE, receiving_sector="ngo", state="requested",
        previous_state="draft", at=NOW,
    )  # fmt: skip
    for data in (consent, referral):
        e = wrap(data, case_id)
        await take_in(store, e, e.payload(), "http://cus.test")
    assert store.audience == {1: {INSIDE}, 2: {INSIDE}}
    assert ("staff-in", "referral", "Nowe skierowanie czeka na odpowiedź") in store.notices
    assert all(user != "staff-out" for user, _, _ in store.notices)
    assert ("in@example.org", "[CUS] Nowe skierowanie czeka na odpowiedź") in store.emails
    assert all(to != "coord@example.org" or "skierowanie" not in s for to, s in store.emails)

    gone = wrap(
        c.ConsentWithdrawn(case_id=case_id, consent_id=consent_id, withdrawn_at=NOW,
                           institution_ids=[INSIDE], sectors=[]),
        case_id,
    )  # fmt: skip
    await take_in(store, gone, gone.payload(), "http://cus.test")
    assert store.audience[3] == {INSIDE}  # told of the withdrawal …
    assert store.revoked == [(case_id, {INSIDE})]  # … and nothing before stays theirs
    after = wrap(referral.model_copy(update={"referral_id": uuid.uuid4()}), case_id)
    await take_in(store, after, after.payload(), "http://cus.test")
    assert store.audience[4] == set()
    assert store.deliveries[-1] == (4, set())

    again = len(store.notices)
    await take_in(store, gone, gone.payload(), "http://cus.test")  # the same event: no effect
    assert len(store.notices) == again


async def test_case_staff_hear_within_the_consent_and_all_of_a_withdrawal() -> None:
    store = FakeStore(
        manager=Person("manager", None),
        team={INSIDE: [Person("member-in", None)], OUTSIDE: [Person("member-out", None)]},
        staff={INSIDE: [Person("member-in", "in@example.org")]},  # also staff of the institution
    )
    case_id, consent_id = uuid.uuid4(), uuid.uuid4()
    consent = c.FamilyConsented(
        case_id=case_id, consent_id=consent_id, given_at=NOW, method="paper",
        institution_ids=[INSIDE], sectors=[], data_kinds=["referrals"],
    )  # fmt: skip
    meeting = c.MeetingScheduled(
        case_id=case_id, meeting_id=uuid.uuid4(), kind="meeting", starts_at=NOW, online=False,
        institution_ids=[INSIDE], family_participates=False,
    )  # fmt: skip
    accepted = c.ReferralAccepted(
        referral_id=uuid.uuid4(), case_id=case_id, service_id=uuid.uuid4(),
        receiving_institution_id=INSIDE, receiving_sector="ngo", state="accepted",
        previous_state="requested", at=NOW,
    )  # fmt: skip
    gone = c.ConsentWithdrawn(
        case_id=case_id, consent_id=consent_id, withdrawn_at=NOW, institution_ids=[INSIDE],
        sectors=[],
    )  # fmt: skip
    for data in (consent, meeting, accepted, gone):
        e = wrap(data, case_id)
        await take_in(store, e, e.payload(), "http://cus.test")
    told = [(user, kind) for user, kind, _ in store.notices]
    # The meeting: the team within the consent, once each, not the manager.
    assert told[:1] == [("member-in", "meeting")]
    # The answer to the referral: the case manager.
    assert told[1:2] == [("manager", "referral")]
    # The withdrawal: the manager and every team member (asked without an institution filter).
    assert sorted(told[2:]) == [
        ("manager", "consent"), ("member-in", "consent"), ("member-out", "consent"),
    ]  # fmt: skip
    assert store.staff_asked == [
        (False, True, {INSIDE}),
        (True, False, {INSIDE}),
        (True, True, None),
    ]
    assert ("in@example.org", "[CUS] Zaplanowano spotkanie zespołu") in store.emails
