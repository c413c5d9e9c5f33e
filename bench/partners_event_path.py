"""Benchmark of the event path: a committed change → the outbox → JetStream → a consumer's commit.

1. Latency (p50/p99) from the producing commit to the consumer's commit, at a steady 200 events/s
   (open loop), through the partners service's real handler and unit of work and its relay, to a
   real durable consumer with its inbox running in another process with its own database, as a
   consuming service is deployed.
2. The relay's throughput as a ratio to raw JetStream publishing (nats-py `publish_async`, 256 in
   flight) of the same messages, measured on the same servers in the same run.

Run: `uv run python bench/partners_event_path.py [--seconds 20] [--warmup 2] [--relay-events 20000]`
The first `--warmup` seconds at the same rate open the pools and prepare the statements of both
processes, as in a running service, and are not measured.
Uses NATS_URL / DATABASE_URL when set; otherwise starts its own nats-server and PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
import nats
import uvloop
from sqlalchemy import text

from partners.adapters.orm import inbox, start_mappers
from partners.adapters.uow import SqlUnitOfWork
from partners.domain.model import Sector
from partners.service import commands, handlers
from partners.service.publishing import translate
from shared.auth import Principal, Role
from shared.contracts import CloudEvent
from shared.contracts.partners import InstitutionRegistered
from shared.db import create_engine, session_factory
from shared.db.migrations import upgrade
from shared.messaging import (
    STREAMS,
    OutboxRelay,
    make_broker,
    register_consumer,
    start_broker,
    stop_consumers,
)
from shared.runtime import freeze_startup_objects
from shared.testing.servers import NatsServer, Postgres

ROOT = Path(__file__).resolve().parents[1]
ACTOR = Principal(
    subject="bench",
    username="bench",
    roles=frozenset({Role.COORDINATOR}),
    tenants=frozenset({"1219053"}),
)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def _consumer_process(db_url: str, nats_url: str, expected: int, out: str) -> None:
    """The consuming service: its own process, as it is deployed (another service's consumer)."""

    async def run() -> None:
        start_mappers()
        engine = create_engine(db_url, pool_size=5)
        broker = make_broker(nats_url, service="bench-consumer", tracer_provider=None)
        consumed: dict[str, float] = {}

        async def handler(session, event, payload):  # type: ignore[no-untyped-def]
            await session.execute(text("SELECT 1"))

        def on_applied(event: CloudEvent) -> None:
            consumed[event.subject or ""] = time.time()

        register_consumer(
            broker,
            stream=STREAMS["partners"],
            durable="bench-latency",
            sessions=session_factory(engine),
            inbox=inbox,
            handler=handler,
            on_applied=on_applied,
        )
        await start_broker(broker)
        freeze_startup_objects()  # as shared.runtime.running does in a service at start-up
        Path(out + ".ready").touch()
        deadline = time.monotonic() + 600
        while len(consumed) < expected and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await broker.stop()
        await stop_consumers(broker)
        await engine.dispose()
        Path(out).write_text(json.dumps(consumed))

    uvloop.run(run())


async def latency(
    db_url: str,
    consumer_db_url: str,
    nats_url: str,
    seconds: float,
    rate: float,
    work: Path,
    warmup: float,
) -> list[float]:
    total = int(seconds * rate)
    warm = int(warmup * rate)
    out = str(work / "consumed.json")
    consumer = multiprocessing.get_context("spawn").Process(
        target=_consumer_process, args=(consumer_db_url, nats_url, warm + total, out)
    )
    consumer.start()
    while not Path(out + ".ready").exists():
        await asyncio.sleep(0.05)

    engine = create_engine(db_url, pool_size=10)
    sessions = session_factory(engine)
    broker = make_broker(nats_url, service="bench", tracer_provider=None)
    await broker.connect()
    relay_engine = create_engine(db_url, pool_size=1)  # as shared.runtime wires it
    relay = OutboxRelay(relay_engine, lambda: broker.connection)
    relay_task = asyncio.create_task(relay.run())
    freeze_startup_objects()  # as shared.runtime.running does in a service at start-up
    committed: dict[str, float] = {}
    warming: dict[str, float] = {}

    async def produce(i: int, into: dict[str, float]) -> None:
        institution_id = uuid.uuid4()
        await handlers.register_institution(
            commands.RegisterInstitution(
                tenant="1219053",
                name=f"Instytucja {i}",
                sector=Sector.NGO,
                institution_id=institution_id,
            ),
            uow=SqlUnitOfWork(sessions, translate),
            actor=ACTOR,
        )
        into[str(institution_id)] = time.time()

    async def steady(count: int, into: dict[str, float]) -> float:
        """Open-loop load: each change starts at its due time whether or not earlier ones
        finished; returns the rate achieved."""
        start = time.perf_counter()
        producers = []
        for i in range(count):
            due = start + i / rate
            now = time.perf_counter()
            if due > now:
                await asyncio.sleep(due - now)
            producers.append(asyncio.create_task(produce(i, into)))
        await asyncio.gather(*producers)
        return count / (time.perf_counter() - start)

    # A running service has its pools open and its statements prepared: the first seconds at the
    # same rate warm both processes up and are not measured.
    await steady(warm, warming)
    achieved = await steady(total, committed)
    await asyncio.to_thread(consumer.join, 120)
    relay_task.cancel()
    await asyncio.gather(relay_task, return_exceptions=True)
    async with engine.connect() as conn:
        lag = (
            await conn.execute(
                text(
                    "SELECT percentile_cont(array[0.5, 0.99]) WITHIN GROUP (ORDER BY "
                    "extract(epoch FROM published_at - created_at) * 1000) FROM outbox "
                    "WHERE seq > :warm"
                ),
                {"warm": warm},
            )
        ).scalar_one()
    await broker.stop()
    await engine.dispose()
    await relay_engine.dispose()
    consumed: dict[str, float] = json.loads(Path(out).read_text())
    print(
        f"  offered rate: {achieved:.0f} events/s, consumed {len(consumed) - warm}/{total} "
        f"(after {warm} warm-up events, not measured)"
    )
    print(f"  outbox insert → published: p50 {lag[0]:.1f} ms, p99 {lag[1]:.1f} ms")
    return [(consumed[k] - committed[k]) * 1000 for k in committed if k in consumed]


async def relay_vs_raw(db_url: str, nats_url: str, count: int) -> tuple[float, float]:
    bodies = []
    for i in range(count):
        data = InstitutionRegistered(
            institution_id=uuid.uuid4(),
            name=f"Instytucja {i}",
            sector="ngo",
            tenants_served=["1219053"],
        )
        bodies.append(
            CloudEvent.wrap(
                data, source="/cus/partners", tenant="1219053", subject=str(data.institution_id)
            )
        )
    # Raw: the same messages published straight to JetStream, pipelined.
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    start = time.perf_counter()
    for chunk in range(0, count, 256):
        futures = [
            await js.publish_async(
                e.type,
                e.model_dump_json().encode(),
                headers={"Nats-Msg-Id": f"raw-{e.id}"},
                stream="PARTNERS",
            )
            for e in bodies[chunk : chunk + 256]
        ]
        await asyncio.gather(*futures)
    raw = count / (time.perf_counter() - start)
    await nc.close()
    # Relay: the same messages written to the outbox, then drained by the relay.
    conn = await asyncpg.connect(db_url)
    await conn.copy_records_to_table(
        "outbox",
        columns=["event_id", "subject", "tenant", "body", "headers"],
        records=[(e.id, e.type, e.tenant, e.model_dump_json().encode(), "{}") for e in bodies],
    )
    await conn.close()
    engine = create_engine(db_url, pool_size=2)
    broker = make_broker(nats_url, service="bench-relay", tracer_provider=None)
    await broker.connect()
    relay = OutboxRelay(engine, lambda: broker.connection)
    start = time.perf_counter()
    published = 0
    while published < count:
        published += await relay.publish_batch()
    rate = count / (time.perf_counter() - start)
    await broker.stop()
    await engine.dispose()
    return rate, raw


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--warmup", type=float, default=2, help="seconds at the rate, unmeasured")
    parser.add_argument("--relay-events", type=int, default=20000)
    args = parser.parse_args()
    start_mappers()
    work = Path(tempfile.mkdtemp(prefix="cus-bench-", dir="/tmp"))
    work.chmod(0o755)
    pg = Postgres(work / "pg").start()  # durable settings, as in production
    nats_server = NatsServer(work / "nats").start()
    try:
        conn = await asyncpg.connect(pg.url())
        for name in ("bench_latency", "bench_consumer", "bench_relay"):
            await conn.execute(f"CREATE DATABASE {name}")
        await conn.close()
        for name in ("bench_latency", "bench_consumer", "bench_relay"):
            await asyncio.to_thread(upgrade, ROOT / "services" / "partners", pg.url(name))
        nc = await nats.connect(nats_server.url)
        from shared.messaging import ensure_streams

        await ensure_streams(nc.jetstream())
        await nc.close()

        print(
            f"Event path, commit → consumer commit, at {args.rate:.0f} events/s "
            f"for {args.seconds:.0f} s:"
        )
        values = await latency(
            pg.url("bench_latency"),
            pg.url("bench_consumer"),
            nats_server.url,
            args.seconds,
            args.rate,
            work,
            args.warmup,
        )
        print(
            f"  p50 {statistics.median(values):.1f} ms   p99 {pct(values, 99):.1f} ms   "
            f"max {max(values):.1f} ms   (goal: p99 < 100 ms)"
        )
        print(f"Relay throughput vs raw JetStream publishing, {args.relay_events} messages:")
        relay, raw = await relay_vs_raw(pg.url("bench_relay"), nats_server.url, args.relay_events)
        print(
            f"  relay {relay:,.0f} msg/s   raw {raw:,.0f} msg/s   ratio {relay / raw:.2f}  "
            "(goal: ≥ 0.5)"
        )
    finally:
        nats_server.stop()
        pg.stop()


if __name__ == "__main__":
    # The services run under uvicorn, which uses uvloop; so does this benchmark.
    uvloop.run(main())
