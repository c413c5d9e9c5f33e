"""Taking in an event with a fake store: who is entitled, what the withdrawal takes away, who is
told — the service layer and the consent decision (ADR 0036) on their own, without a database."""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from notifications.domain.entitlement import CaseFacts, Member, Referral, Scope
from notifications.service.intake import take_in
from notifications.service.ports import NoticeTarget, Person
from shared import clock
from shared.contracts import CloudEvent, EventData
from shared.contracts import cases as c

A = "1219053"
NOW = clock.now()
INSIDE, OUTSIDE = uuid.uuid4(), uuid.uuid4()
STAFF = frozenset({"partner-staff"})


def staff(user: str | None, email: str | None, institution: uuid.UUID, **kw: Any) -> Person:
    return Person(
        user, email, institution_id=institution, roles=STAFF, tenants=frozenset({A}), **kw
    )


@dataclass
class FakeStore:
    scopes_: list[Scope] = field(default_factory=list)
    members: list[tuple[Member, Person]] = field(default_factory=list)
    referrals: list[Referral] = field(default_factory=list)
    events: list[CloudEvent] = field(default_factory=list)
    audience: dict[int, set[uuid.UUID]] = field(default_factory=dict)
    deliveries: list[tuple[int, set[uuid.UUID] | None]] = field(default_factory=list)
    notices: list[tuple[str, str, str, str | None]] = field(default_factory=list)
    targets: list[NoticeTarget | None] = field(default_factory=list)
    emails: list[tuple[str, str]] = field(default_factory=list)
    staff: dict[uuid.UUID, list[Person]] = field(default_factory=dict)
    coordinators: list[Person] = field(default_factory=list)
    manager: Person | None = None
    case_id: uuid.UUID | None = None

    async def record_event(self, event: CloudEvent, case_id: Any, restricted_to: Any) -> int | None:
        if any(e.id == event.id for e in self.events):
            return None
        self.events.append(event)
        return len(self.events)

    async def update_read_models(self, event: CloudEvent, data: EventData) -> None:
        if isinstance(data, c.ReferralEvent):
            self.referrals.append(
                Referral(
                    data.referral_id, data.receiving_institution_id, data.sending_institution_id
                )
            )

    async def scopes(self, case_id: uuid.UUID) -> list[Scope]:
        return list(self.scopes_)

    async def case_facts(self, case_id: uuid.UUID) -> CaseFacts:
        return CaseFacts(
            case_id, A, None, self.manager.user_id if self.manager else None,
            tuple(self.scopes_), tuple(m for m, _ in self.members), tuple(self.referrals),
        )  # fmt: skip

    async def add_consent(self, event: CloudEvent, data: EventData) -> None:
        assert isinstance(data, c.FamilyConsented)
        self.scopes_ += [
            Scope(data.consent_id, i, None, data.valid_until, None,
                  frozenset(data.data_kinds), data.given_at)
            for i in data.institution_ids
        ]  # fmt: skip

    async def withdraw(self, consent_id: Any, ids: Any, sectors: Any, at: datetime) -> None:
        self.scopes_ = [
            dataclasses.replace(s, withdrawn_at=at) if s.consent_id == consent_id else s
            for s in self.scopes_
        ]

    async def candidates(self, case_id: Any, tenant: Any, extra: Any) -> dict[uuid.UUID, None]:
        return {INSIDE: None, OUTSIDE: None}

    async def add_audience(self, seq: int, case_id: Any, institutions: set[uuid.UUID]) -> None:
        self.audience[seq] = set(institutions)

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
        out = [self.manager] if manager and self.manager else []
        if team:
            out += [p for m, p in self.members if m.left_at is None or m.left_at >= at]
        return out

    async def add_notice(
        self, user_id: str, key: str, kind: str, title: str, link: Any, target: Any = None
    ) -> None:
        self.notices.append((user_id, kind, title, link))
        self.targets.append(target)

    async def queue_email(self, key: str, recipient: str, subject: str, body: str) -> None:
        self.emails.append((recipient, subject))


def wrap(data: EventData, case_id: uuid.UUID) -> CloudEvent:
    return CloudEvent.wrap(data, source="/cus/cases", tenant=A, subject=str(case_id))


async def feed(store: FakeStore, *items: EventData) -> None:
    for data in items:
        e = wrap(data, data.case_id)  # type: ignore[attr-defined]
        await take_in(store, e, e.payload(), "http://cus.test")


async def test_referral_then_withdrawal() -> None:
    store = FakeStore(
        staff={
            INSIDE: [staff("staff-in", "in@example.org", INSIDE)],
            OUTSIDE: [staff("staff-out", "out@example.org", OUTSIDE)],
        },
        coordinators=[Person("coord", "coord@example.org", roles=frozenset({"coordinator"}))],
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
    await feed(store, consent, referral)
    assert store.audience == {1: {INSIDE}, 2: {INSIDE}}
    link = f"/sprawy/{case_id}/skierowania/{referral.referral_id}"
    assert store.notices == [("staff-in", "referral", "Nowe skierowanie czeka na odpowiedź", link)]
    assert store.targets == [NoticeTarget(case_id, "referrals", referral.referral_id)]
    # The coordinator can open no case: no notice about one (issue 13).
    assert store.emails == [("in@example.org", "[CUS] Nowe skierowanie czeka na odpowiedź")]

    gone = c.ConsentWithdrawn(
        case_id=case_id, consent_id=consent_id, withdrawn_at=NOW,
        institution_ids=[INSIDE], sectors=[],
    )  # fmt: skip
    await feed(store, gone)
    assert store.audience[3] == {INSIDE}  # told of the withdrawal …
    # … in the app, with nothing to open any more.
    assert store.notices[-1] == (
        "staff-in", "consent", "Rodzina wycofała zgodę na udostępnianie danych", None,
    )  # fmt: skip
    after = referral.model_copy(update={"referral_id": uuid.uuid4()})
    await feed(store, after)
    assert store.audience[4] == set()
    assert store.deliveries[-1] == (4, set())

    again = len(store.notices)
    redelivered = store.events[2]
    await take_in(store, redelivered, redelivered.payload(), "http://cus.test")  # no effect
    assert len(store.notices) == again


async def test_case_staff_hear_within_the_consent_kinds_and_of_what_concerns_them() -> None:
    member_in = staff("member-in", "in@example.org", INSIDE)
    member_out = staff("member-out", None, OUTSIDE)
    case_id, consent_id = uuid.uuid4(), uuid.uuid4()
    store = FakeStore(
        manager=Person("manager", None, manager=True),
        members=[
            (Member(INSIDE, "member-in", None), member_in),
            (Member(OUTSIDE, "member-out", None), member_out),
        ],
        staff={INSIDE: [member_in]},  # also staff of the institution
    )
    consent = c.FamilyConsented(
        case_id=case_id, consent_id=consent_id, given_at=NOW, method="paper",
        institution_ids=[INSIDE], sectors=[], data_kinds=["referrals", "meetings"],
    )  # fmt: skip
    plan_only = c.FamilyConsented(
        case_id=case_id, consent_id=uuid.uuid4(), given_at=NOW, method="paper",
        institution_ids=[OUTSIDE], sectors=[], data_kinds=["plan"],
    )  # fmt: skip
    meeting = c.MeetingScheduled(
        case_id=case_id, meeting_id=uuid.uuid4(), kind="meeting", starts_at=NOW, online=False,
        institution_ids=[INSIDE, OUTSIDE], family_participates=False,
    )  # fmt: skip
    accepted = c.ReferralAccepted(
        referral_id=uuid.uuid4(), case_id=case_id, service_id=uuid.uuid4(),
        receiving_institution_id=INSIDE, receiving_sector="ngo", state="accepted",
        previous_state="requested", at=NOW,
    )  # fmt: skip
    gone = c.ConsentWithdrawn(
        case_id=case_id, consent_id=consent_id, withdrawn_at=NOW + timedelta(minutes=1),
        institution_ids=[INSIDE], sectors=[],
    )  # fmt: skip
    await feed(store, consent, plan_only, meeting, accepted, gone)
    told = [(user, kind) for user, kind, _, _ in store.notices]
    # Each consent: the staff of the institutions it covers (who may open the case).
    assert told[:1] == [("member-in", "consent")]
    # The meeting: the team members whose consent covers meetings (not the plan-only one).
    assert told[1:2] == [("member-in", "meeting")]
    # The answer to the referral: the case manager.
    assert told[2:3] == [("manager", "referral")]
    # The withdrawal: the manager and the members whose share it ended — not the others.
    assert sorted(told[3:]) == [("manager", "consent"), ("member-in", "consent")]
    assert ("in@example.org", "[CUS] Zaplanowano spotkanie zespołu") in store.emails
    # The plan-only institution's system hears of the meeting? No: meetings are not its kind.
    assert store.audience[3] == {INSIDE}
    # The referral's events reach its receiving institution (and its sender), nobody else.
    assert store.audience[4] == {INSIDE}
