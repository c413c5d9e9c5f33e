"""Benchmark of the cases service's hot paths against a bare baseline, in the same run.

1. A case manager's view of a case (case, family, team, plan, referrals — with the consent check
   and the access-log write, exactly as GET /v1/cases/{id} runs it on the autocommit engine) at 50
   concurrent clients, with 100,000 cases in the database; baseline: the same statements bare
   on an asyncpg pool.
2. Referral creation through the handler (consent check, offering read model, the referral, the
   access-log entry and the outbox row in one transaction); baseline: a bare INSERT of the row.

    uv run python bench/cases_view.py [--cases 100000] [--clients 50] [--requests 40]

Uses DATABASE_URL when set (a server where it may create a database), else starts an embedded
PostgreSQL in a temporary folder. Goals: view p99 < 50 ms, referral creation p99 < 80 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

from cases.adapters.crypto import PeselVault, decode_key, new_key
from cases.adapters.orm import start_mappers
from cases.adapters.reads import CaseReadUnitOfWork, logged
from cases.adapters.repository import SNAPSHOT
from cases.adapters.sealing import use_vault
from cases.adapters.uow import SqlUnitOfWork
from cases.domain.pesel import with_check_digit
from cases.domain.policy import Actor
from cases.service import commands as c
from cases.service import handlers
from cases.service.publishing import translate
from cases.views import case_view, view_query
from shared.db import create_engine, session_factory
from shared.db.engine import create_read_engine, plain_url
from shared.db.migrations import upgrade
from shared.runtime import freeze_startup_objects
from shared.testing.servers import Postgres

ROOT = Path(__file__).resolve().parents[1]
TENANT = "1219053"
SCHOOL = uuid.UUID("7a1c3e52-5d0b-4a53-9b1e-2f6d0c8a0001")
SERVICE = uuid.UUID("7a1c3e52-5d0b-4a53-9b1e-2f6d0c8a0f01")
MANAGERS = 50


def manager(i: int) -> str:
    return f"bench-manager-{i % MANAGERS}"


async def load(url: str, n: int, vault: PeselVault) -> list[tuple[uuid.UUID, str]]:
    """Bulk-load n cases with a family of two, a consent, a team member, a plan and a referral."""
    conn = await asyncpg.connect(plain_url(url))
    now = datetime.now(UTC)
    opened = now - timedelta(days=30)
    cases, family, consents, team, plans, referrals = [], [], [], [], [], []
    goals = json.dumps(
        [{"id": "g1", "title": "Cel", "actions": [
            {"id": "a1", "title": "Działanie", "responsible": {"kind": "family"},
             "due_on": None, "status": "planned"}]}]
    )  # fmt: skip
    history = json.dumps(
        [{"from": None, "to": "draft", "at": opened.isoformat(), "by": "m", "party": "sender"}]
    )
    pesel = with_check_digit("8503150123")
    sealed = vault.seal(pesel)
    index = []
    for i in range(n):
        case_id, mother, member = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        subject = manager(i)
        index.append((case_id, subject))
        cases.append((case_id, TENANT, subject, subject, "support", opened, None, None, None, 2))
        family.append((mother, case_id, TENANT, "Ewa", f"Testowa{i}", 1985, "matka", "+48 1",
                       None, "ul. Fikcyjna 1", sealed.ciphertext, sealed.lookup_hash, None,
                       sealed.key_id, sealed.hash_key_id))  # fmt: skip
        family.append((uuid.uuid4(), case_id, TENANT, "Jan", f"Testowy{i}", 2014, "syn", None,
                       None, None, None, None, None, None, None))  # fmt: skip
        consents.append((uuid.uuid4(), case_id, TENANT, mother, opened, "paper", [SCHOOL], [],
                         ["diagnosis", "plan", "referrals", "meetings", "contact"], subject,
                         opened, None, None, None, None))  # fmt: skip
        team.append((member, case_id, TENANT, SCHOOL, "education", "active", opened, subject,
                     "pedagog", None, "partner-sub", "partner-a", opened, None))  # fmt: skip
        # The free text sealed for its row, as the service stores it (ADR 0017).
        plan_id, referral_id = uuid.uuid4(), uuid.uuid4()
        plans.append(
            (
                plan_id,
                case_id,
                TENANT,
                1,
                vault.seal_text("plan_versions.goals", plan_id, goals),
                subject,
                opened,
            )
        )
        referrals.append((referral_id, case_id, TENANT, SERVICE, SCHOOL, "education",
                          "accepted", subject, opened, None, "available", None, opened, opened,
                          None, None, None, None,
                          vault.seal_text("referrals.history", referral_id, history)))  # fmt: skip
    tables = {
        "cases": cases, "family_members": family, "consents": consents, "team_members": team,
        "plan_versions": plans, "referrals": referrals,
    }  # fmt: skip
    columns = {
        t: [r["column_name"] for r in await conn.fetch(
            "SELECT column_name FROM information_schema.columns WHERE table_name = $1 "
            "ORDER BY ordinal_position", t)]
        for t in tables
    }  # fmt: skip
    await conn.execute(
        "INSERT INTO institutions VALUES ($1, 'Szkoła Podstawowa nr 1', 'education', $2, now())",
        SCHOOL,
        [TENANT],
    )
    await conn.execute(
        "INSERT INTO offerings VALUES ($1, $2, 'education', 'Zajęcia', 'public_education', 'x',"
        " 'published', $3, 'available', NULL, 'free', true, now())",
        SERVICE,
        SCHOOL,
        [TENANT],
    )
    for table, rows in tables.items():
        await conn.copy_records_to_table(table, records=rows, columns=columns[table])
    await conn.execute("VACUUM ANALYZE")  # so autovacuum does not run during the measurement
    await conn.close()
    return index


def summary(name: str, samples: list[float], cpu: str = "") -> dict[str, float]:
    ordered = sorted(samples)
    p = {
        "p50": statistics.median(ordered) * 1000,
        "p99": ordered[int(len(ordered) * 0.99) - 1] * 1000,
        "n": float(len(ordered)),
    }
    print(f"  {name:<44} p50 {p['p50']:7.2f} ms   p99 {p['p99']:7.2f} ms   (n={len(ordered)})")
    if cpu:
        print(f"  {'':<44} {cpu}")
    return p


def postgres_cpu(server: Postgres | None) -> float | None:
    """CPU seconds the embedded server's processes have used (None for a server elsewhere)."""
    if server is None:
        return None
    postmaster = (server.data_dir / "postmaster.pid").read_text().split()[0]
    total = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if pid == postmaster:  # itself and its children that have exited
            total += sum(int(x) for x in stat[11:15])
        elif stat[1] == postmaster:
            total += int(stat[11]) + int(stat[12])
    return total / os.sysconf("SC_CLK_TCK")


async def run_clients(
    clients: int, requests: int, call: Callable[[int], Awaitable[None]]
) -> list[float]:
    samples: list[float] = []

    async def client(k: int) -> None:
        for _ in range(requests):
            start = time.perf_counter()
            await call(k)
            samples.append(time.perf_counter() - start)

    await asyncio.gather(*(client(k) for k in range(clients)))
    return samples


async def measured(
    clients: int, requests: int, call: Callable[[int], Awaitable[None]], server: Postgres | None
) -> tuple[list[float], str]:
    """The samples, and the CPU time per request of this process (the handler, or asyncpg
    alone) and of PostgreSQL: on two cores they are what bounds the throughput."""
    python, postgres = time.process_time(), postgres_cpu(server)
    samples = await run_clients(clients, requests, call)
    python = (time.process_time() - python) * 1000 / len(samples)
    cpu = f"CPU per request: Python {python:.2f} ms"
    after = postgres_cpu(server)
    if postgres is not None and after is not None:
        cpu += f", PostgreSQL {(after - postgres) * 1000 / len(samples):.2f} ms"
    return samples, cpu


# The same statements the service runs for the view, bare: the policy inputs in one round trip,
# then the parts of the view and the access-log entry in one round trip.
BARE_SNAPSHOT = SNAPSHOT
BARE_VIEW = logged(view_query(("names", "family", "plan", "referrals")), 2)


async def main(n: int, clients: int, requests: int, without_notify: bool = False) -> None:
    start_mappers()
    url = os.environ.get("DATABASE_URL")
    server = None
    data_dir = Path(tempfile.mkdtemp(prefix="cases-bench-", dir="/tmp"))
    if url is None:
        server = Postgres(data_dir, fast=True)
        server.start()
        url = server.url()
    admin = await asyncpg.connect(plain_url(url))
    database = f"cases_bench_{uuid.uuid4().hex[:8]}"
    await admin.execute(f'CREATE DATABASE "{database}"')
    await admin.close()
    from sqlalchemy.engine import make_url

    db_url = make_url(url).set(database=database).render_as_string(hide_password=False)
    try:
        await asyncio.to_thread(upgrade, ROOT / "services" / "cases", db_url)
        vault = PeselVault(decode_key(new_key(), "k"), decode_key(new_key(), "h"))
        t0 = time.perf_counter()
        index = await load(db_url, n, vault)
        if without_notify:
            conn = await asyncpg.connect(plain_url(db_url))
            await conn.execute("ALTER TABLE outbox DISABLE TRIGGER outbox_notify")
            await conn.close()
            print("outbox NOTIFY trigger disabled")
        print(f"loaded {n} cases (+2 people, consent, member, plan, referral each) "
              f"in {time.perf_counter() - t0:.1f} s")  # fmt: skip
        engine = create_engine(db_url, pool_size=clients)
        sessions = session_factory(engine)
        use_vault(vault, sessions)
        # The view runs on the autocommit engine without a Session, as GET /v1/cases/{id} does
        # (ADR 0007, ADR 0028).
        read_engine = create_read_engine(db_url, pool_size=clients)
        pool = await asyncpg.create_pool(plain_url(db_url), min_size=clients, max_size=clients)
        by_manager: dict[str, list[uuid.UUID]] = {}
        for case_id, subject in index:
            by_manager.setdefault(subject, []).append(case_id)
        actors = [
            Actor(manager(k), manager(k), frozenset({"case-manager"}), frozenset({TENANT}), None)
            for k in range(max(clients, 10))
        ]

        async def view(k: int) -> None:
            actor = actors[k]
            case_id = random.choice(by_manager[actor.subject])

            async def fetch(u: CaseReadUnitOfWork, auth: handlers.Authorized) -> object:
                return await case_view(u, auth, vault)

            await handlers.read_case_data(
                c.ReadCaseData(case_id, "case", None),
                uow=CaseReadUnitOfWork(read_engine, vault),
                actor=actor,
                fetch=fetch,
            )

        async def bare_view(k: int) -> None:
            case_id = random.choice(by_manager[manager(k)])
            async with pool.acquire() as conn:  # autocommit statements, as the service's reads
                await conn.fetch(BARE_SNAPSHOT, case_id)
                await conn.fetch(
                    BARE_VIEW, case_id, None, case_id, TENANT, datetime.now(UTC), "m", "m",
                    "case-manager", "case_manager", None, "read", "case", "praca z rodziną", "m",
                    "allowed",
                )  # fmt: skip

        async def create(k: int) -> None:
            actor = actors[k]
            case_id = random.choice(by_manager[actor.subject])
            await handlers.create_referral(
                c.CreateReferral(case_id, SERVICE),
                uow=SqlUnitOfWork(sessions, translate),
                actor=actor,
            )

        async def bare_create(k: int) -> None:
            case_id = random.choice(by_manager[manager(k)])
            await pool.execute(
                "INSERT INTO referrals (id, case_id, tenant, service_id, institution_id, sector,"
                " state, created_by, created_at, history) VALUES ($1, $2, $3, $4, $5,"
                " 'education', 'requested', 'm', now(), '[]')",
                uuid.uuid4(),
                case_id,
                TENANT,
                SERVICE,
                SCHOOL,
            )

        # As every service does once started (shared.runtime, ADR 0008): what was built so far —
        # here also the index of 100,000 cases — is kept out of full collections.
        freeze_startup_objects()
        await run_clients(clients, 3, view)  # warm up both paths
        await run_clients(clients, 3, bare_view)
        print(f"case manager's view, {clients} concurrent clients x {requests} requests:")
        view_p = summary("view (handler + consent + access log)", *await measured(
            clients, requests, view, server))  # fmt: skip
        bare_p = summary("bare asyncpg (same statements)", *await measured(
            clients, requests, bare_view, server))  # fmt: skip
        print(f"  ratio p50 {view_p['p50'] / bare_p['p50']:.2f}x, "
              f"p99 {view_p['p99'] / bare_p['p99']:.2f}x; goal p99 < 50 ms: "
              f"{'met' if view_p['p99'] < 50 else 'NOT met'}")  # fmt: skip
        creators = min(10, clients)
        await run_clients(creators, 3, create)
        print(f"referral creation, {creators} concurrent clients x {requests} requests:")
        create_p = summary("handler (checks + referral + log + outbox)", await run_clients(
            creators, requests, create))  # fmt: skip
        bare_c = summary("bare INSERT", await run_clients(creators, requests, bare_create))
        print(f"  ratio p50 {create_p['p50'] / bare_c['p50']:.2f}x, "
              f"p99 {create_p['p99'] / bare_c['p99']:.2f}x; goal p99 < 80 ms: "
              f"{'met' if create_p['p99'] < 80 else 'NOT met'}")  # fmt: skip
        async with pool.acquire() as conn:
            outbox = await conn.fetchval("SELECT count(*) FROM outbox")
            entries = await conn.fetchval("SELECT count(*) FROM access_log")
        print(f"  outbox rows written: {outbox}; access-log entries: {entries}")
        await pool.close()
        await engine.dispose()
        await read_engine.dispose()
    finally:
        admin = await asyncpg.connect(plain_url(url))
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.close()
        if server is not None:
            server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument(
        "--without-notify",
        action="store_true",
        help="disable the outbox NOTIFY trigger (to measure what it costs concurrent commits)",
    )
    args = parser.parse_args()
    asyncio.run(main(args.cases, args.clients, args.requests, args.without_notify))
