"""What every section of a report shares: the query parameters, the summaries' months."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

EPOCH = datetime(1900, 1, 1, tzinfo=UTC)
FRESH_DAYS = 90

_PUBLISHED = "o.snapshot_version IS NOT NULL AND o.status = 'published'"
_START = "CAST(:start AS timestamptz)"
_END = "CAST(:end AS timestamptz)"


def _within(column: str) -> str:
    return f"({column} >= {_START} AND {column} < {_END})"


class _Q:
    """The session and the parameters every query of one report shares."""

    def __init__(
        self, session: AsyncSession, tenant: str | None, start: datetime, end: datetime
    ) -> None:
        self.session = session
        self.params: dict[str, Any] = {"tenant": tenant, "start": start, "end": end}
        self.tenant = tenant
        # Results that more than one section reads, computed once per report.
        self.shared: dict[str, Any] = {}

    # The SQL differs for the region and for one municipality (rather than `:t IS NULL OR …`),
    # so that each gets a plan that uses the tenant indexes.
    def scope(self, column: str = "tenant") -> str:
        return "TRUE" if self.tenant is None else f"{column} = CAST(:tenant AS text)"

    @property
    def offering_scope(self) -> str:
        return "TRUE" if self.tenant is None else "o.tenants @> ARRAY[CAST(:tenant AS text)]"

    @property
    def cohort(self) -> str:
        """The referrals sent in the period."""
        return f"{self.scope('r.tenant')} AND {_within('r.requested_at')}"

    async def rows(self, sql: str, **extra: Any) -> list[Any]:
        return list((await self.session.execute(text(sql), {**self.params, **extra})).all())

    async def one(self, sql: str, **extra: Any) -> Any:
        return (await self.session.execute(text(sql), {**self.params, **extra})).one()


_T = TypeVar("_T")


def _per_report(compute: Callable[[_Q], Awaitable[_T]]) -> Callable[[_Q], Awaitable[_T]]:
    """A result that more than one section reads: computed on first use, kept in `q.shared`."""

    @functools.wraps(compute)
    async def once(q: _Q) -> _T:
        if compute.__name__ not in q.shared:
            q.shared[compute.__name__] = await compute(q)
        return cast(_T, q.shared[compute.__name__])

    return once


# --- monthly summaries (ADR 0046) ---------------------------------------------------------------
#
# The database keeps summaries per municipality and calendar month (Europe/Warsaw) of referrals by
# the month they were sent and of cases by the months they were opened and closed. A period
# [:start, :end) is read as the whole months [:fs, :fe) from the summaries, where :fs and :fe are
# :start and :end rounded up to a month, plus the rows in [:start, :fs) and minus those in
# [:end, :fe), through the functions that also recompute a month. Every figure read this way is a
# sum, so the rows come with a weight `w` (1 or -1). For a report both edges are empty; for the
# monitoring view (up to now) the second holds only what is dated later than now this month.


def _sum(expression: str, where: str | None = None) -> str:
    filtered = f" FILTER (WHERE {where})" if where else ""
    return f"CAST(COALESCE(sum(w * {expression}){filtered}, 0) AS bigint)"


async def _whole_months(q: _Q, **period: Any) -> dict[str, Any]:
    """:fs and :fe, the period's :start and :end (or the `start` and `end` given) rounded up to
    the start of a month by the database's own month function, so that they meet the summaries'
    months exactly."""
    fs, fe = await q.one(
        """
        SELECT CASE WHEN ev_month(a) = a THEN a ELSE ev_next_month(ev_month(a)) END,
               CASE WHEN ev_month(z) = z THEN z ELSE ev_next_month(ev_month(z)) END
        FROM (SELECT CAST(:start AS timestamptz) AS a, CAST(:end AS timestamptz) AS z) b
        """,
        **period,
    )
    return {"fs": fs, "fe": fe}


def _months(q: _Q, table: str, facts: str) -> str:
    """A referral summary's rows for the cohort of the period, weighted (see above)."""
    return f"""(
        SELECT 1 AS w, s.* FROM {table} s
        WHERE {q.scope("s.tenant")} AND s.month >= CAST(:fs AS timestamptz)
          AND s.month < CAST(:fe AS timestamptz)
        UNION ALL
        SELECT 1, * FROM {facts}(CAST(:tenant AS text), CAST(:start AS timestamptz),
                                 CAST(:fs AS timestamptz))
        UNION ALL
        SELECT -1, * FROM {facts}(CAST(:tenant AS text), CAST(:end AS timestamptz),
                                  CAST(:fe AS timestamptz))
    )"""


def _case_months(q: _Q) -> str:
    """The case summary's rows for cases opened or closed in the period, weighted (see above),
    with opened_in / closed_in saying which (a case may be in both)."""
    columns = (
        "opened_month, closed_month, close_reason, n, consented, plans, goal_count, "
        "action_count, actions_done, goals_set, goals_reached"
    )
    whole = "{0} >= CAST(:fs AS timestamptz) AND {0} < CAST(:fe AS timestamptz)"
    opened, closed = (
        f"({whole.format(column)})" for column in ("s.opened_month", "s.closed_month")
    )
    return f"""(
        SELECT 1 AS w, s.tenant, COALESCE({opened}, false) AS opened_in,
               COALESCE({closed}, false) AS closed_in, {columns}
        FROM ev_case_months s WHERE {q.scope("s.tenant")} AND ({opened} OR {closed})
        UNION ALL
        SELECT 1, tenant, opened_in, closed_in, {columns}
        FROM ev_case_facts(CAST(:tenant AS text), CAST(:start AS timestamptz),
                           CAST(:fs AS timestamptz))
        UNION ALL
        SELECT -1, tenant, opened_in, closed_in, {columns}
        FROM ev_case_facts(CAST(:tenant AS text), CAST(:end AS timestamptz),
                           CAST(:fe AS timestamptz))
    )"""


_REFERRALS = ("ev_referral_months", "ev_referral_facts")
_SECTORS = ("ev_referral_sector_months", "ev_referral_sector_facts")
_SERVICES = ("ev_referral_service_months", "ev_referral_service_facts")
_DAYS_HISTOGRAM = ("ev_referral_day_months", "ev_referral_day_facts")
