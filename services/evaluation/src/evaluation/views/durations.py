"""Durations: the per-day histograms and the percentiles read off an index."""

from __future__ import annotations

import math

from evaluation.views.common import (
    _DAYS_HISTOGRAM,
    _Q,
    _months,
    _per_report,
    _sum,
)

_DAYS = "EXTRACT(EPOCH FROM ({a} - {b})) / 86400.0"


@_per_report
async def _days(q: _Q) -> dict[str, dict[int, int]]:
    """Histograms by whole day of the time to accept and to complete the referrals sent in the
    period and of the duration of the cases closed in it (ADR 0046), read once per report."""
    days: dict[str, dict[int, int]] = {"accept": {}, "complete": {}, "duration": {}}
    for kind, day, n in await q.rows(
        f"""
        SELECT kind, day, {_sum("n")} FROM {_months(q, *_DAYS_HISTOGRAM)} f
        GROUP BY 1, 2 HAVING sum(w * n) <> 0
        """
    ):
        days[kind][day] = n
    return days


async def _percentiles(
    q: _Q, value: str, source: str, where: str, n: int, days: dict[int, int] | None = None
) -> tuple[float | None, float | None]:
    """The median and 90th percentile of `value` over the `n` rows of `source` matching `where`,
    exactly as `percentile_cont(0.5)` / `(0.9)` computes them, but from the two neighbouring
    order statistics read off an index on `value` (ADR 0045) rather than by sorting every row:
    a walk from the nearer end, OFFSET k LIMIT 2. `n` is the count of those rows, known from the
    section's counts. With `days`, their histogram by whole days of `value` (ADR 0046), the walk
    starts at the day that holds the wanted row."""
    if days is not None and sum(days.values()) != n:
        days = None  # the rows changed between the two reads: walk from an end
    results: list[float | None] = []
    for fraction in (0.5, 0.9):
        if n <= 0:
            results.append(None)
            continue
        position = fraction * (n - 1)
        lo, hi = math.floor(position), math.ceil(position)
        ascending, offset, from_day = lo <= (n - 1) - hi, 0, None
        if days is not None:  # the day holding the lo-th row, and the rows before it
            ascending, before = True, 0
            for day in sorted(days):
                if before + days[day] > lo:
                    offset, from_day = before, day
                    break
                before += days[day]
        # The day, offset and limit are written into the statement, not bound: with parameters
        # PostgreSQL soon switches to a generic plan that cannot tell a walk of a few rows from
        # one of the whole index, and sorts every row.
        start = f" AND {value} >= {int(from_day)}" if from_day is not None else ""
        skip = lo - offset if ascending else n - 1 - hi
        picked = await q.rows(
            f"""
            SELECT CAST({value} AS double precision) FROM {source} WHERE {where}{start}
            ORDER BY {value} {"ASC" if ascending else "DESC"}
            OFFSET {int(skip)} LIMIT {int(hi - lo + 1)}
            """
        )
        values = [v for (v,) in picked]
        if len(values) < hi - lo + 1:  # the rows changed between the count and the walk
            results.append(None)
            continue
        if not ascending:
            values.reverse()
        first, second = values[0], values[-1]  # the lo-th and the hi-th value
        # float8 interpolation as in PostgreSQL's percentile_cont: lo + (hi - lo) * proportion.
        results.append(first if lo == hi else first + (second - first) * (position - lo))
    return results[0], results[1]
