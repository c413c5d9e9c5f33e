"""After PostgreSQL restarts, the first statement on a pooled connection succeeds (ADR 0014): a
connection the event loop saw closed is replaced at checkout (no ping), and the first statement
after a checkout that meets one dead unnoticed runs again once on a fresh one (both engines)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db import create_engine, create_read_engine, session_factory
from shared.testing.servers import Postgres


@pytest.fixture(scope="module")
def own_postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Postgres]:
    """A PostgreSQL of these tests' own, which they restart."""
    server = Postgres(Path(tmp_path_factory.mktemp("pg")) / "data", fast=True).start()
    yield server
    server.stop()


async def _restart(server: Postgres) -> None:
    """Restart while the event loop runs, as in a service: it sees the old sockets close."""
    await asyncio.to_thread(server.stop)
    await asyncio.to_thread(server.start)


def _restart_unnoticed(server: Postgres) -> None:
    """Restart while the loop is blocked: the pooled sockets look open until used."""
    server.stop()
    server.start()


async def _pid(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def test_the_read_engine_replaces_a_connection_closed_while_pooled(
    own_postgres: Postgres,
) -> None:
    engine = create_read_engine(own_postgres.url(), pool_size=2)
    try:
        before = await _pid(engine)
        await _restart(own_postgres)
        assert await _pid(engine) != before
    finally:
        await engine.dispose()


RETRIED = "pooled connection was dead; running the statement on a new one"


async def test_the_read_engine_retries_the_first_statement_on_a_dead_connection(
    own_postgres: Postgres, caplog: pytest.LogCaptureFixture
) -> None:
    engine = create_read_engine(own_postgres.url(), pool_size=1)
    sessions = session_factory(engine)
    try:
        async with sessions() as session:
            before = (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        _restart_unnoticed(own_postgres)
        async with sessions() as session:  # as a read unit of work uses it
            after = (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
            assert (await session.execute(text("SELECT 1"))).scalar_one() == 1
            await session.commit()
        assert after != before
        assert RETRIED in caplog.messages
    finally:
        await engine.dispose()


async def test_a_unit_of_work_whose_first_statement_meets_a_dead_connection_commits_all(
    own_postgres: Postgres, caplog: pytest.LogCaptureFixture
) -> None:
    engine = create_engine(own_postgres.url(), pool_size=1)  # as build_runtime's
    sessions = session_factory(engine)
    try:
        async with sessions() as session:
            await session.execute(text("CREATE TABLE IF NOT EXISTS u (n int)"))
            await session.execute(text("TRUNCATE u"))
            await session.commit()
        _restart_unnoticed(own_postgres)  # well under the idle ping's second
        async with sessions() as session:
            await session.execute(text("INSERT INTO u VALUES (1)"))
            await session.execute(text("INSERT INTO u VALUES (2)"))
            await session.commit()
        assert RETRIED in caplog.messages
        async with sessions() as session:
            rows = (await session.execute(text("SELECT n FROM u ORDER BY n"))).scalars().all()
        assert rows == [1, 2]
    finally:
        await engine.dispose()


async def test_the_transactional_engine_starts_no_transaction_on_a_closed_connection(
    own_postgres: Postgres,
) -> None:
    engine = create_engine(own_postgres.url(), pool_size=1, pre_ping=False)  # no idle ping
    sessions = session_factory(engine)
    try:
        async with sessions() as session:
            await session.execute(text("CREATE TABLE IF NOT EXISTS t (n int)"))
            await session.commit()
        await _restart(own_postgres)
        async with sessions() as session:
            await session.execute(text("INSERT INTO t VALUES (1)"))
            await session.commit()
        async with sessions() as session:
            assert (await session.execute(text("SELECT count(*) FROM t"))).scalar_one() >= 1
    finally:
        await engine.dispose()


async def test_a_raw_connection_of_the_read_engine_closed_while_pooled_is_replaced(
    own_postgres: Postgres,
) -> None:
    engine = create_read_engine(own_postgres.url(), pool_size=1)
    try:
        raw = await engine.raw_connection()
        before = await raw.driver_connection.fetchval("SELECT pg_backend_pid()")
        raw.close()
        await _restart(own_postgres)
        raw = await engine.raw_connection()
        assert await raw.driver_connection.fetchval("SELECT pg_backend_pid()") != before
        raw.close()
    finally:
        await engine.dispose()
