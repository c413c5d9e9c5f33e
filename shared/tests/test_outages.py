"""A database that is down is answered 503 with Retry-After, in Polish, as problem details; any
other database error stays a 500 (ADR 0014)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from shared.db import create_engine, create_read_engine
from shared.errors.outages import is_outage
from shared.errors.problems import install_problem_handlers
from shared.testing.servers import Postgres


@pytest.fixture
def stopped_postgres(tmp_path: Path) -> Iterator[Postgres]:
    server = Postgres(tmp_path / "data", fast=True).start()
    yield server
    server.stop()


def _app(url: str) -> FastAPI:
    engine = create_engine(url, pool_size=1)
    read_engine = create_read_engine(url, pool_size=1)
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/read")
    async def read() -> int:
        async with read_engine.connect() as conn:
            return int((await conn.execute(text("SELECT 1"))).scalar_one())

    @app.post("/write")
    async def write() -> None:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE IF NOT EXISTS w (n int PRIMARY KEY)"))
            await conn.execute(text("INSERT INTO w VALUES (1)"))

    return app


async def _client(app: FastAPI) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://t")


async def test_reads_and_writes_answer_503_while_the_database_is_down_and_work_after(
    stopped_postgres: Postgres,
) -> None:
    app = _app(stopped_postgres.url())
    async with await _client(app) as client:
        assert (await client.get("/read")).json() == 1  # pooled connections exist
        assert (await client.post("/write")).status_code == 200
        stopped_postgres.stop()
        for response in (await client.get("/read"), await client.post("/write")):
            assert response.status_code == 503, response.text
            assert response.headers["content-type"] == "application/problem+json"
            assert 1 <= int(response.headers["retry-after"]) <= 10
            body = response.json()
            assert body["title"] == "Usługa chwilowo niedostępna"
            assert body["detail"] == (
                "Baza danych jest chwilowo niedostępna. Spróbuj ponownie za chwilę."
            )
            assert body["type"].endswith("/unavailable")
        stopped_postgres.start()
        assert (await client.get("/read")).json() == 1


async def test_an_integrity_error_is_not_an_outage(stopped_postgres: Postgres) -> None:
    app = _app(stopped_postgres.url())
    async with await _client(app) as client:
        assert (await client.post("/write")).status_code == 200
        response = await client.post("/write")  # duplicate key
    assert response.status_code == 500
    assert response.json()["detail"] == "Wystąpił nieoczekiwany błąd."


def test_what_counts_as_an_outage() -> None:
    import asyncpg
    from sqlalchemy.exc import IntegrityError

    assert is_outage(ConnectionRefusedError(111, "refused"))
    assert is_outage(asyncpg.CannotConnectNowError("the database system is starting up"))
    assert is_outage(asyncpg.InterfaceError("connection is closed"))
    assert not is_outage(asyncpg.InterfaceError("cannot perform operation: another operation"))
    assert not is_outage(IntegrityError("INSERT", {}, Exception("duplicate key")))
    assert not is_outage(FileNotFoundError(2, "no such file"))
    wrapped = RuntimeError("wrapped")
    wrapped.__cause__ = ConnectionResetError(104, "reset")
    assert is_outage(wrapped)
