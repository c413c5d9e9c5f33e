"""Webhook endpoints and their deliveries in the database (the `EndpointRepository` port)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from notifications.adapters.orm import deliveries, endpoints


class SqlEndpointRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, values: dict[str, Any]) -> None:
        await self.session.execute(insert(endpoints).values(**values))

    async def get(self, endpoint_id: uuid.UUID) -> dict[str, Any] | None:
        row = (
            await self.session.execute(select(endpoints).where(endpoints.c.id == endpoint_id))
        ).first()
        return dict(row._mapping) if row else None

    async def update(self, endpoint_id: uuid.UUID, values: dict[str, Any]) -> None:
        await self.session.execute(
            update(endpoints)
            .where(endpoints.c.id == endpoint_id)
            .values(**values, updated_at=func.now())
        )

    async def replay(self, delivery_ids: list[int] | None, endpoint_id: uuid.UUID | None) -> int:
        """Dead letters back to pending, tried at once, with a fresh count of attempts."""
        result = await self.session.execute(
            text(
                "UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = now(), "
                "last_error = NULL WHERE status = 'dead' "
                "AND (CAST(:ids AS bigint[]) IS NULL OR id = ANY(:ids)) "
                "AND (CAST(:endpoint AS uuid) IS NULL OR endpoint_id = :endpoint)"
            ),
            {"ids": delivery_ids, "endpoint": endpoint_id},
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def delete(self, endpoint_id: uuid.UUID) -> None:
        await self.session.execute(delete(endpoints).where(endpoints.c.id == endpoint_id))

    async def endpoint_of_delivery(self, delivery_id: int) -> uuid.UUID | None:
        endpoint_id: uuid.UUID | None = (
            await self.session.execute(
                select(deliveries.c.endpoint_id).where(deliveries.c.id == delivery_id)
            )
        ).scalar()
        return endpoint_id
