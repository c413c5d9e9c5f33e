"""The shared unit of work (ADR 0080): it commits its own session, or — `within(session)` — leaves
the commit to the transaction's owner; one without an outbox refuses events it cannot publish."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import Column, MetaData, Table, Text, func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.contracts import CloudEvent
from shared.db import create_engine
from shared.db.engine import session_factory
from shared.db.uow import OutboxUnitOfWork, no_events

metadata = MetaData()
probe = Table(f"uow_probe_{uuid.uuid4().hex[:8]}", metadata, Column("v", Text))


class ProbeUnitOfWork(OutboxUnitOfWork):
    async def note(self, value: str) -> None:
        await self.session.execute(insert(probe).values(v=value))


@pytest.fixture
async def engine(postgres_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(postgres_url, pool_size=2)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield engine
    async with engine.begin() as conn:
        await conn.run_sync(metadata.drop_all)
    await engine.dispose()


async def _count(engine: AsyncEngine, value: str) -> int:
    async with engine.connect() as conn:
        query = select(func.count()).select_from(probe).where(probe.c.v == value)
        return int((await conn.execute(query)).scalar_one())


async def test_it_commits_its_own_session_and_rolls_back_what_it_did_not_commit(engine) -> None:
    sessions = session_factory(engine)
    async with ProbeUnitOfWork(sessions, no_events) as uow:
        await uow.note("committed")
        await uow.commit()
    async with ProbeUnitOfWork(sessions, no_events) as uow:
        await uow.note("abandoned")
    assert await _count(engine, "committed") == 1
    assert await _count(engine, "abandoned") == 0


async def test_within_a_session_the_owner_commits(engine) -> None:
    sessions = session_factory(engine)
    async with sessions() as session:
        async with ProbeUnitOfWork.within(session, no_events) as uow:
            await uow.note("inside")
            await uow.commit()
        assert session.in_transaction()  # neither committed nor closed by the unit of work
        await session.rollback()
    assert await _count(engine, "inside") == 0
    async with sessions() as session:
        async with ProbeUnitOfWork.within(session, no_events) as uow:
            await uow.note("owner")
            await uow.commit()
        await session.commit()
    assert await _count(engine, "owner") == 1


class _Aggregate:
    def __init__(self) -> None:
        self.events: list[object] = [object()]


async def test_events_without_an_outbox_are_refused(engine) -> None:
    async def translate(uow: Any, aggregate: Any, event: Any) -> list[CloudEvent]:
        return [object()]  # type: ignore[list-item]

    async with ProbeUnitOfWork(session_factory(engine), translate) as uow:
        await uow.note("never")
        uow.seen.add(_Aggregate())
        with pytest.raises(RuntimeError, match="no outbox"):
            await uow.commit()
    assert await _count(engine, "never") == 0
