"""Reminders computed from events and the clock are sent once, however many instances run; the
daily digest replaces single e-mails for those who chose it."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import text

from notifications.adapters.reminders import ReminderRules, due_reminders, send_reminders
from shared import clock
from shared.clock import WARSAW
from shared.contracts import CloudEvent, EventData
from shared.contracts import basket as b
from shared.contracts import cases as c
from shared.contracts import partners as p
from shared.db import create_engine, session_factory

A = "1219053"
NOW = clock.now()


@pytest.fixture(autouse=True)
def _now_is_when_the_test_starts() -> None:
    """Facts are dated from the test's own start, not from when pytest imported the module
    (minutes earlier in the whole suite): "a minute ahead" must still be ahead."""
    global NOW
    NOW = clock.now()


RULES = ReminderRules(
    referral_answer_days=3,
    offering_verify_days=90,
    consent_expiry_days=14,
    digest_hour_utc=0,
    web_base_url="http://cus.test",
)


def wrap(data: EventData) -> CloudEvent:
    source = {"partners": "/cus/partners", "basket": "/cus/basket", "cases": "/cus/cases"}
    return CloudEvent.wrap(
        data, source=source[data.event_type.split(".")[0]], tenant=A, subject=str(uuid.uuid4())
    )


def facts() -> list[CloudEvent]:
    case_id, institution = uuid.uuid4(), uuid.uuid4()
    tomorrow = datetime.combine(clock.today() + timedelta(days=1), time(10), tzinfo=WARSAW)
    return [
        wrap(p.CoordinatorsChanged(partnership_id=uuid.uuid4(), coordinator_count=1,
                                   understaffed=True)),
        wrap(c.MeetingScheduled(case_id=case_id, meeting_id=uuid.uuid4(), kind="meeting",
                                starts_at=tomorrow, online=False, institution_ids=[institution],
                                family_participates=True)),
        wrap(c.ReferralRequested(referral_id=uuid.uuid4(), case_id=case_id,
                                 service_id=uuid.uuid4(), receiving_institution_id=institution,
                                 receiving_sector="ngo", state="requested",
                                 previous_state="draft", at=NOW - timedelta(days=5))),
        wrap(c.FamilyConsented(case_id=case_id, consent_id=uuid.uuid4(), given_at=NOW,
                               method="paper", institution_ids=[institution], sectors=[],
                               data_kinds=["referrals"], valid_until=NOW + timedelta(days=7))),
        wrap(b.ServicePublished(service_id=uuid.uuid4(), institution_id=institution,
                                provider_sector="ngo", title="Poradnictwo rodzinne",
                                area="family_support", category="counselling",
                                status="published", tenants_served=[A],
                                capacity_status="available", cost="free",
                                referral_required=True,
                                last_verified_on=NOW.date() - timedelta(days=100))),
    ]  # fmt: skip


async def test_each_reminder_is_sent_once_across_instances(service, smtp, eventually) -> None:
    _, mailbox = smtp
    me = await service.user("coord-a")
    await service.client.put("/v1/preferences", json={"daily_digest": True}, headers=me)
    await service.publish(*facts())
    await service.applied(5)

    engines = [create_engine(service.settings.database_url, pool_size=2) for _ in range(2)]
    try:
        instances = [session_factory(e) for e in engines]
        sent = await asyncio.gather(*(send_reminders(s, RULES) for s in instances))
        again = await asyncio.gather(*(send_reminders(s, RULES) for s in instances))
    finally:
        for engine in engines:
            await engine.dispose()
    assert sum(sent) == 6  # five reminders and coord-a's digest
    assert sum(again) == 0

    inbox = (await service.client.get("/v1/inbox?per_page=50", headers=me)).json()["items"]
    reminders = [n["title"] for n in inbox if n["kind"] == "reminder"]
    # The coordinator: the municipality's reminders; not those about a case, which they cannot
    # open (the case manager and the team get them: test_case_staff, ADR 0036).
    assert len(reminders) == 2
    assert any("nie była weryfikowana" in t for t in reminders)
    assert any("jednego koordynatora" in t for t in reminders)
    async with service.built.runtime.engine.connect() as conn:
        keys = (await conn.execute(text("SELECT kind FROM reminders ORDER BY kind"))).scalars()
        assert sorted(keys) == sorted(
            ["consent_expiring", "digest", "meeting_tomorrow", "offering_unverified",
             "referral_unanswered", "single_coordinator"]
        )  # fmt: skip

    service.built.context.wake()
    await eventually(
        lambda: any(m["To"] == "coord-a@example.org" and "podsumowanie" in m["Subject"]
                    for m in mailbox.messages)
    )  # fmt: skip
    mine = [m for m in mailbox.messages if m["To"] == "coord-a@example.org"]
    digests = [m for m in mine if "podsumowanie" in m["Subject"]]
    assert len(digests) == 1
    assert "Przypomnienie" in digests[0].get_content()
    # chose the digest: no single e-mails for these notices
    assert all("Przypomnienie" not in m["Subject"] for m in mine)


async def test_tomorrow_is_the_next_day_in_poland(service) -> None:
    """At 00:30 on 1 January in Warsaw, 23:30 on 31 December in UTC, tomorrow is 2 January: its
    meetings are reminded of, early or late in the day; one later on 1 January is today's."""
    now = datetime(2028, 1, 1, 0, 30, tzinfo=WARSAW)
    meetings = {
        "today": datetime(2028, 1, 1, 10, 0, tzinfo=WARSAW),
        "early tomorrow": datetime(2028, 1, 2, 0, 30, tzinfo=WARSAW),  # 1 January in UTC
        "late tomorrow": datetime(2028, 1, 2, 23, 30, tzinfo=WARSAW),
        "the day after": datetime(2028, 1, 3, 0, 30, tzinfo=WARSAW),  # 2 January in UTC
    }
    ids = {name: uuid.uuid4() for name in meetings}
    await service.publish(
        *(
            wrap(c.MeetingScheduled(case_id=uuid.uuid4(), meeting_id=ids[name], kind="meeting",
                                    starts_at=starts, online=False, institution_ids=[],
                                    family_participates=True))
            for name, starts in meetings.items()
        )
    )  # fmt: skip
    await service.applied(len(meetings))
    async with service.built.runtime.sessions() as session:
        due = await due_reminders(session, RULES, now.astimezone(UTC))
    reminded = {d.object_id for d in due if d.kind == "meeting_tomorrow"}
    assert reminded == {str(ids["early tomorrow"]), str(ids["late tomorrow"])}
    # The reminder tells the time as the people in Poland read it, not in UTC.
    titles = {d.object_id: d.title for d in due if d.kind == "meeting_tomorrow"}
    assert titles[str(ids["early tomorrow"])] == "Przypomnienie: jutro o 00:30 spotkanie"
    assert titles[str(ids["late tomorrow"])] == "Przypomnienie: jutro o 23:30 spotkanie"
