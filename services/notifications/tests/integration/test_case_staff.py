"""The case's own staff, known by their Keycloak subject from the case events (ADR 0027, 0034): the
case manager hears of answers to the referrals, the new manager after a handover and not the old
one; the team members hear of meetings and of a withdrawal of consent — in the app always, by
e-mail where the address is known, as their preferences say."""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta
from typing import Any

import pytest

from notifications.adapters.reminders import ReminderRules, send_reminders
from shared import clock
from shared.clock import WARSAW
from shared.contracts import CloudEvent, EventData
from shared.contracts import cases as c
from shared.db import create_engine, session_factory

A = "1219053"
DEMO_INSTITUTION = uuid.UUID("7a1c3e52-5d0b-4a53-9b1e-2f6d0c8a0001")
NOW = clock.now()


@pytest.fixture(autouse=True)
def _now_is_when_the_test_starts() -> None:
    """Facts are dated from the test's own start, not from when pytest imported the module
    (minutes earlier in the whole suite): "a minute ahead" must still be ahead."""
    global NOW
    NOW = clock.now()


def wrap(data: EventData, at: datetime | None = None) -> CloudEvent:
    case_id = getattr(data, "case_id", None)
    return CloudEvent.wrap(data, source="/cus/cases", tenant=A, subject=str(case_id), time=at)


def staff_headers(service: Any, sub: str, role: str, **claims: Any) -> dict[str, str]:
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


async def titles(service: Any, headers: dict[str, str]) -> list[str]:
    response = await service.client.get("/v1/inbox", headers=headers)
    assert response.status_code == 200, response.text
    return sorted(n["title"] for n in response.json()["items"])


def consent(case_id: uuid.UUID, *institutions: uuid.UUID) -> c.FamilyConsented:
    return c.FamilyConsented(
        case_id=case_id, consent_id=uuid.uuid4(), given_at=NOW - timedelta(hours=1),
        method="paper", institution_ids=list(institutions), sectors=[],
        data_kinds=["referrals", "plan", "meetings"], valid_until=NOW + timedelta(days=90),
    )  # fmt: skip


def referral(case_id: uuid.UUID, referral_id: uuid.UUID, state: str, **extra: Any) -> EventData:
    cls = c.REFERRAL_EVENTS[state]
    return cls(
        referral_id=referral_id, case_id=case_id, service_id=uuid.uuid4(),
        receiving_institution_id=DEMO_INSTITUTION, receiving_sector="ngo", state=state,  # type: ignore[arg-type]
        previous_state=None, at=NOW, **extra,
    )  # fmt: skip


async def test_the_case_manager_hears_of_referral_answers_and_a_handover(
    service, smtp, eventually
) -> None:
    _, mailbox = smtp
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    second_mail = f"cm-{second[:8]}@ops.example.org"
    # The new manager has signed in once (e-mail known) and wants no e-mail about referrals; the
    # first never has: the inbox only.
    new = staff_headers(service, second, "case-manager", email=second_mail)
    prefs = await service.client.put(
        "/v1/preferences",
        json={"channels": [{"kind": "referral", "channel": "email", "enabled": False}]},
        headers=new,
    )
    assert prefs.status_code == 200, prefs.text

    case_id, r1, r2 = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await service.publish(
        wrap(c.CaseOpened(case_id=case_id, opened_at=NOW, family_size=2,
                          case_manager_user_id=first)),
        wrap(consent(case_id, DEMO_INSTITUTION)),
        wrap(referral(case_id, r1, "requested")),
        wrap(referral(case_id, r1, "accepted")),
    )  # fmt: skip
    await service.applied(4)
    old = staff_headers(service, first, "case-manager")
    assert await titles(service, old) == ["Skierowanie zostało przyjęte"]
    item = (await service.client.get("/v1/inbox", headers=old)).json()["items"][0]
    assert item["link"] == f"/sprawy/{case_id}/skierowania/{r1}"
    assert await titles(service, new) == []

    await service.publish(
        wrap(
            c.CaseReassigned(
                case_id=case_id, reassigned_at=NOW + timedelta(minutes=1),
                case_manager_user_id=second, previous_case_manager_user_id=first,
                reason_code="absence", by_relation="director",
            )
        ),
        wrap(referral(case_id, r2, "requested")),
        wrap(referral(case_id, r2, "rejected", reason_code="not_eligible")),
        # A late copy of the opening (another message): the handover is newer and stays.
        wrap(c.CaseOpened(case_id=case_id, opened_at=NOW, family_size=2,
                          case_manager_user_id=first)),
    )  # fmt: skip
    await service.applied(8)
    await service.publish(wrap(referral(case_id, r1, "completed", outcome_code="goal_achieved")))
    await service.applied(9)

    assert await titles(service, new) == [
        "Przekazano Ci sprawę do prowadzenia",
        "Skierowanie zostało odrzucone",
        "Usługa ze skierowania została zrealizowana",
    ]
    # The previous manager can no longer open the case: its notices leave their inbox (the
    # consent decision runs when the inbox is read, ADR 0036).
    assert await titles(service, old) == []

    def mail_to(address: str) -> list[Any]:
        return [m for m in mailbox.messages if m["To"] == address]

    await eventually(lambda: mail_to(second_mail))
    assert [m["Subject"] for m in mail_to(second_mail)] == [
        "[CUS] Przekazano Ci sprawę do prowadzenia"  # referral e-mails turned off
    ]
    body = mail_to(second_mail)[0].get_content()
    assert f"/sprawy/{case_id}" in body


async def test_team_members_hear_of_meetings_and_of_a_withdrawal(service) -> None:
    other = uuid.uuid4()
    manager, inside, outside, gone = (str(uuid.uuid4()) for _ in range(4))
    case_id = uuid.uuid4()
    kept, lost = consent(case_id, DEMO_INSTITUTION), consent(case_id, other)

    def joined(member: uuid.UUID, institution: uuid.UUID, user: str | None) -> CloudEvent:
        return wrap(
            c.TeamMemberJoined(case_id=case_id, member_id=member, institution_id=institution,
                               sector="ngo", joined_at=NOW, user_id=user)
        )  # fmt: skip

    def left(member: uuid.UUID, institution: uuid.UUID, at: datetime) -> CloudEvent:
        return wrap(
            c.TeamMemberLeft(case_id=case_id, member_id=member, institution_id=institution,
                             sector="ngo", left_at=at)
        )  # fmt: skip

    def meeting(at: datetime) -> CloudEvent:
        return wrap(
            c.MeetingScheduled(case_id=case_id, meeting_id=uuid.uuid4(), kind="meeting",
                               starts_at=NOW + timedelta(days=3), online=True, institution_ids=[],
                               family_participates=True),
            at=at,
        )  # fmt: skip

    m_inside, m_outside, m_gone = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await service.publish(
        wrap(c.CaseOpened(case_id=case_id, opened_at=NOW, family_size=1,
                          case_manager_user_id=manager)),
        wrap(kept), wrap(lost),
        joined(m_inside, DEMO_INSTITUTION, inside),
        joined(m_outside, other, outside),
        joined(m_gone, DEMO_INSTITUTION, gone),
        left(m_gone, DEMO_INSTITUTION, NOW),
        meeting(NOW + timedelta(seconds=30)),
    )  # fmt: skip
    await service.applied(8)

    withdrawn_at = NOW + timedelta(minutes=1)
    await service.publish(
        # The cases service lets the member go at the very time of the withdrawal; their
        # departure may be taken in first: they still hear of the withdrawal.
        left(m_outside, other, withdrawn_at),
        wrap(
            c.ConsentWithdrawn(case_id=case_id, consent_id=lost.consent_id,
                               withdrawn_at=withdrawn_at, institution_ids=[other], sectors=[]),
            at=withdrawn_at,
        ),
        meeting(NOW + timedelta(minutes=2)),
    )  # fmt: skip
    await service.applied(11)

    meeting_title, withdrawal = (
        "Zaplanowano spotkanie zespołu",
        ("Rodzina wycofała zgodę na udostępnianie danych"),
    )
    partner = "partner-staff"
    # The withdrawal concerns only the institution whose share it ended (ADR 0036): `inside`
    # keeps its consent and is not told of another institution's.
    assert await titles(
        service, staff_headers(service, inside, partner, institution=str(DEMO_INSTITUTION))
    ) == sorted([meeting_title, meeting_title])
    outsiders = staff_headers(service, outside, partner, institution=str(other))
    # Not the meeting after the withdrawal. The withdrawal (dated a minute ahead) is told with
    # nothing to open: from its time they can no longer open the case.
    assert await titles(service, outsiders) == sorted([meeting_title, withdrawal])
    items = (await service.client.get("/v1/inbox", headers=outsiders)).json()["items"]
    assert [n["link"] for n in items if n["title"] == withdrawal] == [None]
    assert (
        await titles(
            service, staff_headers(service, gone, partner, institution=str(DEMO_INSTITUTION))
        )
        == []
    )
    # The case manager is told of the withdrawal (meetings go to the team they lead).
    assert await titles(service, staff_headers(service, manager, "case-manager")) == [withdrawal]


async def test_reminders_reach_the_case_manager_and_the_team(service) -> None:
    manager, member = str(uuid.uuid4()), str(uuid.uuid4())
    case_id = uuid.uuid4()
    tomorrow = datetime.combine(clock.today() + timedelta(days=1), time(10), tzinfo=WARSAW)
    expiring = consent(case_id, DEMO_INSTITUTION).model_copy(
        update={"valid_until": NOW + timedelta(days=7)}
    )
    await service.publish(
        wrap(c.CaseOpened(case_id=case_id, opened_at=NOW, family_size=3,
                          case_manager_user_id=manager)),
        wrap(expiring),
        wrap(c.TeamMemberJoined(case_id=case_id, member_id=uuid.uuid4(),
                                institution_id=DEMO_INSTITUTION, sector="ngo", joined_at=NOW,
                                user_id=member)),
        wrap(c.MeetingScheduled(case_id=case_id, meeting_id=uuid.uuid4(), kind="meeting",
                                starts_at=tomorrow, online=False, institution_ids=[],
                                family_participates=True)),
    )  # fmt: skip
    await service.applied(4)
    engine = create_engine(service.settings.database_url, pool_size=1)
    try:
        rules = ReminderRules(
            referral_answer_days=3, offering_verify_days=90, consent_expiry_days=14,
            digest_hour_utc=0, web_base_url="http://cus.test",
        )  # fmt: skip
        assert await send_reminders(session_factory(engine), rules) == 2
    finally:
        await engine.dispose()

    mine = await titles(service, staff_headers(service, manager, "case-manager"))
    reminders = [t for t in mine if t.startswith("Przypomnienie")]
    assert len(reminders) == 2
    assert any("jutro" in t for t in reminders)
    assert any("zgoda rodziny wygasa" in t for t in reminders)
    theirs = await titles(
        service,
        staff_headers(service, member, "partner-staff", institution=str(DEMO_INSTITUTION)),
    )
    assert [t for t in theirs if t.startswith("Przypomnienie")] == [
        r for r in reminders if "jutro" in r
    ]
