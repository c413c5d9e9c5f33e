"""The trend section over the periods."""

from __future__ import annotations

from typing import Any

from evaluation.domain.disclosure import Count
from evaluation.domain.periods import Period
from evaluation.domain.report import Section, Table
from evaluation.views.common import (
    _Q,
    _REFERRALS,
    _case_months,
    _months,
    _sum,
    _whole_months,
    _within,
)


async def _trend(q: _Q, periods: list[Period]) -> Section:
    section = Section("trend", "Trendy")
    table = Table(
        "trend",
        "Trend w kolejnych okresach",
        ["Okres", "Sprawy założone", "Skierowania wysłane", "Przyjęte", "Zakończone",
         "Spotkania partnerstwa"],
        chart="line",
    )  # fmt: skip
    # One scan per table: each row falls into a bucket by the period bounds (width_bucket).
    bounds = [p.start for p in periods] + [periods[-1].end]
    span: dict[str, Any] = {"start": bounds[0], "end": bounds[-1], "bounds": bounds}
    span |= await _whole_months(q, **span)

    def bucket(column: str) -> str:
        return f"width_bucket({column}, CAST(:bounds AS timestamptz[]))"

    cases = dict(
        await q.rows(
            f"""SELECT {bucket("opened_month")}, {_sum("n")} FROM {_case_months(q)} f
                WHERE opened_in GROUP BY 1""",
            **span,
        )
    )
    referrals = {
        b: (sent, acc, done)
        for b, sent, acc, done in await q.rows(
            f"""SELECT {bucket("month")}, {_sum("n")}, {_sum("accepted")}, {_sum("completed")}
                FROM {_months(q, *_REFERRALS)} f GROUP BY 1""",
            **span,
        )
    }
    meetings = dict(
        await q.rows(
            f"""SELECT {bucket("m.held_at")}, count(*) FROM ev_meetings m
                WHERE {q.scope("m.tenant")} AND NOT m.cancelled AND {_within("m.held_at")}
                GROUP BY 1""",
            **span,
        )
    )
    for i, period in enumerate(periods, start=1):
        sent, accepted, completed = referrals.get(i, (0, 0, 0))
        table.add(
            period.code, period.label,
            Count(cases.get(i, 0)), Count(sent), Count(accepted), Count(completed),
            meetings.get(i, 0),
        )  # fmt: skip
    section.tables.append(table)
    return section
