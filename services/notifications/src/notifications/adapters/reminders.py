"""Reminders computed from the read models and the clock, and the daily e-mail digest.

Each reminder has a key (kind, object, due date). The scheduler inserts the key with
`ON CONFLICT DO NOTHING` in the same transaction as the notices it creates: whichever instance
inserts it first sends the reminder, the others (blocked on the unique index until that commit)
find it taken. So a reminder is sent once however many instances run, and again never.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from notifications.adapters.store import SqlStore
from notifications.service.intake import may_open, merged, notify, notify_each
from notifications.service.notices import digest_text
from notifications.service.ports import NoticeTarget, Person
from shared import clock
from shared.clock import WARSAW
from shared.consent import MEETINGS, REFERRALS


@dataclass(frozen=True)
class Due:
    kind: str
    object_id: str
    due: str
    tenant: str | None
    title: str
    link: str
    institutions: list[uuid.UUID]
    case_id: uuid.UUID | None = None
    # The case's own staff (ADR 0034): its manager, its team members within the consent.
    case_manager: bool = False
    team: bool = False
    # What the link opens (ADR 0036): the kind of data, the referral.
    data_kind: str | None = None
    referral_id: uuid.UUID | None = None


@dataclass(frozen=True)
class ReminderRules:
    referral_answer_days: int
    offering_verify_days: int
    consent_expiry_days: int
    digest_hour_utc: int
    web_base_url: str


async def _rows(session: AsyncSession, sql: str, **params: Any) -> Sequence[Any]:
    return (await session.execute(text(sql), params)).all()


async def due_reminders(session: AsyncSession, rules: ReminderRules, now: datetime) -> list[Due]:
    out: list[Due] = []
    tomorrow = now.astimezone(WARSAW).date() + timedelta(days=1)  # tomorrow in Poland
    for mid, tenant, case_id, pship, starts, insts in await _rows(
        session,
        "SELECT meeting_id, tenant, case_id, partnership_id, starts_at, institution_ids "
        "FROM meetings WHERE NOT cancelled AND starts_at > :now "
        "AND (starts_at AT TIME ZONE 'Europe/Warsaw')::date = :d",
        now=now,
        d=tomorrow,
    ):
        link = f"/sprawy/{case_id}" if case_id else f"/partnerstwa/{pship}"
        out.append(
            Due(
                "meeting_tomorrow",
                str(mid),
                starts.date().isoformat(),
                tenant,
                f"Przypomnienie: jutro o {starts.astimezone(WARSAW):%H:%M} spotkanie",
                link,
                list(insts),
                case_id,
                case_manager=case_id is not None,
                team=case_id is not None,
                data_kind=MEETINGS if case_id is not None else None,
            )
        )
    for rid, case_id, tenant, inst, requested in await _rows(
        session,
        "SELECT referral_id, case_id, tenant, receiving_institution_id, requested_at "
        "FROM referrals WHERE state = 'requested' AND requested_at < :limit",
        limit=now - timedelta(days=rules.referral_answer_days),
    ):
        out.append(
            Due(
                "referral_unanswered",
                str(rid),
                requested.date().isoformat(),
                tenant,
                f"Przypomnienie: skierowanie czeka na odpowiedź dłużej niż "
                f"{rules.referral_answer_days} dni",
                f"/sprawy/{case_id}/skierowania/{rid}",
                [inst],
                case_id,
                data_kind=REFERRALS,
                referral_id=rid,
            )
        )
    for sid, inst, tenant, verified in await _rows(
        session,
        "SELECT service_id, institution_id, tenant, last_verified_on FROM offerings "
        "WHERE status = 'published' AND last_verified_on < :limit",
        limit=now.astimezone(WARSAW).date() - timedelta(days=rules.offering_verify_days),
    ):
        out.append(
            Due(
                "offering_unverified",
                str(sid),
                verified.isoformat(),
                tenant,
                f"Przypomnienie: usługa w koszyku nie była weryfikowana od ponad "
                f"{rules.offering_verify_days} dni",
                f"/koszyk/{sid}",
                [inst],
            )
        )
    for consent, case_id, tenant, until in await _rows(
        session,
        "SELECT consent_id, min(case_id::text)::uuid, min(tenant), min(valid_until) "
        "FROM consent_scopes WHERE withdrawn_at IS NULL AND valid_until > :now "
        "AND valid_until <= :limit GROUP BY consent_id",
        now=now,
        limit=now + timedelta(days=rules.consent_expiry_days),
    ):
        out.append(
            Due(
                "consent_expiring",
                str(consent),
                until.date().isoformat(),
                tenant,
                f"Przypomnienie: zgoda rodziny wygasa {until:%Y-%m-%d}",
                f"/sprawy/{case_id}",
                [],
                case_id,
                case_manager=True,
            )
        )
    for pid, tenant, since in await _rows(
        session,
        "SELECT partnership_id, tenant, single_since FROM partnerships "
        "WHERE coordinator_count = 1 AND single_since IS NOT NULL",
    ):
        out.append(
            Due(
                "single_coordinator",
                str(pid),
                since.isoformat(),
                tenant,
                "Przypomnienie: partnerstwo ma tylko jednego koordynatora",
                f"/partnerstwa/{pid}",
                [],
            )
        )
    return out


_CLAIM_KEY = text(
    "INSERT INTO reminders (kind, object_id, due) VALUES (:k, :o, :d) "
    "ON CONFLICT DO NOTHING RETURNING 1"
)


async def send_reminders(
    sessions: async_sessionmaker[AsyncSession], rules: ReminderRules, now: datetime | None = None
) -> int:
    """One pass of the scheduler; returns how many reminders this call sent."""
    now = now or clock.now()
    sent = 0
    async with sessions() as session, session.begin():
        store = SqlStore(session)
        for due in await due_reminders(session, rules, now):
            claimed = (
                await session.execute(_CLAIM_KEY, {"k": due.kind, "o": due.object_id, "d": due.due})
            ).scalar()
            if not claimed:
                continue
            key = f"reminder:{due.kind}:{due.object_id}:{due.due}"
            if due.case_id is None:
                people = await store.people(due.tenant, due.institutions, coordinators=True)
                await notify(
                    store, people, key, "reminder", due.title, due.link, rules.web_base_url
                )
                sent += 1
                continue
            # About a case: only those who may open what it points at, now (ADR 0036).
            facts = await store.case_facts(due.case_id)
            people = await store.people(due.tenant, due.institutions, coordinators=False)
            if due.case_manager or due.team:
                staff = await store.case_staff(
                    due.case_id, manager=due.case_manager, team=due.team, institutions=None, at=now
                )
                people = merged(staff, people)
            target = NoticeTarget(due.case_id, due.data_kind, due.referral_id)
            told: list[tuple[Person, str | None]] = [
                (p, due.link) for p in people if may_open(facts, p, target, now)
            ]
            await notify_each(store, told, key, "reminder", due.title, target, rules.web_base_url)
            sent += 1
        sent += await _digests(session, rules, now)
    return sent


async def _digests(session: AsyncSession, rules: ReminderRules, now: datetime) -> int:
    if now.hour < rules.digest_hour_utc:
        return 0
    sent = 0
    for user_id, email in await _rows(
        session, "SELECT user_id, email FROM users WHERE daily_digest AND email IS NOT NULL"
    ):
        items = await _rows(
            session,
            "SELECT title, link FROM notices WHERE user_id = :u AND created_at > :since "
            "ORDER BY id",
            u=user_id,
            since=now - timedelta(days=1),
        )
        if not items:  # nothing yet: the day's digest is not used up
            continue
        claimed = (
            await session.execute(
                _CLAIM_KEY, {"k": "digest", "o": user_id, "d": now.date().isoformat()}
            )
        ).scalar()
        if not claimed:
            continue
        subject, body = digest_text([(t, link) for t, link in items], rules.web_base_url)
        await SqlStore(session).queue_email(
            f"digest:{user_id}:{now.date().isoformat()}", email, subject, body
        )
        sent += 1
    return sent
