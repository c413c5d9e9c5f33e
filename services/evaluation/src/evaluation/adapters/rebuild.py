"""Rebuilding the read models from the streams' whole history, then swapping them in.

1. Empty copies of the projection tables are made in the schema `ev_rebuild`.
2. Each stream (partners, basket, cases) is read from its first message up to its last sequence
   at that moment through an ephemeral pull consumer (no acknowledgements), and projected into
   the copies in large transactions — the bulk path: one executemany per statement per batch.
3. The swap: one transaction takes the projection lock exclusively (live consumers wait), reads
   what was added to the streams meanwhile, projects it too, then replaces the live tables' rows
   with the rebuilt ones, and recomputes the monthly summaries from them. Events the live
   consumers applied before the swap are all within what the rebuild read (they came from the
   same streams), and every projection is idempotent and order-tolerant, so nothing is lost or
   counted twice.
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

from evaluation.adapters.orm import PROJECTION_TABLES
from evaluation.adapters.projection import PROJECTION_LOCK, EventMeta, project
from shared.contracts import CloudEvent, EventData, UnknownEventType, event_type_registry
from shared.errors import Conflict
from shared.messaging import STREAMS

SCHEMA = "ev_rebuild"
SOURCES = ("partners", "basket", "cases")
REBUILD_LOCK = PROJECTION_LOCK + 1
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

    @property
    def total(self) -> int:
        return sum(self.events.values())


async def last_sequence(js: JetStreamContext, stream: str) -> int:
    try:
        info = await js.stream_info(stream)
    except NotFoundError:
        return 0
    return int(info.state.last_seq)


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
                await queue.put(Parsed(events, len(msgs), msgs[-1].metadata.sequence.stream))
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


async def rebuild(engine: AsyncEngine, js: JetStreamContext, *, batch: int = 2000) -> RebuildResult:
    """Replay every stream into fresh tables and swap them in; see the module docstring."""
    started = time.perf_counter()
    result = RebuildResult()
    async with engine.connect() as guard:
        locked = (
            await guard.execute(text(f"SELECT pg_try_advisory_lock({REBUILD_LOCK})"))
        ).scalar()
        if not locked:
            raise Conflict("Odbudowa modeli odczytu już trwa.")
        try:
            await _prepare(engine)
            reached: dict[str, int] = {}
            for source in SOURCES:
                stream = STREAMS[source].name
                target = await last_sequence(js, stream)
                count, seen = 0, 0
                read = read_stream(js, stream, after=0, until=target, batch=batch)
                async for parsed in _parsed(read):
                    async with AsyncSession(engine) as session, session.begin():
                        count += await _apply(session, parsed)
                    seen = parsed.last_seq
                reached[source] = seen
                result.events[source] = count
            await _swap(engine, js, reached, result, batch)
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
) -> None:
    async with AsyncSession(engine) as session, session.begin():
        await session.execute(text(f"SELECT pg_advisory_xact_lock({PROJECTION_LOCK})"))
        # No live batch commits from here on: catch up with what arrived during the replay.
        for source in SOURCES:
            stream = STREAMS[source].name
            target = await last_sequence(js, stream)
            read = read_stream(js, stream, after=reached[source], until=target, batch=batch)
            async for parsed in _parsed(read):
                result.events[source] += await _apply(session, parsed)
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
