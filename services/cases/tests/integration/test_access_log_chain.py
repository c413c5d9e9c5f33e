"""The access log cannot be changed or deleted by the service, and its hash chains show when the
database's owner did it anyway: `python -m cases.verify_access_log` finds the first broken link
(ADR 0029)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from shared.db.engine import asyncpg_url


def verify_command(c, *args: str) -> subprocess.CompletedProcess[str]:
    url = c.runtime.engine.url.render_as_string(hide_password=False)
    return subprocess.run(
        [sys.executable, "-m", "cases.verify_access_log", *args],
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=60,
    )


@contextlib.asynccontextmanager
async def as_owner(c, databases) -> AsyncIterator[AsyncEngine]:
    """An engine on the service's database as its owner role (the service runs as the app role,
    ADR 0019)."""
    app_url = c.runtime.engine.url.render_as_string(hide_password=False)
    engine = create_async_engine(asyncpg_url(databases.owner_url(app_url)))
    try:
        yield engine
    finally:
        await engine.dispose()


async def owner_sql(c, databases, *statements: str) -> None:
    """As the database's owner, around the trigger that keeps the log append-only."""
    async with as_owner(c, databases) as engine, engine.begin() as conn:
        await conn.execute(text("ALTER TABLE access_log DISABLE TRIGGER access_log_append_only"))
        for statement in statements:
            await conn.execute(text(statement))
        await conn.execute(text("ALTER TABLE access_log ENABLE TRIGGER access_log_append_only"))


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE access_log SET purpose = 'x'",
        "DELETE FROM access_log",
        "TRUNCATE access_log",
    ],
)
async def test_the_service_cannot_change_or_delete_entries(cases, databases, statement):
    """Twice over: the service's role has no UPDATE, DELETE or TRUNCATE on the log (ADR 0019),
    and the trigger stops even the owner (ADR 0029)."""
    c = cases
    case_id, _people = await c.open_case()
    before = await c.access_count(case_id)
    with pytest.raises(DBAPIError, match="permission denied for table access_log"):
        async with c.runtime.engine.begin() as conn:
            await conn.execute(text(statement))
    with pytest.raises(DBAPIError, match="append-only"):
        async with as_owner(c, databases) as engine, engine.begin() as conn:
            await conn.execute(text(statement))
    assert await c.access_count(case_id) == before


async def test_an_intact_log_verifies_and_the_command_counts_the_entries(cases):
    c = cases
    case_id, _people, _consent = await c.team_case()
    await c.get("partner-a", f"/v1/cases/{case_id}")
    total = await total_entries(c)
    result = verify_command(c)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"checked {total} entries" in result.stdout
    assert "chains intact" in result.stdout


async def total_entries(c) -> int:
    async with c.runtime.engine.connect() as conn:
        return int((await conn.execute(text("SELECT count(*) FROM access_log"))).scalar_one())


async def test_an_entry_changed_by_the_owner_is_found(cases, databases):
    c = cases
    case_id, _people, _consent = await c.team_case()
    await owner_sql(
        c,
        databases,
        f"UPDATE access_log SET purpose = 'kontrola' WHERE chain_pos = 3 AND case_id = '{case_id}'",
    )
    result = verify_command(c)
    assert result.returncode == 1
    assert f"BROKEN at case {case_id}, entry 3" in result.stdout
    assert "hash does not match" in result.stdout


async def test_an_entry_removed_by_the_owner_is_found(cases, databases):
    c = cases
    case_id, _people, _consent = await c.team_case()
    await owner_sql(
        c, databases, f"DELETE FROM access_log WHERE chain_pos = 2 AND case_id = '{case_id}'"
    )
    result = verify_command(c, "--case", case_id)
    assert result.returncode == 1
    assert f"BROKEN at case {case_id}, entry 3" in result.stdout
    assert "missing" in result.stdout


async def test_an_entry_rewritten_with_a_fresh_hash_breaks_the_next_link(cases, databases):
    """Recomputing the changed entry's own hash does not help: the next entry names the old one."""
    c = cases
    case_id, _people, _consent = await c.team_case()
    await owner_sql(
        c,
        databases,
        "UPDATE access_log SET actor_username = 'ktoś', hash = access_log_hash(access_log) "
        f"WHERE chain_pos = 2 AND case_id = '{case_id}'",
    )
    # access_log_hash reads the row as it was before the SET: recompute after the change.
    await owner_sql(
        c,
        databases,
        "UPDATE access_log SET hash = access_log_hash(access_log) "
        f"WHERE chain_pos = 2 AND case_id = '{case_id}'",
    )
    result = verify_command(c)
    assert result.returncode == 1
    assert f"BROKEN at case {case_id}, entry 3" in result.stdout
    assert "prev_hash" in result.stdout


async def test_concurrent_writers_make_one_valid_chain(cases):
    c = cases
    case_id, _people, _consent = await c.team_case()
    before = await c.access_count(case_id)
    users = ["manager-a", "partner-a"] * 12
    parts = ["", "/plan", "/family", "/team"]
    answers = await asyncio.gather(
        *(c.get(u, f"/v1/cases/{case_id}{parts[i % 4]}") for i, u in enumerate(users))
    )
    assert [a.status_code for a in answers] == [200] * len(users)
    async with c.runtime.engine.connect() as conn:
        positions = (
            await conn.execute(
                text("SELECT chain_pos FROM access_log WHERE case_id = :c ORDER BY chain_pos"),
                {"c": case_id},
            )
        ).scalars()
        assert list(positions) == list(range(1, before + len(users) + 1))
    result = verify_command(c, "--case", case_id)
    assert result.returncode == 0, result.stdout
    assert f"checked {before + len(users)} entries in 1 chains" in result.stdout
