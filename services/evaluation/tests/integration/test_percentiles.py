"""The views' medians and 90th percentiles, read off an index walk (from an end, or from the day
that holds the row), equal `percentile_cont`."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from evaluation import views
from shared import clock
from shared.db import create_engine, session_factory


async def test_order_statistics_equal_percentile_cont(databases):
    engine = create_engine(await databases.create("evaluation"), pool_size=1)
    rng = random.Random(7)
    try:
        async with session_factory(engine)() as session:
            q = views._Q(session, None, datetime(2026, 1, 1, tzinfo=UTC), clock.now())
            source = "(SELECT CAST(x AS numeric) / 24.0 AS v FROM unnest(CAST(:vals AS int[])) x) t"
            # Every n up to 25 takes each branch: ascending and descending walks, a position
            # falling on a row (n = 11: 0.9 * 10) or between two, ties.
            for n in range(1, 26):
                q.params["vals"] = [rng.randrange(0, 200) for _ in range(n)]
                expected = await q.one(
                    f"""SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY v),
                               percentile_cont(0.9) WITHIN GROUP (ORDER BY v) FROM {source}"""
                )
                assert await views._percentiles(q, "v", source, "TRUE", n) == tuple(expected)
                # Starting from the day that holds the row, as with the summaries' histograms.
                days: dict[int, int] = {}
                for hours in q.params["vals"]:
                    days[hours // 24] = days.get(hours // 24, 0) + 1
                walked = await views._percentiles(q, "v", source, "TRUE", n, days)
                assert walked == tuple(expected)
            assert await views._percentiles(q, "v", source, "TRUE", 0) == (None, None)
    finally:
        await engine.dispose()
