"""Read queries behind the API: endpoints, delivery log, dead letters, the feed, the inbox."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from notifications.service.notices import CHANNELS, KINDS

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
) -> list[tuple[int, bytes]]:
    """The events a partner system is entitled to, in the order they were taken in: its
    municipalities' events; case events only while its institution is within the consent."""
    rows = await session.execute(
        text(
            """
            SELECT e.seq, e.body FROM events e
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
        ),
        {"after": after, "tenants": tenants, "inst": institution_id, "types": types, "n": limit},
    )
    return [(int(seq), bytes(body)) for seq, body in rows.all()]


async def inbox(
    session: AsyncSession, user_id: str, *, unread_only: bool, limit: int, offset: int
) -> list[dict[str, Any]]:
    rows = await session.execute(
        text(
            "SELECT id, kind, title, link, created_at, read_at FROM notices WHERE user_id = :u "
            "AND (NOT :unread OR read_at IS NULL) ORDER BY id DESC LIMIT :n OFFSET :o"
        ),
        {"u": user_id, "unread": unread_only, "n": limit, "o": offset},
    )
    return [dict(r._mapping) for r in rows]


async def unread_count(session: AsyncSession, user_id: str) -> int:
    return int(
        (
            await session.execute(
                text("SELECT count(*) FROM notices WHERE user_id = :u AND read_at IS NULL"),
                {"u": user_id},
            )
        ).scalar_one()
    )


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
