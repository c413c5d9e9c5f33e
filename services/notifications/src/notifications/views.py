"""Read queries behind the API: endpoints, delivery log, dead letters, the feed, the inbox."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from notifications.adapters.facts import case_facts, sectors
from notifications.domain.entitlement import opens, reaches
from notifications.service.notices import CHANNELS, KINDS
from shared import clock
from shared.contracts.envelope import parse_event

_ENDPOINT_COLUMNS = (
    "id, institution_id, tenants, url, description, event_types, active, disabled_reason, "
    "created_at, updated_at, previous_secret_expires_at"
)


async def endpoints(
    session: AsyncSession, institution_id: uuid.UUID | None
) -> list[dict[str, Any]]:
    rows = await session.execute(
        text(
            f"SELECT {_ENDPOINT_COLUMNS} FROM endpoints "
            "WHERE CAST(:inst AS uuid) IS NULL OR institution_id = :inst ORDER BY created_at"
        ),
        {"inst": institution_id},
    )
    return [dict(r._mapping) for r in rows]


_DELIVERY_COLUMNS = (
    "d.id, d.event_id, ev.type AS event_type, ev.subject, d.endpoint_id, d.status, d.attempts, "
    "d.last_status_code, d.last_error, d.created_at, d.next_attempt_at, d.delivered_at"
)


async def deliveries(
    session: AsyncSession,
    *,
    endpoint_id: uuid.UUID | None,
    institution_id: uuid.UUID | None,
    status: str | None,
    limit: int,
    offset: int,
) -> tuple[list[dict[str, Any]], int]:
    where = (
        "(CAST(:endpoint AS uuid) IS NULL OR d.endpoint_id = :endpoint) "
        "AND (CAST(:inst AS uuid) IS NULL OR e.institution_id = :inst) "
        "AND (CAST(:status AS text) IS NULL OR d.status = :status)"
    )
    params = {"endpoint": endpoint_id, "inst": institution_id, "status": status}
    base = (
        "FROM deliveries d JOIN events ev ON ev.seq = d.event_seq "
        f"JOIN endpoints e ON e.id = d.endpoint_id WHERE {where}"
    )
    total = (await session.execute(text(f"SELECT count(*) {base}"), params)).scalar_one()
    rows = await session.execute(
        text(f"SELECT {_DELIVERY_COLUMNS} {base} ORDER BY d.id DESC LIMIT :n OFFSET :o"),
        {**params, "n": limit, "o": offset},
    )
    return [dict(r._mapping) for r in rows], int(total)


async def attempts(session: AsyncSession, delivery_id: int) -> list[dict[str, Any]]:
    rows = await session.execute(
        text(
            "SELECT at, status_code, error, duration_ms FROM delivery_attempts "
            "WHERE delivery_id = :id ORDER BY id"
        ),
        {"id": delivery_id},
    )
    return [dict(r._mapping) for r in rows]


async def feed(
    session: AsyncSession,
    *,
    after: int,
    limit: int,
    tenants: list[str],
    institution_id: uuid.UUID,
    types: list[str],
    now: datetime | None = None,
) -> list[tuple[int, bytes]]:
    """The events a partner system is entitled to, in the order they were taken in: its
    municipalities' events; case events only as the consent decision allows them now, for its
    institution and the event's kind of data (ADR 0036), consent events trimmed to what
    concerns it."""
    now = now or clock.now()
    out: list[tuple[int, bytes]] = []
    cursor = after
    while len(out) < limit:
        batch = max(limit * 2, 50)
        rows = (
            await session.execute(
                _FEED,
                {"after": cursor, "tenants": tenants, "inst": institution_id, "types": types,
                 "n": batch},
            )
        ).all()  # fmt: skip
        if not rows:
            break
        facts = await case_facts(session, {r[2] for r in rows if r[2] is not None})
        known: dict[str | None, dict[uuid.UUID, str | None]] = {}
        for seq, body, case_id, tenant in rows:
            cursor = int(seq)
            raw = bytes(body)
            if case_id is not None:
                if tenant not in known:
                    known[tenant] = await sectors(session, [institution_id], tenant)
                event, data = parse_event(raw)
                allowed = reaches(
                    event.type, data, facts[case_id], institution_id,
                    known[tenant].get(institution_id), now,
                )  # fmt: skip
                if allowed is None:
                    continue
                if allowed is not data:
                    event = event.model_copy(update={"data": allowed.model_dump(mode="json")})
                    raw = event.model_dump_json().encode()
            out.append((cursor, raw))
            if len(out) == limit:
                break
        if len(rows) < batch:
            break
    return out


# The candidates of a feed page: the institution's municipalities, the types asked for; a case
# event only if it reached the institution when it was taken in (its audience) — the consent
# decision is applied again, now, on each row.
_FEED = text(
    """
    SELECT e.seq, e.body, e.case_id, e.tenant FROM events e
    WHERE e.seq > :after AND e.tenant = ANY(:tenants)
      AND (cardinality(CAST(:types AS text[])) = 0 OR e.type = ANY(:types))
      AND CASE
        WHEN e.case_id IS NOT NULL THEN EXISTS (
            SELECT 1 FROM event_audience a
            WHERE a.event_seq = e.seq AND a.institution_id = :inst)
        ELSE e.restricted_to IS NULL OR e.restricted_to = :inst
      END
    ORDER BY e.seq LIMIT :n
    """
)


@dataclass(frozen=True)
class Viewer:
    """The signed-in person reading their inbox, as their token says now."""

    user_id: str
    roles: frozenset[str]
    tenants: frozenset[str]
    institution_id: uuid.UUID | None


async def _visible(
    session: AsyncSession, viewer: Viewer, rows: list[Any], now: datetime
) -> list[Any]:
    """The notices whose link the person may still open (ADR 0036): a case notice is shown
    while the consent decision lets them open the case, or the referral, it points at."""
    facts = await case_facts(session, {r.case_id for r in rows if r.case_id is not None})
    sector_by_tenant: dict[str | None, str | None] = {}
    out = []
    for r in rows:
        if r.case_id is not None:
            case = facts[r.case_id]
            if case.tenant not in sector_by_tenant:
                found = await sectors(
                    session, [viewer.institution_id] if viewer.institution_id else [], case.tenant
                )
                sector_by_tenant[case.tenant] = (
                    found.get(viewer.institution_id) if viewer.institution_id else None
                )
            if not opens(
                case,
                user_id=viewer.user_id,
                roles=viewer.roles,
                tenants=viewer.tenants,
                institution_id=viewer.institution_id,
                sector=sector_by_tenant[case.tenant],
                kind=r.data_kind,
                referral_id=r.referral_id,
                at=now,
            ):
                continue
        out.append(r)
    return out


_NOTICES = text(
    "SELECT id, kind, title, link, created_at, read_at, case_id, data_kind, referral_id "
    "FROM notices WHERE user_id = :u AND (NOT :unread OR read_at IS NULL) ORDER BY id DESC"
)
_NOTICE_FIELDS = ("id", "kind", "title", "link", "created_at", "read_at")


async def inbox(
    session: AsyncSession,
    viewer: Viewer,
    *,
    unread_only: bool,
    limit: int,
    offset: int,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    rows = (await session.execute(_NOTICES, {"u": viewer.user_id, "unread": unread_only})).all()
    shown = await _visible(session, viewer, list(rows), now or clock.now())
    return [{k: getattr(r, k) for k in _NOTICE_FIELDS} for r in shown[offset : offset + limit]]


async def unread_count(session: AsyncSession, viewer: Viewer, now: datetime | None = None) -> int:
    """Unread notices the person may still open: the inbox's badge and its live count (SSE)."""
    rows = (await session.execute(_NOTICES, {"u": viewer.user_id, "unread": True})).all()
    return len(await _visible(session, viewer, list(rows), now or clock.now()))


async def notice(
    session: AsyncSession, viewer: Viewer, notice_id: int, now: datetime | None = None
) -> dict[str, Any] | None:
    rows = (
        await session.execute(
            text(
                "SELECT id, kind, title, link, created_at, read_at, case_id, data_kind, "
                "referral_id FROM notices WHERE id = :id AND user_id = :u"
            ),
            {"id": notice_id, "u": viewer.user_id},
        )
    ).all()
    shown = await _visible(session, viewer, list(rows), now or clock.now())
    return {k: getattr(shown[0], k) for k in _NOTICE_FIELDS} if shown else None


async def preferences(session: AsyncSession, user_id: str) -> dict[str, Any]:
    stored = {
        (k, c): e
        for k, c, e in await session.execute(
            text("SELECT kind, channel, enabled FROM preferences WHERE user_id = :u"),
            {"u": user_id},
        )
    }
    user = (
        await session.execute(
            text("SELECT email, daily_digest FROM users WHERE user_id = :u"), {"u": user_id}
        )
    ).first()
    return {
        "email": user[0] if user else None,
        "daily_digest": bool(user[1]) if user else False,
        "channels": [
            {"kind": k, "channel": c, "enabled": stored.get((k, c), True)}
            for k in KINDS
            for c in CHANNELS
        ],
    }
