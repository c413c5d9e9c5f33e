"""Benchmark of the evaluation service's projection and dashboard.

1. Generates a region-year of events (default 1,000,000: municipalities with their partners,
   meetings, basket offerings and their updates, cases with consents, plans, referrals through
   their states) with the shared contract models, and publishes them into a fresh nats-server.
2. Baseline: raw JetStream consumption of the same messages (ephemeral pull consumers over the
   three streams, no parsing), in the same run.
3. The projector's bulk path: the rebuild (`evaluation.adapters.rebuild.rebuild`), which reads the
   same streams, parses every event with the contracts, projects it into fresh tables in large
   transactions and swaps them in. Events/s over the whole rebuild, swap included.
4. Optionally (`--live-events N`) the live path: the service's durable consumers with the inbox
   (`register_consumer` + `evaluation.adapters.projection.handle`) over the first N events.
5. Dashboard: p50/p99 of the monitoring view and of a quarterly report per municipality (one
   each per round) and of the region's monitoring view (every second round), over the resulting
   tables, after each view ran twice unmeasured to warm the pooled connections up, as in a
   running service; and, apart, of the disclosure each view then goes through in the API
   (small-cell and complementary suppression, ADR 0047).

Run: `uv run python bench/evaluation_projection.py [--events 1000000] [--live-events 100000]`
Starts its own nats-server and PostgreSQL (durable settings) in a temporary folder.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import nats
from nats.js import JetStreamContext
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from evaluation import views
from evaluation.adapters.orm import inbox
from evaluation.adapters.projection import handle
from evaluation.adapters.rebuild import (
    SOURCES,
    RebuildResult,
    last_sequence,
    read_stream,
    rebuild,
)
from evaluation.adapters.snapshots import MAINTENANCE_LOCK, take_snapshot_locked
from evaluation.domain.periods import Period
from evaluation.domain.report import Report
from shared.contracts import CloudEvent, EventData
from shared.contracts import basket as b
from shared.contracts import cases as c
from shared.contracts import partners as p
from shared.db import create_engine, session_factory
from shared.db.migrations import upgrade
from shared.messaging import (
    STREAMS,
    ConsumerStats,
    ensure_streams,
    make_broker,
    register_consumer,
    start_broker,
    stop_consumers,
)
from shared.testing.servers import NatsServer, Postgres

ROOT = Path(__file__).resolve().parents[1]
SECTORS = list(p.Sector.__args__)  # type: ignore[attr-defined]
YEAR = datetime(2026, 1, 1, tzinfo=UTC)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


class Region:
    """A generated region-year; yields (subject, body, message id)."""

    def __init__(self, total: int, municipalities: int, seed: int = 1) -> None:
        self.total = total
        self.tenants = [f"1219{i:03d}" for i in range(1, municipalities + 1)]
        self.rng = random.Random(seed)
        self.tick = 0

    def when(self) -> datetime:
        return YEAR + timedelta(seconds=self.rng.randrange(0, 365 * 86400))

    def wrap(self, data: EventData, tenant: str, source: str) -> tuple[str, bytes, str]:
        self.tick += 1
        event = CloudEvent.wrap(
            data,
            source=source,
            tenant=tenant,
            time=YEAR + timedelta(milliseconds=self.tick),
        )
        return event.type, event.model_dump_json().encode(), str(event.id)

    def partnership(self, tenant: str) -> Iterator[tuple[str, bytes, str]]:
        rng, src = self.rng, p.SOURCE
        institutions = [(uuid.uuid4(), rng.choice(SECTORS)) for _ in range(15)]
        for iid, sector in institutions:
            yield self.wrap(
                p.InstitutionRegistered(
                    institution_id=iid, name=f"Instytucja {iid.hex[:6]}", sector=sector,
                    tenants_served=[tenant],
                ),
                tenant, src,
            )  # fmt: skip
        pid = uuid.uuid4()
        yield self.wrap(
            p.PartnershipEstablished(
                partnership_id=pid, name=f"Partnerstwo {tenant}",
                leader_institution_id=institutions[0][0],
            ),
            tenant, src,
        )  # fmt: skip
        for count in (1, rng.choice((1, 2, 3))):
            yield self.wrap(
                p.CoordinatorsChanged(
                    partnership_id=pid, coordinator_count=count, understaffed=count < 2
                ),
                tenant, src,
            )  # fmt: skip
        for iid, sector in institutions:
            mid, previous = uuid.uuid4(), None
            for state in ("invited", rng.choice(("informal", "declared", "left"))):
                yield self.wrap(
                    p.MembershipChanged(
                        membership_id=mid, partnership_id=pid, institution_id=iid,
                        sector=sector, previous_state=previous, state=state,
                        effective_on=date(2026, 1, 15),
                    ),
                    tenant, src,
                )  # fmt: skip
                previous = state
        for month in range(1, 13):
            meeting, at = uuid.uuid4(), datetime(2026, month, 12, 10, tzinfo=UTC)
            yield self.wrap(
                p.MeetingScheduled(
                    meeting_id=meeting, partnership_id=pid, starts_at=at,
                    host_institution_id=None, chair_institution_id=None, online=False,
                ),
                tenant, src,
            )  # fmt: skip
            yield self.wrap(
                p.MeetingHeld(
                    meeting_id=meeting, partnership_id=pid, held_at=at, host_institution_id=None,
                    attending_institution_ids=[i for i, _ in rng.sample(institutions, 8)],
                    decision_count=2,
                ),
                tenant, src,
            )  # fmt: skip
        self.institutions = institutions

    def basket(self, tenant: str) -> Iterator[tuple[str, bytes, str]]:
        rng, src = self.rng, b.SOURCE
        self.offerings: list[uuid.UUID] = []
        for _ in range(40):
            sid, (iid, sector) = uuid.uuid4(), rng.choice(self.institutions)
            snapshot: dict[str, Any] = {
                "service_id": sid, "institution_id": iid, "provider_sector": sector,
                "title": "Usługa", "area": rng.choice(b.AREAS), "category": "kategoria",
                "status": "draft", "tenants_served": [tenant], "capacity_status": "available",
                "cost": "free", "referral_required": True,
                "last_verified_on": (self.when()).date(),
            }  # fmt: skip
            yield self.wrap(b.ServiceAdded(**snapshot), tenant, src)
            snapshot["status"] = "published"
            yield self.wrap(b.ServicePublished(**snapshot), tenant, src)
            for _ in range(6):
                kind = rng.random()
                if kind < 0.4:
                    yield self.wrap(
                        b.ServiceVerified(
                            service_id=sid, institution_id=iid, verified_on=self.when().date()
                        ),
                        tenant, src,
                    )  # fmt: skip
                elif kind < 0.8:
                    yield self.wrap(
                        b.CapacityChanged(
                            service_id=sid, institution_id=iid,
                            capacity_status=rng.choice(("available", "waitlist", "no_capacity")),
                            waiting_days=rng.randrange(0, 60),
                        ),
                        tenant, src,
                    )  # fmt: skip
                else:
                    yield self.wrap(
                        b.ServiceUpdated(**snapshot, changed_fields=["title"]), tenant, src
                    )
            self.offerings.append(sid)

    def case(self, tenant: str) -> Iterator[tuple[str, bytes, str]]:
        rng, src = self.rng, c.SOURCE
        cid, opened = uuid.uuid4(), self.when()
        yield self.wrap(c.CaseOpened(case_id=cid, opened_at=opened, family_size=3), tenant, src)
        if rng.random() < 0.8:
            yield self.wrap(
                c.FamilyConsented(
                    case_id=cid, consent_id=uuid.uuid4(), given_at=opened, method="paper",
                    institution_ids=[], sectors=["health"], data_kinds=["plan"],
                ),
                tenant, src,
            )  # fmt: skip
        for version in (1, 2):
            yield self.wrap(
                c.PlanUpdated(
                    case_id=cid, version=version, goal_count=3, action_count=5,
                    actions_done=version * 2, responsible_institution_ids=[],
                    updated_at=opened + timedelta(days=version),
                ),
                tenant, src,
            )  # fmt: skip
        for _ in range(rng.choice((0, 1, 2, 3))):
            rid, at = uuid.uuid4(), opened + timedelta(hours=rng.randrange(1, 200))
            iid, sector = rng.choice(self.institutions)
            common: dict[str, Any] = {
                "referral_id": rid, "case_id": cid, "service_id": rng.choice(self.offerings),
                "receiving_institution_id": iid, "receiving_sector": sector, "requested_at": at,
                "capacity_status": rng.choice(("available", "waitlist", "no_capacity")),
            }  # fmt: skip
            path: list[tuple[str, dict[str, Any]]] = [("requested", {})]
            roll = rng.random()
            if roll < 0.2:
                path.append(
                    ("rejected", {"reason_code": rng.choice(("not_eligible", "no_capacity"))})
                )
            else:
                path.append(("accepted", {}))
                path.append(("in-progress", {}))
                if roll < 0.8:
                    path.append(("completed", {"outcome_code": "goal_achieved"}))
                else:
                    path.append(("failed", {"reason_code": "family_unreachable"}))
            previous = None
            for state, extra in path:
                at = at + timedelta(hours=rng.randrange(1, 300))
                yield self.wrap(
                    c.REFERRAL_EVENTS[state](
                        **common, state=state, previous_state=previous, at=at, **extra
                    ),
                    tenant, src,
                )  # fmt: skip
                previous = state
        if rng.random() < 0.05:
            yield self.wrap(
                c.ConsentWithdrawn(
                    case_id=cid, consent_id=uuid.uuid4(), withdrawn_at=opened + timedelta(days=9),
                    institution_ids=[], sectors=[],
                ),
                tenant, src,
            )  # fmt: skip
        if rng.random() < 0.6:
            yield self.wrap(
                c.CaseClosed(
                    case_id=cid, opened_at=opened,
                    closed_at=opened + timedelta(days=rng.randrange(10, 200)),
                    reason_code="goals_achieved",
                ),
                tenant, src,
            )  # fmt: skip

    def events(self) -> Iterator[tuple[str, bytes, str]]:
        per_tenant = self.total // len(self.tenants)
        produced = 0
        for n, tenant in enumerate(self.tenants):
            budget = per_tenant if n < len(self.tenants) - 1 else self.total - produced
            count = 0
            for item in (*self.partnership(tenant), *self.basket(tenant)):
                yield item
                count += 1
            while count < budget:
                for item in self.case(tenant):
                    if count >= budget:
                        break
                    yield item
                    count += 1
            produced += count


async def publish(url: str, region: Region) -> float:
    nc = await nats.connect(url)
    js = nc.jetstream()
    await ensure_streams(js)
    start = time.perf_counter()
    futures = []
    for subject, body, msg_id in region.events():
        futures.append(await js.publish_async(subject, body, headers={"Nats-Msg-Id": msg_id}))
        if len(futures) >= 512:
            await asyncio.gather(*futures)
            futures = []
    await asyncio.gather(*futures)
    seconds = time.perf_counter() - start
    await nc.close()
    return seconds


async def raw_consumption(js: JetStreamContext) -> tuple[int, float]:
    start, count = time.perf_counter(), 0
    for source in SOURCES:
        stream = STREAMS[source].name
        async for msgs in read_stream(js, stream, after=0, until=await last_sequence(js, stream)):
            count += len(msgs)
    return count, time.perf_counter() - start


async def live_path(db_url: str, nats_url: str, count: int) -> float:
    """The service's durable consumers (inbox, one transaction per queued batch) on a stream
    holding the first `count` events."""
    engine = create_engine(db_url, pool_size=4)
    broker = make_broker(nats_url, service="bench-live", tracer_provider=None)
    stats = [
        register_consumer(
            broker,
            stream=STREAMS[source],
            durable=f"bench-{source}",
            sessions=session_factory(engine),
            inbox=inbox,
            handler=handle,
            batch_size=512,
            stats=ConsumerStats(),
        )
        for source in SOURCES
    ]
    start = time.perf_counter()
    await start_broker(broker)
    while sum(s.applied + s.duplicates for s in stats) < count:
        await asyncio.sleep(0.05)
    seconds = time.perf_counter() - start
    await broker.stop()
    await stop_consumers(broker)
    await engine.dispose()
    return count / seconds


async def dashboard(db_url: str, tenants: list[str], rounds: int) -> dict[str, list[float]]:
    engine = create_engine(db_url, pool_size=2)
    sessions = session_factory(engine)
    now = datetime(2026, 12, 31, 12, tzinfo=UTC)
    q3 = Period.parse("2026-Q3")
    timings: dict[str, list[float]] = {k: [] for k in ("monitoring", "report", "region")}
    rng = random.Random(5)
    async with sessions() as session:
        # A running service's pooled connections have read the catalogue and planned these
        # statements before: warm both connections up (each view once), unmeasured.
        for _ in range(2):
            await views.monitoring(session, tenants[0], now)
            await views.report(session, tenants[0], q3, now)
            await views.monitoring(session, None, now)

        def disclose(key: str, report: Report) -> None:
            """What the API adds to the view: small-cell and complementary suppression (ADR
            0047), timed apart so that the view's figures compare with earlier runs."""
            t = time.perf_counter()
            report.disclosed()
            timings.setdefault(f"{key} disclosure", []).append((time.perf_counter() - t) * 1000)

        for i in range(rounds):
            tenant = rng.choice(tenants)
            t = time.perf_counter()
            built = await views.monitoring(session, tenant, now)
            timings["monitoring"].append((time.perf_counter() - t) * 1000)
            disclose("monitoring", built)
            t = time.perf_counter()
            built = await views.report(session, tenant, q3, now)
            timings["report"].append((time.perf_counter() - t) * 1000)
            disclose("report", built)
            if i % 2 == 0:
                t = time.perf_counter()
                built = await views.monitoring(session, None, now)
                timings["region"].append((time.perf_counter() - t) * 1000)
                disclose("region", built)
    await engine.dispose()
    return timings


async def snapshot_figures(engine: AsyncEngine, js: JetStreamContext, full: RebuildResult) -> None:
    """ADR 0049: a snapshot of the rebuilt read models, its size, and a rebuild from it (no
    events after it: the restore and the swap alone), against the full rebuild just measured."""
    # As at the end of a rebuild: the positions it applied (no live consumers run here).
    ends = {STREAMS[s].name: await last_sequence(js, STREAMS[s].name) for s in SOURCES}
    async with engine.connect() as guard:
        await guard.execute(text(f"SELECT pg_advisory_lock({MAINTENANCE_LOCK})"))
        start = time.perf_counter()
        snapshot = await take_snapshot_locked(engine, guard, js, keep=3, at_least=ends)
        took = time.perf_counter() - start
        await guard.execute(text(f"SELECT pg_advisory_unlock({MAINTENANCE_LOCK})"))
        await guard.commit()
    async with engine.connect() as conn:
        size = (
            await conn.execute(
                text(
                    "SELECT pg_total_relation_size('ev_snapshot_parts')"
                    " + pg_total_relation_size('ev_snapshots')"
                )
            )
        ).scalar_one()
    print(
        f"snapshot: {snapshot.row_count:,} rows in {took:.1f} s, {size / 2**20:,.1f} MiB stored "
        f"(positions {snapshot.positions})"
    )
    restored = await rebuild(engine, js, batch=5000, snapshot_after=False)
    print(
        f"rebuild from that snapshot (restore + swap, {restored.total:,} events after it): "
        f"{restored.seconds:.1f} s, vs {full.seconds:.1f} s from the whole history"
    )


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--municipalities", type=int, default=20)
    parser.add_argument("--live-events", type=int, default=0)
    parser.add_argument("--rounds", type=int, default=100)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="cus-bench-eval-", dir="/tmp"))
    work.chmod(0o755)
    pg = Postgres(work / "pg").start()  # durable settings, as in production
    server = NatsServer(work / "nats", max_file="8GB").start()
    try:
        conn = await asyncpg.connect(pg.url())
        await conn.execute("CREATE DATABASE evaluation")
        await conn.execute("CREATE DATABASE evaluation_live")
        await conn.close()
        for name in ("evaluation", "evaluation_live"):
            await asyncio.to_thread(upgrade, ROOT / "services" / "evaluation", pg.url(name))

        region = Region(args.events, args.municipalities)
        print(f"generating and publishing {args.events:,} events ({args.municipalities} gmin)…")
        seconds = await publish(server.url, region)
        print(f"  published in {seconds:.1f} s ({args.events / seconds:,.0f}/s, incl. generation)")

        nc = await nats.connect(server.url)
        js = nc.jetstream()
        count, raw_s = await raw_consumption(js)
        print(f"raw JetStream consumption: {count:,} messages in {raw_s:.1f} s "
              f"= {count / raw_s:,.0f} msg/s")  # fmt: skip

        engine = create_engine(pg.url("evaluation"), pool_size=2)
        cpu = time.process_time()
        result = await rebuild(engine, js, batch=5000, snapshot_after=False)
        cpu = time.process_time() - cpu
        rate = result.total / result.seconds
        print(
            f"projector (bulk path = rebuild, swap included): {result.total:,} events in "
            f"{result.seconds:.1f} s = {rate:,.0f} events/s "
            f"({100 * rate / (count / raw_s):.0f} % of raw consumption); "
            f"its process's CPU: {cpu * 1e6 / max(1, result.total):.0f} µs per event"
        )
        await snapshot_figures(engine, js, result)
        await engine.dispose()
        await nc.close()

        if args.live_events:
            live_nats = NatsServer(work / "nats-live").start()
            try:
                subset = Region(args.live_events, args.municipalities)
                await publish(live_nats.url, subset)
                live = await live_path(pg.url("evaluation_live"), live_nats.url, args.live_events)
                print(f"live path (durable consumers + inbox): {live:,.0f} events/s "
                      f"over {args.live_events:,} events")  # fmt: skip
            finally:
                live_nats.stop()

        timings = await dashboard(pg.url("evaluation"), region.tenants, args.rounds)
        for name, values in timings.items():
            print(
                f"dashboard {name:10s} n={len(values):4d}  p50 {pct(values, 50):6.1f} ms  "
                f"p99 {pct(values, 99):6.1f} ms"
            )
    finally:
        server.stop()
        pg.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
