"""Consent over time (issue 13 §5, ADR 0037), as people and partner systems hear of it: when the
family's consent is withdrawn or expires, the cases service ends the open referrals to the
institution no longer covered (`cases.referral.withdrawn_consent`) and lets its specialists go
(`cases.team.member_left`, reason `consent_ended`). The receiving institution is told that its
referral ended and why, the member that their access ended — both without a link, since they may
open neither the referral nor the case any more (ADR 0036), and without the family's data; the
case manager is told with the link. A referral that was only a draft is not told to the
receiver, who never saw it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest

from shared import clock
from shared.clock import ShiftedClock
from shared.contracts import CloudEvent, EventData
from shared.contracts import cases as c
from shared.contracts.partners import ContactPersonChanged

A = "1219053"
DEMO_INSTITUTION = uuid.UUID("7a1c3e52-5d0b-4a53-9b1e-2f6d0c8a0001")
ENDED = "Skierowanie zostało zakończone, bo zgoda rodziny przestała obowiązywać"
ACCESS_ENDED = "Twój dostęp do sprawy zakończył się, bo zgoda rodziny przestała obowiązywać"
WITHDRAWAL = "Rodzina wycofała zgodę na udostępnianie danych"
ACCEPTED = "Skierowanie zostało przyjęte"


def wrap(data: EventData, at: datetime | None = None) -> CloudEvent:
    case_id = getattr(data, "case_id", None)
    return CloudEvent.wrap(data, source="/cus/cases", tenant=A, subject=str(case_id), time=at)


def forged(service: Any, sub: str, role: str, **claims: Any) -> dict[str, str]:
    token = service.tokens.forge(
        {
            "sub": sub,
            "preferred_username": f"{role}-{sub[:6]}",
            "realm_access": {"roles": [role]},
            "tenants": [A],
            **claims,
        }
    )
    return {"Authorization": f"Bearer {token}"}


async def inbox(service: Any, headers: dict[str, str]) -> list[tuple[str, str | None]]:
    response = await service.client.get("/v1/inbox", headers=headers)
    assert response.status_code == 200, response.text
    return sorted((n["title"], n["link"]) for n in response.json()["items"])


@dataclass
class Case:
    """A case whose consent covers the demo institution: the case manager, a specialist of the
    institution in the team (never signed in: known by the subject they joined with), a staff
    member of the institution who signed in once and its contact person (e-mail only); an
    accepted referral to the institution and a draft one."""

    case_id: uuid.UUID = field(default_factory=uuid.uuid4)
    consent_id: uuid.UUID = field(default_factory=uuid.uuid4)
    member_id: uuid.UUID = field(default_factory=uuid.uuid4)
    referral_id: uuid.UUID = field(default_factory=uuid.uuid4)
    draft_id: uuid.UUID = field(default_factory=uuid.uuid4)
    manager: str = field(default_factory=lambda: str(uuid.uuid4()))
    member: str = field(default_factory=lambda: str(uuid.uuid4()))
    staff: str = field(default_factory=lambda: str(uuid.uuid4()))
    contact: str = field(default_factory=lambda: f"kontakt-{uuid.uuid4().hex[:8]}@ngo.example.org")

    def headers(self, service: Any) -> dict[str, dict[str, str]]:
        inst = str(DEMO_INSTITUTION)
        return {
            "manager": forged(service, self.manager, "case-manager"),
            "member": forged(service, self.member, "partner-staff", institution=inst),
            "staff": forged(service, self.staff, "partner-staff", institution=inst),
        }

    def referral(
        self, referral_id: uuid.UUID, state: str, previous: str | None, **extra: Any
    ) -> EventData:
        # As the cases service publishes it: no sending institution (the case manager's side).
        return c.REFERRAL_EVENTS[state](
            referral_id=referral_id, case_id=self.case_id, service_id=uuid.uuid4(),
            receiving_institution_id=DEMO_INSTITUTION,
            receiving_sector="ngo", state=state, previous_state=previous,  # type: ignore[arg-type]
            at=extra.pop("at"), **extra,
        )  # fmt: skip

    def setup(self, at: datetime, valid_until: datetime | None) -> list[CloudEvent]:
        return [
            wrap(c.CaseOpened(case_id=self.case_id, opened_at=at, family_size=3,
                              case_manager_user_id=self.manager), at),
            wrap(c.FamilyConsented(case_id=self.case_id, consent_id=self.consent_id,
                                   given_at=at - timedelta(hours=1), method="paper",
                                   institution_ids=[DEMO_INSTITUTION], sectors=[],
                                   data_kinds=["referrals", "plan", "meetings"],
                                   valid_until=valid_until), at),
            wrap(c.TeamMemberJoined(case_id=self.case_id, member_id=self.member_id,
                                    institution_id=DEMO_INSTITUTION, sector="ngo", joined_at=at,
                                    user_id=self.member), at),
            wrap(self.referral(self.referral_id, "requested", "draft", at=at), at),
            wrap(self.referral(self.referral_id, "accepted", "requested", at=at), at),
        ]  # fmt: skip

    def ends(self, at: datetime, reason: str) -> list[CloudEvent]:
        """What the cases service publishes when the consent stops covering the institution
        (after the withdrawal itself, if it was one)."""
        return [
            wrap(c.TeamMemberLeft(case_id=self.case_id, member_id=self.member_id,
                                  institution_id=DEMO_INSTITUTION, sector="ngo", left_at=at,
                                  reason_code="consent_ended"), at),
            wrap(self.referral(self.referral_id, "withdrawn-consent", "accepted", at=at,
                               reason_code=reason), at),
            wrap(self.referral(self.draft_id, "withdrawn-consent", "draft", at=at,
                               reason_code=reason), at),
        ]  # fmt: skip

    def withdrawal(self, at: datetime) -> CloudEvent:
        return wrap(
            c.ConsentWithdrawn(case_id=self.case_id, consent_id=self.consent_id, withdrawn_at=at,
                               institution_ids=[DEMO_INSTITUTION], sectors=[]),
            at,
        )  # fmt: skip

    def links(self) -> dict[str, str]:
        base = f"/sprawy/{self.case_id}"
        return {
            "case": base,
            "referral": f"{base}/skierowania/{self.referral_id}",
            "draft": f"{base}/skierowania/{self.draft_id}",
        }


@dataclass
class Hook:
    receiver: Any
    secret: str

    def ended(self) -> list[CloudEvent]:
        return [
            e
            for e in self.receiver.verified(self.secret)
            if e.type == c.ReferralWithdrawnConsent.event_type
        ]


async def prepare(service: Any, receiver: Any, case: Case) -> Hook:
    """The staff member signs in once, the institution's contact person is registered and its
    system sets up a webhook endpoint."""
    assert await inbox(service, case.headers(service)["staff"]) == []
    await service.publish(
        CloudEvent.wrap(
            ContactPersonChanged(contact_person_id=uuid.uuid4(), institution_id=DEMO_INSTITUTION,
                                 name="Ewa Kontaktowa", email=case.contact, active=True),
            source="/cus/partners", tenant=A, subject=str(DEMO_INSTITUTION),
        )
    )  # fmt: skip
    await service.applied(1)  # the partners stream is consumed apart from the cases stream
    endpoint = await service.endpoint(await service.system(DEMO_INSTITUTION), receiver.url())
    return Hook(receiver, endpoint["secret"])


async def check_told(
    service: Any,
    smtp: Any,
    eventually: Any,
    case: Case,
    hook: Hook,
    *,
    reason: str,
    withdrawn: bool,
) -> None:
    """What everyone was told once the consent's end was taken in, and how."""
    _, mailbox = smtp
    people, links = case.headers(service), case.links()
    withdrawal = [(WITHDRAWAL, None)] if withdrawn else []
    # The receiving institution's staff member: the referral's end (once: not the draft's, the
    # receiver never saw it), with nothing to open. Their earlier notices about the case (the
    # referral, the team) leave the inbox: they can no longer open what those point at.
    assert await inbox(service, people["staff"]) == sorted([(ENDED, None), *withdrawal])
    # The member: their access ended, with nothing to open.
    assert await inbox(service, people["member"]) == sorted([(ACCESS_ENDED, None), *withdrawal])
    # The case manager: both referrals' end, each with its link (they still open them).
    assert await inbox(service, people["manager"]) == sorted(
        [
            (ACCEPTED, links["referral"]),
            (ENDED, links["referral"]),
            (ENDED, links["draft"]),
            *([(WITHDRAWAL, links["case"])] if withdrawn else []),
        ]
    )

    # The contact person, by e-mail: the title, no link, nothing about the family or the case.
    def mail(subject: str) -> list[Any]:
        return [m for m in mailbox.messages if m["To"] == case.contact and m["Subject"] == subject]

    await eventually(lambda: mail(f"[CUS] {ENDED}") and hook.ended())
    await service.settled()
    [message] = mail(f"[CUS] {ENDED}")
    body = message.get_content()
    assert f"{ENDED}." in body
    assert "/sprawy/" not in body
    assert str(case.case_id) not in body
    assert "Ewa" not in body

    # The institution's system: the referral's end (not the draft's), by webhook, with its
    # reason code.
    [ended] = hook.ended()
    assert ended.data["referral_id"] == str(case.referral_id)
    assert (ended.data["state"], ended.data["reason_code"]) == ("withdrawn-consent", reason)


async def test_a_withdrawal_is_told_to_the_receiver_and_the_member_without_a_link(
    service, receiver, smtp, eventually
) -> None:
    case = Case()
    hook = await prepare(service, receiver, case)
    now = clock.now()
    await service.publish(*case.setup(now - timedelta(minutes=10), None))
    await service.applied(6)
    at = clock.now()
    # As the cases service publishes them: the withdrawal first, then what it ended.
    await service.publish(case.withdrawal(at), *case.ends(at, "consent_withdrawn"))
    await service.applied(10)
    await check_told(
        service, smtp, eventually, case, hook, reason="consent_withdrawn", withdrawn=True
    )


async def test_an_ending_taken_in_before_the_withdrawal_is_told_the_same_way(
    service, receiver, smtp, eventually
) -> None:
    """A departure or a referral's end may be taken in before the withdrawal that caused it (a
    redelivery after a failure, ADR 0034): while this service still holds the consent as valid,
    the receiver and the member would seem able to open the referral and the case. The cases
    service has decided that they no longer may: told without a link all the same, and the notice
    stays in their inbox once the withdrawal is taken in."""
    case = Case()
    hook = await prepare(service, receiver, case)
    now = clock.now()
    await service.publish(*case.setup(now - timedelta(minutes=10), None))
    await service.applied(6)
    at = clock.now()
    await service.publish(*case.ends(at, "consent_withdrawn"))
    await service.applied(9)
    await service.publish(case.withdrawal(at))
    await service.applied(10)
    await check_told(
        service, smtp, eventually, case, hook, reason="consent_withdrawn", withdrawn=True
    )


@pytest.fixture
def restore_clock() -> Iterator[None]:
    real = clock.current()
    yield
    clock.install(real)


async def test_an_expiry_applied_by_the_sweep_is_told_the_same_way(
    service, receiver, smtp, eventually, restore_clock
) -> None:
    """No consent event: the sweep publishes the departure and the referrals' end once the
    consent's validity is over; this service knows the validity from the consent given."""
    case = Case()
    hook = await prepare(service, receiver, case)
    now = clock.now()
    await service.publish(*case.setup(now - timedelta(minutes=10), now + timedelta(hours=1)))
    await service.applied(6)
    clock.install(ShiftedClock(now + timedelta(hours=2)))
    at = clock.now()
    await service.publish(*case.ends(at, "consent_expired"))
    await service.applied(9)
    await check_told(
        service, smtp, eventually, case, hook, reason="consent_expired", withdrawn=False
    )
