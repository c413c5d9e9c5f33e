"""The retention schedule applied in notifications (ADR 0018): records past their period are
deleted, recent ones and everything still pending are kept, a dry run changes nothing, a second run
deletes nothing more, and disclosures stay append-only for everything but their retention."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from notifications.retention import Report, Schedule, apply
from shared import clock
from shared.clock import FixedClock

TABLES = (
    "notices",
    "emails",
    "deliveries",
    "delivery_attempts",
    "events",
    "disclosures",
    "inbox",
)


async def counts(service) -> dict[str, int]:
    async with service.built.runtime.engine.connect() as conn:
        return {
            t: int((await conn.execute(text(f"SELECT count(*) FROM {t}"))).scalar_one())
            for t in TABLES
        }


async def run_on(service, days_ahead: int, *, dry_run: bool = False) -> Report:
    previous = clock.current()
    clock.install(FixedClock(previous.now() + timedelta(days=days_ahead)))
    try:
        return await apply(service.built.runtime.engine, Schedule(), dry_run=dry_run)
    finally:
        clock.install(previous)


async def seed(service) -> None:
    """Records of several ages: `age` in days before now. What is pending is due tomorrow, so the
    service's workers leave it pending meanwhile."""
    endpoint = uuid.uuid4()
    async with service.built.runtime.engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO endpoints (id, tenants, url, secret)"
                " VALUES (:id, '{1219053}', 'https://example.org/hook', 'whsec_x')"
            ),
            {"id": endpoint},
        )
        # Events of the journal: 500 days old, 500 days old with a delivery still pending, recent.
        for label, age, delivery_status, delivery_age in (
            ("old", 500, "delivered", 500),
            ("old-pending", 500, "pending", 500),
            ("recent", 10, "delivered", 10),
            ("finished-long-ago", 100, "dead", 100),
        ):
            event_id = uuid.uuid4()
            seq = (
                await conn.execute(
                    text(
                        "INSERT INTO events (event_id, type, time, body, received_at)"
                        " VALUES (:e, 'cases.case.opened', now(), '\\x7b7d',"
                        " now() - make_interval(days => :age)) RETURNING seq"
                    ),
                    {"e": event_id, "age": age},
                )
            ).scalar_one()
            delivery = (
                await conn.execute(
                    text(
                        "INSERT INTO deliveries (event_seq, event_id, endpoint_id, object_key,"
                        " status, created_at, next_attempt_at) VALUES (:s, :e, :ep, :k, :st,"
                        " now() - make_interval(days => :age), now() + interval '1 day')"
                        " RETURNING id"
                    ),
                    {
                        "s": seq,
                        "e": event_id,
                        "ep": endpoint,
                        "k": label,
                        "st": delivery_status,
                        "age": delivery_age,
                    },
                )
            ).scalar_one()
            await conn.execute(
                text(
                    "INSERT INTO delivery_attempts (delivery_id, endpoint_id, at, duration_ms)"
                    " VALUES (:d, :ep, now() - make_interval(days => :age), 5)"
                ),
                {"d": delivery, "ep": endpoint, "age": delivery_age},
            )
        for n, age in enumerate((300, 100)):  # notices: business time
            await conn.execute(
                text(
                    "INSERT INTO notices (user_id, dedupe_key, kind, title, created_at)"
                    " VALUES ('u1', :k, 'referral', 'Nowe skierowanie', :at)"
                ),
                {"k": f"n{n}", "at": clock.now() - timedelta(days=age)},
            )
        for n, (status, age) in enumerate((("sent", 40), ("pending", 40), ("sent", 5))):
            await conn.execute(
                text(
                    "INSERT INTO emails (dedupe_key, recipient, subject, body, status, created_at,"
                    " next_attempt_at) VALUES (:k, 'jan@example.org', 'Temat', 'Treść', :st,"
                    " now() - make_interval(days => :age), now() + interval '1 day')"
                ),
                {"k": f"e{n}", "st": status, "age": age},
            )
        for years in (12, 0):
            await conn.execute(
                text(
                    "INSERT INTO disclosures (event_id, event_type, case_id, institution_id,"
                    " channel, disclosed_at) VALUES (:e, 'cases.case.opened', :c, :i, 'feed',"
                    " now() - make_interval(years => :y))"
                ),
                {"e": uuid.uuid4(), "c": uuid.uuid4(), "i": uuid.uuid4(), "y": years},
            )
        for age in (500, 1):
            await conn.execute(
                text(
                    "INSERT INTO inbox (consumer, event_id, subject, processed_at)"
                    " VALUES ('test', :e, 'x', now() - make_interval(days => :age))"
                ),
                {"e": uuid.uuid4(), "age": age},
            )


async def test_records_past_their_period_are_deleted_and_the_rest_kept(service) -> None:
    await seed(service)
    before = await counts(service)

    dry = await run_on(service, 100, dry_run=True)
    assert (dry.notices, dry.emails, dry.deliveries, dry.events) == (1, 1, 2, 1)
    assert (dry.disclosures, dry.inbox) == (1, 1)
    assert await counts(service) == before

    # On a clock 100 days ahead: the 300-day-old notice is past its year, the 100-day-old not.
    report = await run_on(service, 100)
    assert (report.notices, report.emails, report.deliveries, report.events) == (1, 1, 2, 1)
    assert (report.disclosures, report.inbox) == (1, 1)
    after = await counts(service)
    assert after == {
        "notices": 1,
        "emails": 2,  # the recent one and the pending one
        "deliveries": 2,  # the recent one and the pending one (with its old event)
        "delivery_attempts": 2,
        "events": 3,  # the recent one, the one with a pending delivery, the 100-day-old one
        "disclosures": 1,
        "inbox": 1,
    }
    async with service.built.runtime.engine.connect() as conn:
        kept = set((await conn.execute(text("SELECT object_key FROM deliveries"))).scalars().all())
    assert kept == {"old-pending", "recent"}

    again = await run_on(service, 100)
    assert (again.notices, again.emails, again.deliveries, again.events) == (0, 0, 0, 0)
    assert (again.disclosures, again.inbox) == (0, 0)
    assert await counts(service) == after

    # A recent disclosure cannot be deleted, not even with the retention's setting.
    async with service.built.runtime.engine.connect() as conn:
        with pytest.raises(DBAPIError, match=r"append-only|permission denied"):
            await conn.execute(text("DELETE FROM disclosures"))
        await conn.rollback()
    async with service.built.runtime.engine.connect() as conn:
        await conn.execute(text("SET notifications.disclosures_before = '1990-01-01'"))
        with pytest.raises(DBAPIError, match=r"past their retention|permission denied"):
            await conn.execute(text("DELETE FROM disclosures"))
        await conn.rollback()
    assert (await counts(service))["disclosures"] == 1
