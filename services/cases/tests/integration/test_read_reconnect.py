"""The case view's lean read path (ADR 0028) after PostgreSQL restarts: its first statement on a
pooled connection that died unnoticed runs once more on a fresh one (ADR 0014)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from cases.adapters.crypto import PeselVault, decode_key, new_key
from cases.adapters.reads import CaseReadUnitOfWork
from shared.db import create_read_engine
from shared.db.migrations import upgrade
from shared.testing.plugin import service_dir
from shared.testing.servers import Postgres


@pytest.fixture
def own_postgres(tmp_path: Path) -> Iterator[Postgres]:
    server = Postgres(tmp_path / "data", fast=True).start()
    upgrade(service_dir("cases"), server.url())
    yield server
    server.stop()


async def test_the_first_read_after_a_restart_succeeds(own_postgres: Postgres) -> None:
    engine = create_read_engine(own_postgres.url(), pool_size=1)
    vault = PeselVault(decode_key(new_key(), "k"), decode_key(new_key(), "h"))
    try:
        async with CaseReadUnitOfWork(engine, vault) as uow:
            assert await uow.cases.snapshot(uuid.uuid4()) is None
            before = uow.connection
        own_postgres.stop()  # the loop is blocked: the pooled socket looks open until used
        own_postgres.start()
        async with CaseReadUnitOfWork(engine, vault) as uow:
            assert await uow.cases.snapshot(uuid.uuid4()) is None
            assert await uow.referrals.receiving_institutions(uuid.uuid4()) == set()
            assert uow.connection is not before
            await uow.commit()
    finally:
        await engine.dispose()
