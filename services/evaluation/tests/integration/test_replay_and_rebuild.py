"""Replaying the history again, in another order, changes no figure; a rebuild from the streams
gives the same figures as the live read models; the projector is order-tolerant on its own."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text

from evaluation import views
from evaluation.adapters.projection import project
from evaluation.domain.periods import Period
from shared.db import create_engine, session_factory

A = "1219053"


async def figures(evaluation) -> list[dict[str, Any]]:
    """Every view the tests compare, without the time it was generated."""
    out = []
    for user, params in (
        ("analyst", {}),
        ("analyst", {"tenant": A}),
        ("analyst", {"period": "2026-Q3"}),
        ("coord-a", {"period": "2026-Q3"}),
        ("coord-b", {"period": "2026"}),
    ):
        url = "/v1/reports" if "period" in params else "/v1/monitoring"
        response = await evaluation.get(user, url, **params)
        assert response.status_code == 200, response.text
        body = response.json()
        body.pop("generated_at")
        out.append(body)
    return out


async def test_the_same_events_again_and_shuffled_change_nothing(evaluation, scripted):
    before = await figures(evaluation)
    duplicates = sum(s.duplicates for s in evaluation.stats.values())
    again = list(scripted)
    random.Random(11).shuffle(again)
    # New message ids: JetStream stores them again, as after its duplicate window.
    await evaluation.feed(again, fresh_ids=True)
    assert sum(s.duplicates for s in evaluation.stats.values()) == duplicates + len(scripted)
    assert await figures(evaluation) == before


async def test_rebuild_from_the_streams_equals_the_live_read_models(evaluation):
    live = await figures(evaluation)
    # Damage the live read models: the rebuild must not depend on them.
    async with evaluation.runtime.engine.begin() as conn:
        await conn.execute(text("DELETE FROM ev_referrals WHERE tenant = :t"), {"t": A})
        await conn.execute(text("UPDATE ev_memberships SET state = 'left'"))
    assert await figures(evaluation) != live

    response = await evaluation.post("admin", "/v1/admin/rebuild", {})
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["events"]["cases"] > 0
    assert result["events"]["partners"] > 0
    assert await figures(evaluation) == live

    async with evaluation.runtime.engine.connect() as conn:
        schemas = (
            await conn.execute(
                text("SELECT count(*) FROM pg_namespace WHERE nspname = 'ev_rebuild'")
            )
        ).scalar()
    assert schemas == 0


async def test_only_regional_admins_rebuild(evaluation):
    response = await evaluation.post("analyst", "/v1/admin/rebuild", {})
    assert response.status_code == 403


async def test_projection_is_idempotent_and_order_tolerant(databases, scripted):
    """Straight through the projector: in order, reversed, shuffled with every event twice."""
    orders = [
        list(scripted),
        list(reversed(scripted)),
        random.Random(3).sample(scripted * 2, len(scripted) * 2),
    ]
    results = []
    for events in orders:
        engine = create_engine(await databases.create("evaluation"), pool_size=1)
        try:
            sessions = session_factory(engine)
            async with sessions() as session, session.begin():
                # One event per call, then the bulk path for the rest: both must agree.
                half = len(events) // 2
                for event in events[:half]:
                    await project(session, [(event, event.payload())])
                await project(session, [(e, e.payload()) for e in events[half:]])
            async with sessions() as session:
                now = datetime(2026, 11, 23, 12, tzinfo=UTC)
                reports = [
                    await views.report(session, A, Period.parse("2026-Q3"), now),
                    await views.monitoring(session, None, now),
                ]
            results.append([r.disclosed().as_json() for r in reports])
        finally:
            await engine.dispose()
    assert results[0] == results[1] == results[2]
