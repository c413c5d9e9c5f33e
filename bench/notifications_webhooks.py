"""Benchmark of the notifications service's webhook path: events in → signed deliveries out.

A producer process commits events into an outbox (one transaction per event, at a steady rate),
the outbox relay publishes them to JetStream, the service's durable consumer takes them in (journal,
entitlement, one delivery row per endpoint), and its delivery workers POST them, signed, to local
receivers (20 endpoints by default, served by a separate uvicorn process). Measured: deliveries per
second, and the latency from the producing commit to the receiver, p50 / p99.

    uv run python bench/notifications_webhooks.py [--rate 100] [--seconds 20] [--endpoints 20]

Uses NATS_URL / DATABASE_URL when set, else starts nats-server and an embedded PostgreSQL in a
temporary folder. Goal: p99 < 500 ms at 100 events/s with 20 endpoints.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from pathlib import Path

import asyncpg
import httpx
import uvloop
from sqlalchemy import insert, text

from notifications.adapters.orm import endpoints
from notifications.bootstrap import build
from notifications.config import NotificationsSettings
from notifications.domain.signing import new_secret
from shared.db.migrations import upgrade
from shared.testing.servers import NatsServer, Postgres, free_port, wait_for_port

TENANT = "1219053"
SERVICE_DIR = Path(__file__).resolve().parents[1] / "services" / "notifications"

RECEIVER = textwrap.dedent(
    """
    import json, sys, time
    import uvicorn

    seen = []

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        if scope["method"] == "POST":
            headers = dict(scope["headers"])
            seen.append((headers[b"webhook-id"].decode(), scope["path"], time.time()))
            payload = b""
        elif scope["path"] == "/count":  # polled while waiting: cheap for both sides
            payload = str(len(seen)).encode()
        else:
            payload = json.dumps(seen).encode()
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", str(len(payload)).encode())]})
        await send({"type": "http.response.body", "body": payload})

    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning",
                loop="uvloop", http="httptools", access_log=False)
    """
)


PRODUCER = textwrap.dedent(
    """
    import asyncio, json, sys, time, uuid
    import asyncpg
    from shared.contracts import CloudEvent
    from shared.contracts.basket import CapacityChanged

    async def main(url, rate, total, objects, out):
        conn = await asyncpg.connect(url)
        subjects = [uuid.uuid4() for _ in range(objects)]
        committed = {}
        start = time.perf_counter()
        for n in range(total):
            subject = subjects[n % objects]
            event = CloudEvent.wrap(
                CapacityChanged(service_id=subject, institution_id=uuid.uuid4(),
                                capacity_status="waitlist", waiting_days=n),
                source="/cus/basket", tenant="1219053", subject=str(subject))
            # One transaction per event, as a producing service commits its change + outbox row.
            await conn.execute(
                "INSERT INTO outbox (event_id, subject, tenant, body) VALUES ($1, $2, $3, $4)",
                event.id, event.type, event.tenant, event.model_dump_json().encode())
            committed[str(event.id)] = time.time()
            delay = start + (n + 1) / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
        elapsed = time.perf_counter() - start
        await conn.close()
        with open(out, "w") as f:
            json.dump({"committed": committed, "elapsed": elapsed}, f)

    asyncio.run(main(sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]),
                     sys.argv[5]))
    """
)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=100.0, help="events per second")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--endpoints", type=int, default=20)
    parser.add_argument("--objects", type=int, default=500, help="distinct event subjects")
    parser.add_argument("--workers", type=int, default=2, help="delivery workers")
    parser.add_argument("--receivers", type=int, default=2, help="receiver processes")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-notif-", dir="/tmp"))
    work.chmod(0o755)
    started: list[NatsServer | Postgres] = []
    if os.environ.get("NATS_URL"):
        nats_url = os.environ["NATS_URL"]
    else:
        nats = NatsServer(work / "nats").start()
        started.append(nats)
        nats_url = nats.url
    if os.environ.get("DATABASE_URL"):
        admin_url = os.environ["DATABASE_URL"]
    else:
        pg = Postgres(work / "pg", fast=True).start()
        started.append(pg)
        admin_url = pg.url()
    database = f"bench_notifications_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(admin_url.replace("+asyncpg", ""))
    await conn.execute(f'CREATE DATABASE "{database}"')
    await conn.close()
    db_url = admin_url.rsplit("/", 1)[0] + "/" + database
    await asyncio.to_thread(upgrade, SERVICE_DIR, db_url)

    ports = [free_port() for _ in range(args.receivers)]
    script = work / "receiver.py"
    script.write_text(RECEIVER)
    receivers = [
        subprocess.Popen([sys.executable, str(script), str(port)])  # noqa: ASYNC220
        for port in ports
    ]
    try:
        for port, receiver in zip(ports, receivers, strict=True):
            wait_for_port(port, 15, receiver)
        await run(args, nats_url, db_url, ports)
    finally:
        for receiver in receivers:
            receiver.terminate()
            receiver.wait(10)
        for server in started:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)


async def run(args: argparse.Namespace, nats_url: str, db_url: str, ports: list[int]) -> None:
    settings = NotificationsSettings(
        database_url=db_url,
        nats_url=nats_url,
        webhook_allowlist=["127.0.0.1"],
        delivery_workers=args.workers,
        delivery_poll_s=0.05,
        reminder_interval_s=3600,
        db_pool_size=10,
        log_level="WARNING",
    )
    built = build(settings)
    runtime = built.runtime
    async with runtime.sessions() as session, session.begin():
        await session.execute(
            insert(endpoints),
            [
                {"id": uuid.uuid4(), "institution_id": uuid.uuid4(), "tenants": [TENANT],
                 "url": f"http://127.0.0.1:{ports[n % len(ports)]}/hook/{n}",
                 "secret": new_secret(), "event_types": []}
                for n in range(args.endpoints)
            ],
        )  # fmt: skip
    total = int(args.rate * args.seconds)
    out = Path(tempfile.mkdtemp(prefix="bench-notif-out-", dir="/tmp")) / "committed.json"
    atexit.register(shutil.rmtree, out.parent, True)
    script = out.parent / "producer.py"
    script.write_text(PRODUCER)
    async with built.app.router.lifespan_context(built.app):
        await asyncio.wait_for(runtime.broker_ready.wait(), 30)
        await asyncio.sleep(1.0)
        print(f"producing {total} events at {args.rate:.0f}/s to {args.endpoints} endpoints …")
        cpu_start = time.process_time()
        producer = await asyncio.create_subprocess_exec(
            sys.executable, str(script), db_url.replace("+asyncpg", ""), str(args.rate),
            str(total), str(args.objects), str(out),
        )  # fmt: skip
        await producer.wait()
        produced = json.loads(out.read_text())
        committed: dict[str, float] = produced["committed"]
        produced_in = produced["elapsed"]
        expected = total * args.endpoints
        async with httpx.AsyncClient(timeout=30) as client:
            deadline = time.monotonic() + 180
            while True:
                # Only counts while waiting: the whole list once, after the CPU figure is taken
                # (decoding it every poll cost the service's process 10 % of its CPU).
                count = 0
                for port in ports:
                    count += int((await client.get(f"http://127.0.0.1:{port}/count")).text)
                if count >= expected or time.monotonic() > deadline:
                    cpu_used = time.process_time() - cpu_start
                    break
                await asyncio.sleep(0.5)
            seen = []
            for port in ports:
                seen += (await client.get(f"http://127.0.0.1:{port}/stats")).json()
        stages: dict[str, list[float]] = {"published": [], "taken_in": []}
        async with runtime.engine.connect() as conn:
            rows = await conn.execute(
                text(
                    "SELECT o.event_id, extract(epoch FROM o.published_at), "
                    "extract(epoch FROM e.received_at) FROM outbox o "
                    "JOIN events e ON e.event_id = o.event_id"
                )
            )
            for eid, published, taken in rows:
                stages["published"].append((float(published) - committed[str(eid)]) * 1000)
                stages["taken_in"].append((float(taken) - committed[str(eid)]) * 1000)
            failures = {
                str(error)[:80]: n
                for error, n in await conn.execute(
                    text(
                        "SELECT error, count(*) FROM delivery_attempts WHERE error IS NOT NULL "
                        "GROUP BY error ORDER BY 2 DESC LIMIT 5"
                    )
                )
            }
    latencies = [(at - committed[eid]) * 1000 for eid, _, at in seen if eid in committed]
    first = min(committed.values())
    last = max(at for _, _, at in seen)
    unique = len({(eid, path) for eid, path, _ in seen})
    print(
        json.dumps(
            {
                "events": total,
                "endpoints": args.endpoints,
                "rate_offered_per_s": args.rate,
                "produced_in_s": round(produced_in, 2),
                "deliveries_expected": expected,
                "deliveries_received": len(seen),
                "duplicates": len(seen) - unique,
                "deliveries_per_s": round(len(seen) / (last - first), 1),
                "latency_commit_to_receiver_ms": {
                    "p50": round(statistics.median(latencies), 1),
                    "p99": round(percentile(latencies, 0.99), 1),
                    "max": round(max(latencies), 1),
                },
                "goal_p99_ms": 500,
                "failed_attempts_by_error": failures,
                # CPU of the service's process (consumer, relay, workers) per delivery: a figure
                # that a busy machine changes much less than the rates and latencies above.
                "service_cpu_ms_per_delivery": round(cpu_used * 1000 / max(1, len(seen)), 3),
                "stages_ms_p50_p99": {
                    name: [round(statistics.median(v), 1), round(percentile(v, 0.99), 1)]
                    for name, v in stages.items()
                    if v
                },
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    # The services run under uvicorn, which uses uvloop; so does this benchmark.
    uvloop.run(main())
