"""The lean unit of work of the case view: asyncpg statements on one pooled autocommit connection,
no ORM session (ADR 0028).

It holds what a read of case data needs — the consent policy's inputs and the access log — and
lets the view fetch its parts and write the buffered access-log entry in one statement.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import fields
from typing import Any, Self

from asyncpg import Connection, Record
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.util import greenlet_spawn

from cases.adapters.repository import SNAPSHOT, snapshot_from_row
from cases.adapters.sealing import TextVault
from cases.domain import model
from cases.service.ports import AccessEntry
from shared.errors.outages import is_outage

_ACCESS_FIELDS = tuple(f.name for f in fields(AccessEntry))


def _insert_entry(first: int) -> str:
    """The INSERT of one access-log entry whose fields are parameters $first, $first+1, …"""
    values = ", ".join(f"${first + i}" for i in range(len(_ACCESS_FIELDS)))
    return f"INSERT INTO access_log ({', '.join(_ACCESS_FIELDS)}) VALUES ({values})"


@functools.cache
def logged(select: str, params: int) -> str:
    """`select` (which has `params` parameters) with the INSERT of one access-log entry, whose
    fields follow as the next parameters, in one statement: a data-modifying CTE runs to
    completion whether or not the query reads it, and in autocommit both take effect together or
    not at all."""
    return f"WITH logged AS ({_insert_entry(params + 1)}) {select}"


def _values(entry: AccessEntry) -> tuple[object, ...]:
    return tuple(getattr(entry, name) for name in _ACCESS_FIELDS)


class _Cases:
    def __init__(self, uow: CaseReadUnitOfWork) -> None:
        self.uow = uow

    async def snapshot(
        self, case_id: uuid.UUID
    ) -> tuple[model.Case, list[model.Consent], list[model.TeamMember]] | None:
        """The policy's inputs in one round trip, as detached objects (as CaseRepository's)."""
        row = await self.uow.read_first("fetchrow", SNAPSHOT, case_id)
        return None if row is None else snapshot_from_row(row, self.uow.vault)


class _Referrals:
    def __init__(self, uow: CaseReadUnitOfWork) -> None:
        self.uow = uow

    async def receiving_institutions(self, case_id: uuid.UUID) -> set[uuid.UUID]:
        rows = await self.uow.read_first(
            "fetch",
            "SELECT DISTINCT institution_id FROM referrals WHERE case_id = $1 AND state <> $2",
            case_id,
            model.ReferralState.DRAFT.value,
        )
        return {row[0] for row in rows}


class _Directory:
    def __init__(self, uow: CaseReadUnitOfWork) -> None:
        self.uow = uow

    async def sectors(self, ids: Sequence[uuid.UUID]) -> Mapping[uuid.UUID, str | None]:
        if not ids:
            return {}
        rows = await self.uow.read_first(
            "fetch", "SELECT id, sector FROM institutions WHERE id = ANY($1::uuid[])", list(ids)
        )
        return {row[0]: row[1] for row in rows}


class _AccessLog:
    def __init__(self) -> None:
        self.pending: list[AccessEntry] = []

    async def record(self, entry: AccessEntry) -> None:
        self.pending.append(entry)


class CaseReadUnitOfWork:
    """A read of case data on the autocommit read engine (ADR 0007) without a Session.

    The statements go straight to the pooled asyncpg connection, prepared once per connection by
    asyncpg's statement cache; json values arrive decoded by the codec that SQLAlchemy's asyncpg
    dialect installs on each connection. The access-log entry recorded for the read is written
    with the view's own statement (`fetch_logged`), else by `commit()` in one INSERT — either
    way with or after the data, before it is returned, so a read that failed leaves no entry."""

    def __init__(self, engine: AsyncEngine, vault: TextVault) -> None:
        self._engine = engine
        self.vault = vault  # opens the sealed free text the raw statements return (ADR 0017)

    async def __aenter__(self) -> Self:
        # The pool's connection itself (no engine Connection around it: it would run nothing).
        self._pooled: PoolProxiedConnection = await self._engine.raw_connection()
        self.connection: Connection = self._pooled.driver_connection
        self._untried = True  # no statement yet on this checkout (see read_first)
        self.cases = _Cases(self)
        self.referrals = _Referrals(self)
        self.directory = _Directory(self)
        self.access_log = _AccessLog()
        return self

    async def read_first(self, method: str, sql: str, *args: Any) -> Any:
        """`self.connection.<method>(sql, *args)` for a statement that only reads. If it is the
        first on this checkout and meets a connection that died in the pool unnoticed (the server
        restarted), it runs once more on a fresh connection (ADR 0014): nothing was done before
        it and it changes nothing. The checkout itself already replaces connections known dead."""
        if self._untried:
            self._untried = False
            try:
                return await getattr(self.connection, method)(sql, *args)
            except Exception as exc:
                if not (self.connection.is_closed() and is_outage(exc)):
                    raise
            await greenlet_spawn(self._pooled.invalidate)
            self._pooled = await self._engine.raw_connection()
            self.connection = self._pooled.driver_connection
        return await getattr(self.connection, method)(sql, *args)

    async def __aexit__(self, *args: object) -> None:
        self.access_log.pending = []  # never written after a failure
        if self.connection.is_closed():
            # Lost (say, the server restarted): SQLAlchemy never saw the statements fail, so
            # the pool is told here to drop the connection rather than hand it out again.
            await greenlet_spawn(self._pooled.invalidate)
        else:
            await greenlet_spawn(self._pooled.close)

    async def fetch_logged(self, select: str, *args: Any) -> Record:
        """The one row of `select` (a SELECT with $1 … $len(args)), written in the same statement
        as the access-log entry recorded for this read, if there is exactly one."""
        self._untried = False  # it may write: never run twice
        if len(self.access_log.pending) != 1:
            row = await self.connection.fetchrow(select, *args)
        else:
            [entry] = self.access_log.pending
            row = await self.connection.fetchrow(logged(select, len(args)), *args, *_values(entry))
            self.access_log.pending = []
        assert row is not None
        return row

    async def commit(self) -> None:
        self._untried = False
        entries, self.access_log.pending = self.access_log.pending, []
        if entries:
            await self.connection.executemany(_insert_entry(1), [_values(e) for e in entries])
