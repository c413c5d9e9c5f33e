"""The engine behind the basket's read queries: autocommit (no BEGIN/ROLLBACK around a query)
and no pre-ping. The search is the hot path — a public page, many municipalities — and each of
those avoided round trips cost as much as the query itself (bench/basket_search.py). A connection
broken by a database restart fails one read; the pool then drops it and the next read reconnects.
"""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db import create_engine


def create_read_engine(url: str, *, pool_size: int) -> AsyncEngine:
    return create_engine(url, pool_size=pool_size, pre_ping=False, autocommit=True)


async def dispose_on_shutdown(engine: AsyncEngine) -> None:
    """A background job of the runtime: waits until the service stops, then closes the pool."""
    try:
        await asyncio.Event().wait()
    finally:
        await engine.dispose()
