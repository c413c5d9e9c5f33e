"""Who signed in (kept from their token), their preferences, and marking notices read."""

from __future__ import annotations

import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


async def remember_user(
    session: AsyncSession,
    *,
    user_id: str,
    username: str,
    email: str | None,
    roles: list[str],
    tenants: list[str],
    institution_id: uuid.UUID | None,
) -> None:
    await session.execute(
        text(
            "INSERT INTO users (user_id, username, email, roles, tenants, institution_id) "
            "VALUES (:id, :name, :email, :roles, :tenants, :inst) ON CONFLICT (user_id) DO UPDATE "
            "SET username = :name, email = coalesce(:email, users.email), roles = :roles, "
            "tenants = :tenants, institution_id = :inst, seen_at = now()"
        ),
        {
            "id": user_id,
            "name": username,
            "email": email,
            "roles": roles,
            "tenants": tenants,
            "inst": institution_id,
        },
    )


async def set_preferences(
    session: AsyncSession,
    user_id: str,
    channels: list[tuple[str, str, bool]],
    daily_digest: bool | None,
) -> None:
    for kind, channel, enabled in channels:
        await session.execute(
            text(
                "INSERT INTO preferences (user_id, kind, channel, enabled) VALUES (:u, :k, :c, :e) "
                "ON CONFLICT (user_id, kind, channel) DO UPDATE SET enabled = :e"
            ),
            {"u": user_id, "k": kind, "c": channel, "e": enabled},
        )
    if daily_digest is not None:
        await session.execute(
            text("UPDATE users SET daily_digest = :d WHERE user_id = :u"),
            {"u": user_id, "d": daily_digest},
        )


async def mark_read(session: AsyncSession, user_id: str, notice_id: int | None) -> int:
    result = await session.execute(
        text(
            "UPDATE notices SET read_at = now() WHERE user_id = :u AND read_at IS NULL "
            "AND (CAST(:id AS bigint) IS NULL OR id = :id)"
        ),
        {"u": user_id, "id": notice_id},
    )
    return int(getattr(result, "rowcount", 0) or 0)
