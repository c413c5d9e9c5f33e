"""A referral ended because the family's consent ended (`withdrawn-consent`, cases ADR 0037) is
counted with the cancelled referrals, its reason code (consent_withdrawn | consent_expired) kept
as the cancellation's reason; a draft ended that way was never sent and is not in the cohort.
Straight through the projector, in order and reversed."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import text

from evaluation import views
from evaluation.adapters.projection import project
from evaluation.domain.disclosure import Count
from evaluation.domain.periods import Period
from evaluation.domain.report import Report
from shared.contracts import CloudEvent, EventData
from shared.contracts import cases as c
from shared.db import create_engine, session_factory

A = "1219053"
Q3 = Period.parse("2026-Q3")
CASE = uuid.uuid4()
WITHDRAWN, EXPIRED, CANCELLED, DRAFT = (uuid.uuid4() for _ in range(4))


def day(d: int) -> datetime:
    return datetime(2026, 7, d, 10, tzinfo=UTC)


def referral(
    referral_id: uuid.UUID,
    state: str,
    previous: str | None,
    at: datetime,
    requested_at: datetime | None,
    reason_code: str | None = None,
) -> CloudEvent:
    data: EventData = c.REFERRAL_EVENTS[state](
        referral_id=referral_id, case_id=CASE, service_id=uuid.uuid4(),
        receiving_institution_id=uuid.uuid4(), receiving_sector="ngo",
        state=state, previous_state=previous, at=at,  # type: ignore[arg-type]
        requested_at=requested_at, reason_code=reason_code,  # type: ignore[arg-type]
    )  # fmt: skip
    return CloudEvent.wrap(data, source="/cus/cases", tenant=A, subject=str(CASE), time=at)


EVENTS = [
    # Accepted, then ended by the withdrawal of the consent.
    referral(WITHDRAWN, "requested", "draft", day(1), day(1)),
    referral(WITHDRAWN, "accepted", "requested", day(3), day(1)),
    referral(WITHDRAWN, "withdrawn-consent", "accepted", day(10), day(1), "consent_withdrawn"),
    # Still waiting for an answer when the consent expired (the sweep).
    referral(EXPIRED, "requested", "draft", day(2), day(2)),
    referral(EXPIRED, "withdrawn-consent", "requested", day(12), day(2), "consent_expired"),
    # Cancelled by a person, for comparison.
    referral(CANCELLED, "requested", "draft", day(4), day(4)),
    referral(CANCELLED, "cancelled", "requested", day(5), day(4), "family_declined"),
    # A draft the consent's end closed: never sent.
    referral(DRAFT, "withdrawn-consent", "draft", day(6), None, "consent_withdrawn"),
]


def raw(report: Report, key: str) -> dict[str, list[Any]]:
    for section in report.sections:
        for t in section.tables:
            if t.key == key:
                return dict(zip(t.row_keys, t.rows, strict=True))
    raise KeyError(key)


@pytest.mark.parametrize("order", ["in order", "reversed"])
async def test_a_referral_ended_by_the_consent_counts_as_cancelled_with_its_reason(
    databases, order
) -> None:
    events = EVENTS if order == "in order" else list(reversed(EVENTS))
    engine = create_engine(await databases.create("evaluation"), pool_size=1)
    try:
        sessions = session_factory(engine)
        async with sessions() as session, session.begin():
            await project(session, [(e, e.payload()) for e in events])
        async with sessions() as session:
            rows = {
                r.referral_id: r
                for r in await session.execute(
                    text(
                        "SELECT referral_id, state, cancel_reason, cancelled_at, accepted_at, "
                        "requested_at FROM ev_referrals"
                    )
                )
            }
            report = await views.report(session, A, Q3, datetime(2026, 11, 23, 12, tzinfo=UTC))
    finally:
        await engine.dispose()

    # The read model: cancelled, at the moment the consent ended it, with the consent's reason;
    # what happened before (accepted) is kept.
    ended = rows[WITHDRAWN]
    assert (ended.state, ended.cancel_reason) == ("cancelled", "consent_withdrawn")
    assert (ended.cancelled_at, ended.accepted_at) == (day(10), day(3))
    assert (rows[EXPIRED].state, rows[EXPIRED].cancel_reason) == ("cancelled", "consent_expired")
    assert rows[EXPIRED].cancelled_at == day(12)
    assert (rows[CANCELLED].state, rows[CANCELLED].cancel_reason) == (
        "cancelled",
        "family_declined",
    )
    assert (rows[DRAFT].state, rows[DRAFT].requested_at) == ("cancelled", None)
    assert {r.state for r in rows.values()} == {"cancelled"}  # no "withdrawn-consent" state

    # The report (before disclosure): three sent in the quarter, all three cancelled; the draft
    # is in no figure.
    summary = raw(report, "referrals_summary")
    assert summary["sent"][1] == Count(3)
    assert summary["accepted"][1] == Count(1)
    assert summary["rejected"][1] == Count(0)
    assert summary["cancelled"][1] == Count(3)
    states = {k: r[1].n for k, r in raw(report, "referrals_by_state").items() if r[1].n}
    assert states == {"cancelled": 3}
    assert "withdrawn-consent" not in raw(report, "referrals_by_state")
