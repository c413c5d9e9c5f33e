"""Rebuilding the read models from the newest snapshot and the streams, then swapping them in.

0. The starting point: the newest snapshot and, for each stream, the sequence after the one it
   holds (ADR 0049) — or, without a snapshot (or when asked), the whole history. If a stream no
   longer holds the first message the rebuild needs (its age limit removed it), the rebuild is
   refused before anything changes: the figures would silently be wrong.
1. Empty copies of the projection tables are made in the schema `ev_rebuild`, filled with the
   snapshot's rows when there is one.
2. Each stream (partners, basket, cases) is read from the starting point up to its last sequence
   at that moment through an ephemeral consumer, and projected into the copies in large
   transactions — the bulk path: one executemany per statement per batch.
3. The swap: one transaction takes the projection lock exclusively (live consumers wait), reads
   what was added to the streams meanwhile, projects it too, then replaces the live tables' rows
   with the rebuilt ones, and recomputes the monthly summaries from them. Events the live
   consumers applied before the swap are all within what the rebuild read (they came from the
   same streams), and every projection is idempotent and order-tolerant, so nothing is lost or
   counted twice.
4. A snapshot of the result is taken, so that the next rebuild starts from these rows (after a
   projection was corrected, not from rows the old projection made).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError
from pydantic import BaseModel, ConfigDict, ValidationError, create_model
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from evaluation.adapters import snapshots
from evaluation.adapters.orm import PROJECTION_TABLES
from evaluation.adapters.projection import PROJECTION_LOCK, EventMeta, project
from evaluation.adapters.snapshots import (
    MAINTENANCE_LOCK,
    Snapshot,
    newest_snapshot,
    restore,
    take_snapshot_locked,
)
from shared.contracts import CloudEvent, EventData, UnknownEventType, event_type_registry
from shared.errors import Conflict
from shared.messaging import STREAMS

SCHEMA = "ev_rebuild"
REBUILD_LOCK = MAINTENANCE_LOCK
SOURCES = snapshots.SOURCES
# Kept by the database from the projection tables (migration 2026-11-23-1630_month_summaries).
SUMMARY_TABLES = (
    "ev_referral_months",
    "ev_referral_sector_months",
    "ev_referral_service_months",
    "ev_referral_day_months",
    "ev_case_months",
)


@dataclass
class RebuildResult:
    events: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    # The snapshot the rebuild started from (None: the whole history), and the one taken after.
    snapshot: Snapshot | None = None
    snapshot_after: Snapshot | None = None
    # Per stream name, the first sequence replayed.
    replayed_from: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.events.values())


async def last_sequence(js: JetStreamContext, stream: str) -> int:
    try:
        info = await js.stream_info(stream)
    except NotFoundError:
        return 0
    return int(info.state.last_seq)


async def _bounds(js: JetStreamContext, stream: str) -> tuple[int, int]:
    """The stream's first and last sequence (0, 0 when it does not exist or never held one)."""
    try:
        info = await js.stream_info(stream)
    except NotFoundError:
        return 0, 0
    return int(info.state.first_seq or 0), int(info.state.last_seq or 0)


async def starting_points(js: JetStreamContext, snapshot: Snapshot | None) -> dict[str, int]:
    """Per stream name, the last sequence already held (the snapshot's, or 0): the replay
    starts after it. Refuses (409, nothing changed) when a stream no longer holds the message
    right after it, or ends before it (the stream was created anew)."""
    after: dict[str, int] = {}
    for source in SOURCES:
        stream = STREAMS[source].name
        held = snapshot.positions.get(stream, 0) if snapshot else 0
        first, last = await _bounds(js, stream)
        if last < held:
            raise Conflict(
                f"Strumień {stream} kończy się na sekwencji {last}, a migawka nr "
                f"{snapshot and snapshot.id} obejmuje zdarzenia do sekwencji {held}: strumień "
                "utworzono na nowo. "
                "Odbudowa odmówiona, nic nie zmieniono."
            )
        if first > held + 1:
            raise _lost(stream, held, first, snapshot)
        after[stream] = held
    return after


def _lost(stream: str, held: int, first: int, snapshot: Snapshot | None) -> Conflict:
    since = (
        f"migawka nr {snapshot.id} obejmuje zdarzenia tylko do sekwencji {held}"
        if snapshot
        else "nie ma migawki modeli odczytu"
    )
    return Conflict(
        f"Strumień {stream} zaczyna się od sekwencji {first}, a {since}: zdarzeń "
        f"{held + 1}–{first - 1} już w nim nie ma (limit wieku strumienia). Odbudowa "
        "dałaby błędne liczby, więc odmówiono; nic nie zmieniono."
    )


async def read_stream(
    js: JetStreamContext,
    stream: str,
    *,
    after: int,
    until: int,
    batch: int = 2000,
    idle: float = 5.0,
) -> AsyncIterator[list[Msg]]:
    """Messages of `stream` with sequence > `after`, in order, in batches, up to `until` (or the
    last one there is, when the rest was deleted: nothing more arrives for `idle` seconds).

    An ephemeral push consumer with a callback and `AckPolicy.ALL`: each batch is acknowledged
    by its last message once the caller asks for the next batch, and `max_ack_pending` (three
    batches) stops the server from sending more than that ahead — memory stays bounded however
    long the stream is, and nothing is dropped. Pulling with `fetch` cost 2.6 times the CPU per
    message (nats-py creates a task and a timer for every message it fetches); an ordered
    consumer without acknowledgements relied on flow control that let a million-event stream
    overrun the client's pending limits (messages dropped).
    """
    if until <= after:
        return
    ready: asyncio.Queue[list[Msg] | None] = asyncio.Queue()
    current: list[Msg] = []
    finished = False
    last_seen = after

    async def take(msg: Msg) -> None:
        nonlocal current, finished, last_seen
        seq = msg.metadata.sequence.stream
        if finished or seq <= last_seen:  # after the end, or a redelivery
            return
        last_seen = seq
        if seq <= until:
            current.append(msg)
        if seq >= until:
            finished = True
            if current:
                ready.put_nowait(current)
                current = []
            ready.put_nowait(None)
        elif len(current) >= batch:
            full, current = current, []
            ready.put_nowait(full)

    config = ConsumerConfig(
        deliver_policy=DeliverPolicy.BY_START_SEQUENCE if after else DeliverPolicy.ALL,
        opt_start_seq=after + 1 if after else None,
        ack_policy=AckPolicy.ALL,
        max_ack_pending=3 * batch,
        ack_wait=300.0,
        inactive_threshold=30.0,
    )
    spec = next(s for s in STREAMS.values() if s.name == stream)
    sub = await js.subscribe(
        spec.subjects[0], stream=stream, cb=take, manual_ack=True, config=config
    )
    try:
        while True:
            try:
                msgs = await asyncio.wait_for(ready.get(), idle)
            except TimeoutError:  # the rest was deleted from the stream
                finished = True
                if current:
                    msgs, current = current, []
                    yield msgs
                break
            if msgs is None:
                break
            yield msgs
            await msgs[-1].ack()  # acknowledges the whole batch: the server may send more
    finally:
        with contextlib.suppress(Exception):
            await sub.unsubscribe()


class _Envelope(BaseModel):
    """The envelope fields the projector reads; subclassed per event type with a typed `data`."""

    model_config = ConfigDict(extra="ignore")

    id: uuid.UUID
    type: str
    source: str
    subject: str | None = None
    time: datetime
    tenant: str | None = None
    schemaversion: int = 1


@functools.cache
def _typed_envelope(event_type: str) -> type[_Envelope] | None:
    payload = event_type_registry().get(event_type)
    if payload is None:
        return None
    name = "Envelope_" + event_type.replace(".", "_")
    model: type[_Envelope] = create_model(name, __base__=_Envelope, data=(payload, ...))
    return model


def _parse_typed(msg: Msg) -> tuple[EventMeta, EventData] | None:
    """One pass of pydantic's JSON parser straight into the event's contract (the subject names
    the type), instead of an untyped envelope then its data: the bulk path's main CPU cost. The
    typed envelope itself goes to the projection (it reads only id, time and tenant)."""
    model = _typed_envelope(msg.subject)
    if model is None:
        return None
    envelope = model.model_validate_json(msg.data)
    if envelope.type != msg.subject:
        return None
    payload: EventData = envelope.data  # type: ignore[attr-defined]
    return envelope, payload


def parse(msgs: list[Msg]) -> list[tuple[EventMeta, EventData]]:
    """The platform events among `msgs`; unreadable ones are skipped (the live consumer parks
    them in the dead-letter stream)."""
    events: list[tuple[EventMeta, EventData]] = []
    for msg in msgs:
        try:
            parsed = _parse_typed(msg)
        except ValidationError:
            parsed = None
        if parsed is None:  # not the usual shape: the envelope model decides
            try:
                event = CloudEvent.model_validate_json(msg.data)
                parsed = event, event.payload()
            except (ValidationError, UnknownEventType, ValueError):
                continue
        events.append(parsed)
    return events


@dataclass
class Parsed:
    events: list[tuple[EventMeta, EventData]]
    count: int  # messages read, the unreadable included
    first_seq: int
    last_seq: int


async def _parsed(batches: AsyncIterator[list[Msg]]) -> AsyncIterator[Parsed]:
    """Batches read and parsed ahead (reading and parsing in Python overlap with the database
    applying the previous batch); parsing yields to the event loop every few hundred events."""
    queue: asyncio.Queue[Parsed | None] = asyncio.Queue(maxsize=2)

    async def produce() -> None:
        try:
            async for msgs in batches:
                events: list[tuple[EventMeta, EventData]] = []
                for i in range(0, len(msgs), 250):
                    events += parse(msgs[i : i + 250])
                    await asyncio.sleep(0)
                first, last = msgs[0].metadata.sequence, msgs[-1].metadata.sequence
                await queue.put(Parsed(events, len(msgs), first.stream, last.stream))
        finally:
            await queue.put(None)

    task = asyncio.create_task(produce())
    try:
        while (item := await queue.get()) is not None:
            yield item
        await task  # re-raise a failed read
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _use_rebuild_schema(session: AsyncSession | AsyncConnection) -> None:
    await session.execute(text(f"SET LOCAL search_path TO {SCHEMA}, public"))


def _table_names() -> list[str]:
    return [table.name for table in PROJECTION_TABLES]


async def _prepare(engine: AsyncEngine) -> None:
    """The schema `ev_rebuild` afresh with empty copies of the projection tables: DDL, done by the
    owner's SECURITY DEFINER function (the service's role may do none, ADR 0019)."""
    async with engine.begin() as conn:
        await conn.execute(text("SELECT ev_rebuild_prepare(:tables)"), {"tables": _table_names()})


async def _apply(session: AsyncSession, batch: Parsed) -> int:
    await _use_rebuild_schema(session)
    await project(session, batch.events)
    return batch.count


async def rebuild(
    engine: AsyncEngine,
    js: JetStreamContext,
    *,
    batch: int = 2000,
    from_snapshot: bool = True,
    keep_snapshots: int = 3,
    snapshot_after: bool = True,
) -> RebuildResult:
    """Replay the streams into fresh tables, from the newest snapshot (unless `from_snapshot`
    is false: the whole history), swap them in, and snapshot them (unless `snapshot_after` is
    false: the benchmark times that apart); see the module docstring."""
    started = time.perf_counter()
    result = RebuildResult()
    async with engine.connect() as guard:
        locked = (
            await guard.execute(text(f"SELECT pg_try_advisory_lock({REBUILD_LOCK})"))
        ).scalar()
        if not locked:
            raise Conflict("Odbudowa modeli odczytu albo migawka już trwa.")
        try:
            snapshot = await newest_snapshot(guard) if from_snapshot else None
            await guard.commit()
            after = await starting_points(js, snapshot)
            result.snapshot = snapshot
            await _prepare(engine)
            try:
                if snapshot is not None:
                    async with engine.begin() as conn:
                        await restore(conn, snapshot, SCHEMA)
                reached: dict[str, int] = {}
                for source in SOURCES:
                    stream = STREAMS[source].name
                    target = await last_sequence(js, stream)
                    count, seen = 0, after[stream]
                    result.replayed_from[stream] = seen + 1
                    read = read_stream(js, stream, after=seen, until=target, batch=batch)
                    async for parsed in _parsed(read):
                        if parsed.first_seq > seen + 1:  # expired since the check above
                            raise _lost(stream, seen, parsed.first_seq, snapshot)
                        async with AsyncSession(engine) as session, session.begin():
                            count += await _apply(session, parsed)
                        seen = parsed.last_seq
                    reached[source] = seen
                    result.events[source] = count
                applied = await _swap(engine, js, reached, result, batch)
            except Exception:
                # Refused or failed before the swap committed: the live tables are untouched,
                # and nothing of the attempt is left behind.
                async with engine.begin() as conn:
                    await conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
                raise
            if snapshot_after:
                # Its positions: what the rebuild applied, or the live consumers' if further on.
                result.snapshot_after = await take_snapshot_locked(
                    engine, guard, js, keep=keep_snapshots, at_least=applied
                )
        finally:
            await guard.execute(text(f"SELECT pg_advisory_unlock({REBUILD_LOCK})"))
            await guard.commit()
    result.seconds = time.perf_counter() - started
    return result


async def _swap(
    engine: AsyncEngine,
    js: JetStreamContext,
    reached: dict[str, int],
    result: RebuildResult,
    batch: int,
) -> dict[str, int]:
    """Per stream name, the last sequence the swapped-in rows hold every event up to."""
    applied: dict[str, int] = {}
    async with AsyncSession(engine) as session, session.begin():
        await session.execute(text(f"SELECT pg_advisory_xact_lock({PROJECTION_LOCK})"))
        # No live batch commits from here on: catch up with what arrived during the replay.
        for source in SOURCES:
            stream = STREAMS[source].name
            target = await last_sequence(js, stream)
            seen = reached[source]
            read = read_stream(js, stream, after=seen, until=target, batch=batch)
            async for parsed in _parsed(read):
                if parsed.first_seq > seen + 1:
                    raise _lost(stream, seen, parsed.first_seq, result.snapshot)
                result.events[source] += await _apply(session, parsed)
                seen = parsed.last_seq
            applied[stream] = seen
        await session.execute(text("SET LOCAL search_path TO public"))
        # The row triggers that note the months to recompute are off for the copy: the monthly
        # summaries are recomputed from all the rows at once, after it (ADR 0046). The copy, the
        # recomputation and dropping the schema are the owner's function (ADR 0019): the
        # service's role may not TRUNCATE or drop.
        await session.execute(text("SET LOCAL evaluation.summaries = 'off'"))
        await session.execute(text("SELECT ev_rebuild_swap(:tables)"), {"tables": _table_names()})
    names = ", ".join(f"public.{name}" for name in _table_names())
    # Fresh statistics for the planner, and the visibility map set for the copied rows: without
    # it the index-only walks of the views (ADR 0045) read the table for every entry until
    # autovacuum comes by (the region's view took 2-8 times as long).
    async with engine.connect() as conn:
        autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.execute(text(f"VACUUM (ANALYZE) {names}, {', '.join(SUMMARY_TABLES)}"))
    return applied
