"""The transactional engine pings a pooled connection only after it was idle (ADR 0007): a
connection cut while idle is replaced before use; one in use a moment ago is handed out without
the ping's three round trips."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db import create_engine
from shared.db.engine import ping_when_idle


async def _pid(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def test_an_idle_connection_cut_by_the_server_is_replaced_before_use(
    postgres_url: str,
) -> None:
    engine = create_engine(postgres_url, pool_size=1, pre_ping=False)
    ping_when_idle(engine, idle_seconds=0.2)
    try:
        first = await _pid(engine)
        admin = await asyncpg.connect(postgres_url)
        await admin.execute("SELECT pg_terminate_backend($1)", first)
        await admin.close()
        await asyncio.sleep(0.3)
        assert await _pid(engine) != first  # found broken by the ping: a new one, no error
    finally:
        await engine.dispose()


async def test_a_connection_in_use_a_moment_ago_is_not_pinged(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pings: list[int] = []
    ping = AsyncAdapt_asyncpg_connection.ping

    def counting(self: AsyncAdapt_asyncpg_connection) -> None:
        pings.append(1)
        ping(self)

    monkeypatch.setattr(AsyncAdapt_asyncpg_connection, "ping", counting)
    engine = create_engine(postgres_url, pool_size=1)  # pre_ping=True: ping when idle
    try:
        first = await _pid(engine)
        for _ in range(5):
            assert await _pid(engine) == first
        assert pings == []
        await asyncio.sleep(1.1)
        assert await _pid(engine) == first
        assert pings == [1]
    finally:
        await engine.dispose()
