"""Who signed in (kept from their token), their preferences, and marking notices read."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from notifications.service.ports import Profile

# Insert the person, or update their row — only when something in it differs from the token's, so
# that the requests of someone whose token has not changed write nothing (ADR 0080). An e-mail the
# token lacks keeps the one remembered. The WHERE NOT EXISTS, not an ON CONFLICT … WHERE, decides:
# a conflicting INSERT locks the row even when its update is skipped.
_REMEMBER = text(
    """
    INSERT INTO users (user_id, username, email, roles, tenants, institution_id)
    SELECT CAST(:id AS text), CAST(:name AS text), CAST(:email AS text),
           CAST(:roles AS text[]), CAST(:tenants AS text[]), CAST(:inst AS uuid)
    WHERE NOT EXISTS (
        SELECT 1 FROM users u
        WHERE u.user_id = :id AND u.username = :name
          AND u.email IS NOT DISTINCT FROM coalesce(:email, u.email)
          AND u.roles = CAST(:roles AS text[]) AND u.tenants = CAST(:tenants AS text[])
          AND u.institution_id IS NOT DISTINCT FROM CAST(:inst AS uuid)
    )
    ON CONFLICT (user_id) DO UPDATE
    SET username = :name, email = coalesce(:email, users.email), roles = :roles,
        tenants = :tenants, institution_id = :inst, seen_at = now()
    """
)


class SqlPeople:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def remember(self, profile: Profile) -> bool:
        """Keep the person's profile; whether it was written (new or changed)."""
        result = await self.session.execute(
            _REMEMBER,
            {
                "id": profile.user_id,
                "name": profile.username,
                "email": profile.email,
                "roles": list(profile.roles),
                "tenants": list(profile.tenants),
                "inst": profile.institution_id,
            },
        )
        return bool(getattr(result, "rowcount", 0))

    async def set_preferences(
        self, user_id: str, channels: list[tuple[str, str, bool]], daily_digest: bool | None
    ) -> None:
        for kind, channel, enabled in channels:
            await self.session.execute(
                text(
                    "INSERT INTO preferences (user_id, kind, channel, enabled) "
                    "VALUES (:u, :k, :c, :e) "
                    "ON CONFLICT (user_id, kind, channel) DO UPDATE SET enabled = :e"
                ),
                {"u": user_id, "k": kind, "c": channel, "e": enabled},
            )
        if daily_digest is not None:
            await self.session.execute(
                text("UPDATE users SET daily_digest = :d WHERE user_id = :u"),
                {"u": user_id, "d": daily_digest},
            )

    async def mark_read(self, user_id: str, notice_id: int | None) -> int:
        result = await self.session.execute(
            text(
                "UPDATE notices SET read_at = now() WHERE user_id = :u AND read_at IS NULL "
                "AND (CAST(:id AS bigint) IS NULL OR id = :id)"
            ),
            {"u": user_id, "id": notice_id},
        )
        return int(getattr(result, "rowcount", 0) or 0)
