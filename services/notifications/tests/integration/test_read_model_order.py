"""Notifications' read models of other services' events are order-independent (ADR 0083): the same
events, in any order and with duplicates, leave the same institutions, contact persons, offerings,
case staff, referrals and consent scopes — taken in through the consumer's own inbox applier and
`take_in`, as the consumer does. An older event arriving late does not overwrite a newer one, and a
withdrawal is final: a consent taken in after its withdrawal is withdrawn (ADR 0036)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from notifications.adapters import orm
from notifications.adapters.store import SqlStore
from notifications.service.intake import take_in
from shared.contracts import CloudEvent, EventData
from shared.contracts import basket as b
from shared.contracts import cases as c
from shared.contracts import partners as p
from shared.db import create_engine, session_factory
from shared.messaging.consumer import InboxApplier
from shared.testing.readmodel import apply_deliveries, check_order_independence

A, B = "1219053", "1219043"
T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
SOURCES = {"partners": "/cus/partners", "basket": "/cus/basket", "cases": "/cus/cases"}


def at(seconds: int, data: EventData) -> CloudEvent:
    source = SOURCES[data.event_type.split(".", 1)[0]]
    return CloudEvent.wrap(data, source=source, tenant=A, time=T0 + timedelta(seconds=seconds))


async def take(session: AsyncSession, event: CloudEvent, data: EventData) -> None:
    """The consumer's handler (`notifications.entrypoints.consumers`), without the wake-ups."""
    await take_in(SqlStore(session), event, data, "http://web.test")


@pytest.fixture
async def sessions(databases):
    engine = create_engine(await databases.create("notifications"), pool_size=2)
    yield session_factory(engine)
    await engine.dispose()


async def rows(session: AsyncSession, table: Any, *columns: str, where: Any) -> list[tuple]:
    result = await session.execute(select(*(table.c[n] for n in columns)).where(where))
    # In an order that does not depend on the round's fresh ids.
    return sorted((tuple(r) for r in result), key=lambda r: repr(_without_ids(r)))


def _without_ids(row: tuple) -> tuple:
    return tuple(None if isinstance(v, uuid.UUID) else v for v in row)


# Partners: institutions and contact persons.


def institution(i: uuid.UUID, name: str, sector: str, tenants: list[str], new: bool = False) -> Any:
    if new:
        return p.InstitutionRegistered(
            institution_id=i, name=name, sector=sector, tenants_served=tenants,  # type: ignore[arg-type]
        )  # fmt: skip
    return p.InstitutionUpdated(
        institution_id=i, name=name, sector=sector, tenants_served=tenants,  # type: ignore[arg-type]
        changed_fields=["name"],
    )  # fmt: skip


def contact(
    cp: uuid.UUID, i: uuid.UUID, name: str, email: str | None, active: bool
) -> p.ContactPersonChanged:
    return p.ContactPersonChanged(
        contact_person_id=cp, institution_id=i, user_id=f"user-{name}", name=name, email=email,
        active=active,
    )  # fmt: skip


def partners_scenario(ids: list[uuid.UUID]) -> list[CloudEvent]:
    school, ngo, anna, jan = ids
    return [
        at(0, institution(school, "Szkoła", "education", [A], new=True)),
        at(1, institution(ngo, "Fundacja", "ngo", [A], new=True)),
        at(2, contact(anna, school, "anna", "anna@szkola.test", True)),
        at(3, institution(school, "Szkoła nr 7", "education", [A, B])),
        at(4, contact(jan, ngo, "jan", None, True)),
        at(5, contact(anna, school, "anna", "anna.k@szkola.test", True)),
        at(6, institution(ngo, "Fundacja Rodzina", "social_economy", [A])),
        at(7, contact(jan, ngo, "jan", "jan@fundacja.test", False)),
        at(8, institution(school, "Szkoła Podstawowa nr 7", "education", [B])),
        at(9, contact(anna, school, "anna", None, False)),
    ]


async def partners_state(session: AsyncSession, ids: list[uuid.UUID]) -> object:
    i, cp = orm.institutions, orm.contact_persons
    return (
        await rows(session, i, "id", "name", "sector", "tenants", "event_time",
                   where=i.c.id.in_(ids)),
        await rows(session, cp, "id", "institution_id", "user_id", "name", "email", "active",
                   "event_time", where=cp.c.id.in_(ids)),
    )  # fmt: skip


async def test_institutions_and_contact_persons_in_any_order_with_duplicates(sessions) -> None:
    institutions, contacts = await check_order_independence(
        sessions,
        inbox=orm.inbox,
        handler=take,
        scenario=partners_scenario,
        state=partners_state,
        objects=4,
    )
    assert sorted(r[1] for r in institutions) == ["Fundacja Rodzina", "Szkoła Podstawowa nr 7"]
    assert sorted((r[3], r[4], r[5]) for r in contacts) == [
        ("anna", None, False),
        ("jan", "jan@fundacja.test", False),
    ]


# Basket: offerings.


def offering(
    cls: type[b.OfferingSnapshot],
    s: uuid.UUID,
    i: uuid.UUID,
    title: str,
    status: str,
    verified: date | None,
    **extra: Any,
) -> b.OfferingSnapshot:
    return cls(
        service_id=s, institution_id=i, provider_sector="ngo", title=title, area="family_support",
        category="counselling", status=status, tenants_served=[A],  # type: ignore[arg-type]
        capacity_status="available", cost="free", referral_required=True,
        last_verified_on=verified, **extra,
    )  # fmt: skip


def offerings_scenario(ids: list[uuid.UUID]) -> list[CloudEvent]:
    """Snapshots only: a verification taken in before the offering's first snapshot has no row
    to land on (as in cases, ADR 0083)."""
    s1, s2, inst = ids
    d = date(2026, 10, 1)
    return [
        at(0, offering(b.ServiceAdded, s1, inst, "Poradnictwo", "draft", None)),
        at(1, offering(b.ServiceAdded, s2, inst, "Świetlica", "draft", d)),
        at(2, offering(b.ServicePublished, s1, inst, "Poradnictwo", "published", d)),
        at(3, offering(b.ServiceUpdated, s1, inst, "Poradnictwo rodzinne", "published", None)),
        at(4, offering(b.ServicePublished, s2, inst, "Świetlica", "published", d + timedelta(1))),
        at(5, offering(b.ServiceSuspended, s2, inst, "Świetlica", "suspended", None, reason="x")),
        at(6, offering(b.ServiceUpdated, s1, inst, "Poradnictwo dla rodzin", "published",
                       d + timedelta(30))),
    ]  # fmt: skip


async def offerings_state(session: AsyncSession, ids: list[uuid.UUID]) -> object:
    o = orm.offerings
    return await rows(session, o, "service_id", "institution_id", "tenant", "title", "status",
                      "last_verified_on", "event_time", where=o.c.service_id.in_(ids))  # fmt: skip


async def test_offerings_in_any_order_with_duplicates(sessions) -> None:
    offerings = await check_order_independence(
        sessions,
        inbox=orm.inbox,
        handler=take,
        scenario=offerings_scenario,
        state=offerings_state,
        objects=3,
    )
    assert sorted((r[3], r[4], r[5]) for r in offerings) == [
        ("Poradnictwo dla rodzin", "published", date(2026, 10, 31)),
        ("Świetlica", "suspended", date(2026, 10, 2)),
    ]


# Cases: the case manager, the team, referrals and the consent's scopes.


def referral(
    r: uuid.UUID, case: uuid.UUID, inst: uuid.UUID, state: str, t: int, **extra: Any
) -> Any:
    return c.REFERRAL_EVENTS[state](
        referral_id=r, case_id=case, service_id=uuid.uuid5(uuid.NAMESPACE_URL, "s"),
        receiving_institution_id=inst, receiving_sector="ngo", state=state,  # type: ignore[arg-type]
        previous_state=None, at=T0 + timedelta(seconds=t), **extra,
    )  # fmt: skip


def cases_scenario(ids: list[uuid.UUID]) -> list[CloudEvent]:
    case, m1, m2, ref, consent, school, ngo, sender = ids
    t = T0.__add__
    s = timedelta(seconds=1)
    given = c.FamilyConsented(
        case_id=case, consent_id=consent, given_at=t(2 * s), method="paper",
        institution_ids=[school, ngo], sectors=["health"], data_kinds=["referrals", "plan"],
        valid_until=t(timedelta(days=90)),
    )  # fmt: skip
    return [
        at(0, c.CaseOpened(case_id=case, opened_at=t(0 * s), family_size=3,
                           case_manager_user_id="manager-1")),
        at(2, given),
        at(3, c.TeamMemberJoined(case_id=case, member_id=m1, institution_id=school,
                                 sector="education", joined_at=t(3 * s), user_id="teacher")),
        at(4, c.TeamMemberJoined(case_id=case, member_id=m2, institution_id=ngo, sector="ngo",
                                 joined_at=t(4 * s), user_id="worker")),
        at(5, referral(ref, case, ngo, "requested", 5, sending_institution_id=sender)),
        at(6, c.CaseReassigned(case_id=case, reassigned_at=t(6 * s),
                               case_manager_user_id="manager-2",
                               previous_case_manager_user_id="manager-1",
                               reason_code="workload", by_relation="case_manager")),
        at(7, referral(ref, case, ngo, "accepted", 7, requested_at=t(5 * s))),
        at(8, c.ConsentWithdrawn(case_id=case, consent_id=consent, withdrawn_at=t(8 * s),
                                 institution_ids=[ngo], sectors=[])),
        at(9, c.TeamMemberLeft(case_id=case, member_id=m2, institution_id=ngo, sector="ngo",
                               left_at=t(9 * s), reason_code="consent_ended")),
        at(10, referral(ref, case, ngo, "withdrawn-consent", 10, requested_at=t(5 * s))),
        at(11, c.ConsentWithdrawn(case_id=case, consent_id=consent, withdrawn_at=t(11 * s),
                                  institution_ids=[], sectors=[])),
        at(12, c.TeamMemberLeft(case_id=case, member_id=m1, institution_id=school,
                                sector="education", left_at=t(12 * s),
                                reason_code="consent_ended")),
        at(13, c.CaseClosed(case_id=case, opened_at=t(0 * s), closed_at=t(13 * s),
                            reason_code="goals_achieved")),
    ]  # fmt: skip


async def cases_state(session: AsyncSession, ids: list[uuid.UUID]) -> object:
    case = ids[0]
    cs, team, ref, scope = orm.cases, orm.case_team, orm.referrals, orm.consent_scopes
    return (
        await rows(session, cs, "tenant", "closed_at", "manager_user_id", "manager_since",
                   where=cs.c.case_id == case),
        await rows(session, team, "member_id", "institution_id", "user_id", "left_at",
                   where=team.c.case_id == case),
        await rows(session, ref, "referral_id", "tenant", "receiving_institution_id",
                   "sending_institution_id", "state", "requested_at", "event_time",
                   where=ref.c.case_id == case),
        await rows(session, scope, "consent_id", "institution_id", "sector", "valid_until",
                   "withdrawn_at", "data_kinds", "given_at", where=scope.c.case_id == case),
    )  # fmt: skip


async def test_case_staff_referrals_and_consent_in_any_order_with_duplicates(sessions) -> None:
    case, team, referrals, scopes = await check_order_independence(
        sessions,
        inbox=orm.inbox,
        handler=take,
        scenario=cases_scenario,
        state=cases_state,
        objects=8,
    )
    t = T0.__add__
    assert [(r[0], r[2], r[3]) for r in case] == [(A, "manager-2", t(timedelta(seconds=6)))]
    assert sorted((r[2], r[3]) for r in team) == [
        ("teacher", t(timedelta(seconds=12))),
        ("worker", t(timedelta(seconds=9))),
    ]
    assert [(r[3], r[4], r[5]) for r in referrals] == [
        ("#7", "withdrawn-consent", t(timedelta(seconds=5)))
    ]
    # Every scope withdrawn, the ngo's at the first (partial) withdrawal, whatever came first.
    withdrawn = {(r[1], r[2]): r[4] for r in scopes}
    assert withdrawn == {
        ("#5", None): t(timedelta(seconds=11)),
        ("#6", None): t(timedelta(seconds=8)),
        (None, "health"): t(timedelta(seconds=11)),
    }


# A late, older event.


async def test_a_late_older_event_does_not_overwrite_a_newer_one(sessions) -> None:
    ids = [uuid.uuid4() for _ in range(8)]
    partners, offerings, cases = (
        partners_scenario(ids[:4]),
        offerings_scenario(ids[:3]),
        cases_scenario(ids),
    )
    pship, meeting = uuid.uuid5(uuid.NAMESPACE_URL, A), ids[4]
    meetings = [
        at(s, p.MeetingScheduled(meeting_id=meeting, partnership_id=pship,
                                 starts_at=T0 + timedelta(days=d), host_institution_id=None,
                                 chair_institution_id=None, online=False))
        for s, d in ((0, 7), (1, 14))
    ]  # fmt: skip
    meetings.append(at(2, p.MeetingCancelled(meeting_id=meeting, partnership_id=pship, reason="x")))
    applier = InboxApplier("late", orm.inbox, take)
    await apply_deliveries(
        sessions,
        applier,
        # The newest first, then the older ones late.
        [
            *(partners[n] for n in (8, 3, 9, 5, 2)),
            *(offerings[n] for n in (6, 3, 0)),
            *(cases[n] for n in (9, 11, 10, 1, 2, 6, 4)),
            *(meetings[n] for n in (1, 2, 0)),  # rescheduled, cancelled, the first late
        ],
    )
    async with sessions() as session:
        i, cp, o = orm.institutions.c, orm.contact_persons.c, orm.offerings.c
        name = await session.scalar(select(i.name).where(i.id == ids[0]))
        email, active = (
            await session.execute(select(cp.email, cp.active).where(cp.id == ids[2]))
        ).one()
        title, status = (
            await session.execute(select(o.title, o.status).where(o.service_id == ids[0]))
        ).one()
        state = await session.scalar(
            select(orm.referrals.c.state).where(orm.referrals.c.referral_id == ids[3])
        )
        left = await session.scalar(
            select(orm.case_team.c.left_at).where(orm.case_team.c.member_id == ids[1])
        )
        in_force = await session.scalar(
            select(orm.consent_scopes.c.consent_id).where(
                orm.consent_scopes.c.case_id == ids[0],
                orm.consent_scopes.c.withdrawn_at.is_(None),
            )
        )
        cancelled, starts_at = (
            await session.execute(
                select(orm.meetings.c.cancelled, orm.meetings.c.starts_at).where(
                    orm.meetings.c.meeting_id == meeting
                )
            )
        ).one()
    assert name == "Szkoła Podstawowa nr 7"
    assert (email, active) == (None, False)
    assert (title, status) == ("Poradnictwo dla rodzin", "published")
    assert state == "withdrawn-consent"
    assert left == T0 + timedelta(seconds=12)  # a late `joined` does not bring the member back
    assert in_force is None  # the consent, taken in after its withdrawal, is withdrawn
    assert (cancelled, starts_at) == (True, T0 + timedelta(days=14))
