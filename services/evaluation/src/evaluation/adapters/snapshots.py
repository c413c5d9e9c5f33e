"""Snapshots of the read models, so that a rebuild needs only the events after the newest one
(the streams keep messages for an age limit, ADR 0049).

A snapshot holds every projection table's rows (as JSON, in parts) and, for each stream, the
last sequence whose events are all in those rows. That position is the ack floor of the live
consumer of the stream, read while no live batch can commit: the live consumers acknowledge a
message only after its batch committed, so every message up to the ack floor is in the rows.
Messages a little after it may be in the rows too (committed, not yet acknowledged); a rebuild
replays them again, which changes nothing (the projections are idempotent, ADR 0040).

Consistency without stopping the live consumers for the copy: the projection lock is taken
exclusively (live batches take it shared before their first write) only while the positions are
read and a REPEATABLE READ transaction takes its snapshot of the database; the rows are then
copied from that transaction's snapshot while the live consumers go on.

The facts hold no personal data (identifiers, TERYT codes, sectors, states, times, reason and
outcome codes, the names of institutions and partnerships), so neither do the snapshots.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from evaluation.adapters.orm import PROJECTION_TABLES
from evaluation.adapters.projection import PROJECTION_LOCK
from shared import clock
from shared.errors import Conflict
from shared.messaging import STREAMS

log = logging.getLogger(__name__)

SOURCES = ("partners", "basket", "cases")
# Held by a rebuild and by a snapshot being taken: one of them at a time.
MAINTENANCE_LOCK = PROJECTION_LOCK + 1
# Rows of one table per part: a part stays far below jsonb's 255 MB limit.
PART_ROWS = 20_000


def durable_name(source: str) -> str:
    """The live consumer of a source stream (evaluation.bootstrap registers them)."""
    return f"evaluation-{source}"


@dataclass(frozen=True)
class Snapshot:
    id: int
    taken_at: datetime
    positions: dict[str, int]  # stream name -> last sequence whose events are all in the rows
    row_count: int


def _snapshot(row: Any) -> Snapshot:
    positions = row.positions if isinstance(row.positions, dict) else json.loads(row.positions)
    return Snapshot(
        id=int(row.id),
        taken_at=row.taken_at,
        positions={str(k): int(v) for k, v in positions.items()},
        row_count=int(row.row_count),
    )


async def list_snapshots(conn: AsyncConnection) -> list[Snapshot]:
    """The snapshots kept, newest first."""
    rows = await conn.execute(
        text("SELECT id, taken_at, positions, row_count FROM ev_snapshots ORDER BY id DESC")
    )
    return [_snapshot(row) for row in rows]


async def newest_snapshot(conn: AsyncConnection) -> Snapshot | None:
    snapshots = await list_snapshots(conn)
    return snapshots[0] if snapshots else None


async def applied_positions(js: JetStreamContext) -> dict[str, int]:
    """For each source stream, the last sequence up to which its live consumer acknowledged
    everything (0 when the consumer does not exist yet: a rebuild then replays everything)."""
    positions: dict[str, int] = {}
    for source in SOURCES:
        stream = STREAMS[source].name
        try:
            info = await js.consumer_info(stream, durable_name(source))
        except NotFoundError:
            positions[stream] = 0
            continue
        floor = info.ack_floor.stream_seq if info.ack_floor else None
        positions[stream] = int(floor or 0)
    return positions


async def _try_lock(conn: AsyncConnection, key: int) -> bool:
    return bool((await conn.execute(text(f"SELECT pg_try_advisory_lock({key})"))).scalar())


async def _unlock(conn: AsyncConnection, key: int) -> None:
    await conn.execute(text(f"SELECT pg_advisory_unlock({key})"))
    await conn.commit()


async def take_snapshot(engine: AsyncEngine, js: JetStreamContext, *, keep: int = 3) -> Snapshot:
    """Snapshot the read models with their stream positions, then keep only the newest `keep`
    snapshots. Refused (409) while a rebuild or another snapshot runs."""
    snapshot = await _take_unless_recent(engine, js, keep=keep, recent=None)
    assert snapshot is not None  # nothing is recent enough to skip with `recent=None`
    return snapshot


async def snapshot_if_due(
    engine: AsyncEngine, js: JetStreamContext, *, interval: timedelta, keep: int = 3
) -> Snapshot | None:
    """A snapshot unless the newest is younger than `interval` (then None): several instances
    of the service share the periodic job."""
    return await _take_unless_recent(engine, js, keep=keep, recent=interval)


async def _take_unless_recent(
    engine: AsyncEngine, js: JetStreamContext, *, keep: int, recent: timedelta | None
) -> Snapshot | None:
    async with engine.connect() as guard:
        if not await _try_lock(guard, MAINTENANCE_LOCK):
            raise Conflict("Trwa odbudowa modeli odczytu albo wykonywanie migawki.")
        try:
            if recent is not None:
                newest = await newest_snapshot(guard)
                await guard.commit()
                if newest is not None and clock.now() - newest.taken_at < recent:
                    return None
            return await take_snapshot_locked(engine, guard, js, keep=keep)
        finally:
            await _unlock(guard, MAINTENANCE_LOCK)


async def take_snapshot_locked(
    engine: AsyncEngine,
    guard: AsyncConnection,
    js: JetStreamContext,
    *,
    keep: int,
    at_least: dict[str, int] | None = None,
) -> Snapshot:
    """The snapshot itself, by a caller that holds the maintenance lock on `guard`. A rebuild
    passes `at_least`: the positions its swapped-in rows hold every event up to."""
    async with engine.connect() as plain:
        dump = await plain.execution_options(isolation_level="REPEATABLE READ")
        # No live batch writes while this is held: the positions and the database's snapshot
        # taken under it agree (every event up to a position is in the rows seen).
        await guard.execute(text(f"SELECT pg_advisory_lock({PROJECTION_LOCK})"))
        try:
            positions = await applied_positions(js)
            for stream, seq in (at_least or {}).items():
                positions[stream] = max(positions.get(stream, 0), seq)
            await dump.execute(text("SELECT 1"))  # the transaction's snapshot is taken here
        finally:
            await _unlock(guard, PROJECTION_LOCK)
        taken_at = clock.now()
        snapshot_id = (
            await dump.execute(
                text(
                    "INSERT INTO ev_snapshots (taken_at, positions, row_count)"
                    " VALUES (:t, CAST(:p AS jsonb), 0) RETURNING id"
                ),
                {"t": taken_at, "p": json.dumps(positions)},
            )
        ).scalar_one()
        await _dump_parts(dump, snapshot_id)
        row_count = (
            await dump.execute(
                text(
                    "UPDATE ev_snapshots SET row_count = (SELECT coalesce(sum("
                    "jsonb_array_length(rows)), 0) FROM ev_snapshot_parts WHERE snapshot_id = :id)"
                    " WHERE id = :id RETURNING row_count"
                ),
                {"id": snapshot_id},
            )
        ).scalar_one()
        await dump.execute(
            text(
                "DELETE FROM ev_snapshots WHERE id NOT IN "
                "(SELECT id FROM ev_snapshots ORDER BY id DESC LIMIT :keep)"
            ),
            {"keep": max(keep, 1)},
        )
        await dump.commit()
    snapshot = Snapshot(snapshot_id, taken_at, positions, int(row_count))
    log.info(
        "read models snapshotted",
        extra={"snapshot": snapshot.id, "rows": snapshot.row_count, "positions": positions},
    )
    return snapshot


async def _dump_parts(dump: AsyncConnection, snapshot_id: int) -> None:
    """Every projection table's rows into the snapshot's parts, PART_ROWS rows a part."""
    for table in PROJECTION_TABLES:
        await dump.execute(
            text(
                f"""
                INSERT INTO ev_snapshot_parts (snapshot_id, table_name, part, columns, rows)
                SELECT :id, :name, s.n / :size,
                       ARRAY(SELECT attname::text FROM pg_attribute
                             WHERE attrelid = 'public.{table.name}'::regclass
                               AND attnum > 0 AND NOT attisdropped ORDER BY attnum),
                       jsonb_agg(s.j ORDER BY s.n)
                FROM (SELECT row_number() OVER () - 1 AS n, to_jsonb(t) AS j
                      FROM public.{table.name} t) s
                GROUP BY s.n / :size
                """
            ),
            {"id": snapshot_id, "name": table.name, "size": PART_ROWS},
        )


async def restore(conn: AsyncConnection, snapshot: Snapshot, schema: str) -> None:
    """Copy a snapshot's rows into the (empty) projection tables of `schema`. Columns the tables
    gained after the snapshot get their defaults; columns they lost are left out."""
    for table in PROJECTION_TABLES:
        current = (
            await conn.execute(
                text(
                    "SELECT attname::text FROM pg_attribute"
                    f" WHERE attrelid = '{schema}.{table.name}'::regclass"
                    " AND attnum > 0 AND NOT attisdropped ORDER BY attnum"
                )
            )
        ).scalars()
        available = set(current)
        stored = (
            await conn.execute(
                text(
                    "SELECT DISTINCT columns FROM ev_snapshot_parts"
                    " WHERE snapshot_id = :id AND table_name = :name"
                ),
                {"id": snapshot.id, "name": table.name},
            )
        ).scalars()
        for columns in stored:
            names = ", ".join(f'"{c}"' for c in columns if c in available)
            await conn.execute(
                text(
                    f"INSERT INTO {schema}.{table.name} ({names}) SELECT {names}"
                    " FROM ev_snapshot_parts p,"
                    f" jsonb_populate_recordset(NULL::{schema}.{table.name}, p.rows)"
                    " WHERE p.snapshot_id = :id AND p.table_name = :name AND p.columns = :columns"
                ),
                {"id": snapshot.id, "name": table.name, "columns": list(columns)},
            )


async def periodic_snapshots(
    engine: AsyncEngine,
    connection: Callable[[], NatsClient | None],
    ready: asyncio.Event,
    *,
    interval: timedelta,
    keep: int,
    check_every: float = 300.0,
) -> None:
    """The service's background job: a snapshot whenever the newest is `interval` old (at
    start too, when there is none), checked every `check_every` seconds once NATS is up."""
    await ready.wait()
    while True:
        nc = connection()
        if nc is not None:
            try:
                await snapshot_if_due(engine, nc.jetstream(), interval=interval, keep=keep)
            except Conflict:
                pass  # a rebuild or another instance's snapshot: checked again later
            except Exception:
                log.exception("snapshot of the read models failed; retried later")
        await asyncio.sleep(min(check_every, interval.total_seconds()))
