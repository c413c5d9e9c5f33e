"""Read queries: the monitoring view and the evaluation report, computed from the read models.

Aggregates are computed here from per-object rows, for one municipality or for the region; the
figures about referrals and cases read whole months from the monthly summaries that the database
recomputes from those rows (never counters bumped by events, ADR 0046). Figures about cases and
referrals leave as `Count`/`Rate`/`Stat`, to be disclosed by `evaluation.domain.disclosure` only.

Flows (cases opened, referrals sent, meetings held…) are counted within the period; referral
figures follow the cohort of referrals sent in the period. States (memberships, coordinators, the
basket) are the current ones: the read models keep each object's latest state.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import math
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar, cast

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from evaluation.domain import labels as L
from evaluation.domain.disclosure import Count, Rate, Stat
from evaluation.domain.periods import Period
from evaluation.domain.report import Report, Section, Table
from evaluation.domain.suppression import Line, Ref, Relations
from shared.clock import WARSAW

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


# --- partnership ---------------------------------------------------------------------------------


async def _partnership(q: _Q) -> Section:
    section = Section("partnership", "Partnerstwo")
    rows = await q.rows(
        f"""
        SELECT COALESCE(i.sector, m.sector) AS sector, m.state, count(*)
        FROM ev_memberships m LEFT JOIN ev_institutions i USING (institution_id)
        WHERE {q.scope("m.tenant")}
        GROUP BY 1, 2
        """
    )
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for sector, state, n in rows:
        counts[sector][state] = n
    by_sector = Table(
        "members_by_sector",
        "Instytucje w partnerstwie według sektora i stanu członkostwa",
        ["Sektor", *L.MEMBERSHIP_STATES.values(), "Aktywne razem"],
    )
    for code, name in L.SECTORS.items():
        c = counts[code]
        active = sum(c[s] for s in L.ACTIVE_STATES)
        by_sector.add(code, name, *(c[s] for s in L.MEMBERSHIP_STATES), active)
    section.tables.append(by_sector)

    coverage = Table(
        "recommended_coverage",
        "Pokrycie sektorów zalecanych (edukacja, rynek pracy, wymiar sprawiedliwości, policja, "
        "ochrona zdrowia)",
        ["Sektor zalecany", "Aktywni członkowie", "Pokryty"],
    )
    covered = 0
    for code in L.RECOMMENDED_SECTORS:
        active = sum(counts[code][s] for s in L.ACTIVE_STATES)
        covered += active > 0
        coverage.add(code, L.sector(code), active, "tak" if active else "nie")
    section.tables.append(coverage)

    coord = await q.rows(
        f"""
        SELECT partnership_id, tenant, COALESCE(name, '(bez nazwy)'), coordinator_count
        FROM ev_partnerships WHERE {q.scope()} ORDER BY tenant, name
        """
    )
    coordinators = Table(
        "coordinators",
        "Koordynatorzy sieci w partnerstwach (zalecani co najmniej dwaj)",
        ["Partnerstwo", "Gmina", "Koordynatorzy"],
    )
    for pid, tenant, name, n in coord:
        coordinators.add(str(pid), name, tenant, n or 0)
    section.tables.append(coordinators)

    per_quarter = await q.rows(
        f"""
        SELECT to_char(held_at AT TIME ZONE 'Europe/Warsaw', 'YYYY-"Q"Q') AS quarter, count(*)
        FROM ev_meetings
        WHERE held_at IS NOT NULL AND NOT cancelled AND {q.scope()} AND {_within("held_at")}
        GROUP BY 1 ORDER BY 1
        """
    )
    meetings = Table(
        "meetings_per_quarter",
        "Spotkania partnerstwa odbyte w kwartałach",
        ["Kwartał", "Spotkania"],
    )
    for quarter, n in per_quarter:
        meetings.add(quarter, quarter, n)
    section.tables.append(meetings)

    attendance_rows = await q.rows(
        f"""
        WITH held AS (
            SELECT meeting_id, partnership_id FROM ev_meetings
            WHERE held_at IS NOT NULL AND NOT cancelled AND {q.scope()} AND {_within("held_at")}
        ), per_partnership AS (
            SELECT partnership_id, count(*) AS meetings FROM held GROUP BY partnership_id
        ), people AS (
            SELECT DISTINCT m.partnership_id, m.institution_id FROM ev_memberships m
            WHERE {q.scope("m.tenant")} AND m.state IN ('informal', 'declared')
            UNION
            SELECT h.partnership_id, a.institution_id
            FROM held h JOIN ev_meeting_attendance a USING (meeting_id)
        ), attended AS (
            SELECT h.partnership_id, a.institution_id, count(*) AS n
            FROM held h JOIN ev_meeting_attendance a USING (meeting_id)
            GROUP BY 1, 2
        )
        SELECT p.institution_id, COALESCE(i.name, p.institution_id::text), i.sector,
               COALESCE(at.n, 0) AS attended, COALESCE(pp.meetings, 0) AS meetings
        FROM people p
        LEFT JOIN attended at USING (partnership_id, institution_id)
        LEFT JOIN ev_institutions i USING (institution_id)
        LEFT JOIN per_partnership pp USING (partnership_id)
        ORDER BY 2
        """
    )
    attendance = Table(
        "attendance",
        "Obecność instytucji na spotkaniach partnerstwa",
        ["Instytucja", "Sektor", "Obecności", "Spotkania", "Frekwencja (%)"],
    )
    for iid, name, sector, attended, held in attendance_rows:
        share = round(100.0 * attended / held, 1) if held else None
        attendance.add(str(iid), name, L.sector(sector), attended, held, share)
    section.tables.append(attendance)

    declared = sum(c["declared"] for c in counts.values())
    informal = sum(c["informal"] for c in counts.values())
    meetings_held = sum(n for _, n in per_quarter)
    summary = Table("partnership_summary", "Partnerstwo w liczbach", ["Wskaźnik", "Wartość"])
    summary.chart = "none"
    summary.add("declared", "Członkowie z deklaracją przystąpienia", declared)
    summary.add("informal", "Członkowie uczestniczący nieformalnie", informal)
    summary.add("recommended_covered", "Pokryte sektory zalecane (z 5)", covered)
    summary.add("coordinators", "Koordynatorzy sieci", sum(n or 0 for *_, n in coord))
    summary.add(
        "understaffed",
        "Partnerstwa z mniej niż dwoma koordynatorami",
        sum(1 for *_, n in coord if (n or 0) < 2),
    )
    summary.add("meetings_held", "Spotkania partnerstwa odbyte", meetings_held)
    section.tables.insert(0, summary)
    return section


# --- basket --------------------------------------------------------------------------------------


async def _tenants(q: _Q) -> list[str]:
    if q.tenant:
        return [q.tenant]
    # The tenants of the cases by a walk of their index, one probe per municipality, rather
    # than reading every case.
    rows = await q.rows(
        """
        WITH RECURSIVE case_tenants AS (
            (SELECT tenant FROM ev_cases ORDER BY tenant LIMIT 1)
            UNION ALL
            SELECT (SELECT c.tenant FROM ev_cases c WHERE c.tenant > ct.tenant
                    ORDER BY c.tenant LIMIT 1)
            FROM case_tenants ct WHERE ct.tenant IS NOT NULL
        )
        SELECT tenant FROM ev_memberships UNION SELECT tenant FROM ev_partnerships
        UNION SELECT unnest(tenants) FROM ev_offerings
        UNION SELECT tenant FROM case_tenants WHERE tenant IS NOT NULL
        ORDER BY 1
        """
    )
    return [r[0] for r in rows if r[0]]


async def _missing_areas(q: _Q, tenants: list[str]) -> dict[str, list[str]]:
    rows = await q.rows(
        f"""
        SELECT DISTINCT t, o.area
        FROM ev_offerings o, unnest(o.tenants) AS t
        WHERE {_PUBLISHED} AND t = ANY(CAST(:tenants AS text[]))
        """,
        tenants=tenants,
    )
    present: dict[str, set[str]] = defaultdict(set)
    for tenant, area in rows:
        present[tenant].add(area)
    return {t: [a for a in L.AREAS if a not in present[t]] for t in tenants}


async def _basket(q: _Q, as_of: date, missing: dict[str, list[str]]) -> Section:
    section = Section("basket", "Lokalny Koszyk Usług")
    statuses = dict(
        await q.rows(
            f"""
            SELECT o.status, count(*) FROM ev_offerings o
            WHERE o.snapshot_version IS NOT NULL AND {q.offering_scope} GROUP BY 1
            """
        )
    )
    fresh = await q.one(
        f"""
        SELECT count(*) FILTER (WHERE o.last_verified_on >= CAST(:since AS date)),
               count(*) FILTER (WHERE o.capacity_status = 'no_capacity')
        FROM ev_offerings o WHERE {_PUBLISHED} AND {q.offering_scope}
        """,
        since=as_of - timedelta(days=FRESH_DAYS),
    )
    published = statuses.get("published", 0)

    def grouped(column: str) -> str:
        return f"""
            SELECT {column}, count(*) FROM ev_offerings o
            WHERE {_PUBLISHED} AND {q.offering_scope} GROUP BY {column} ORDER BY {column}
        """

    by_area = dict(await q.rows(grouped("o.area")))
    area_table = Table(
        "offerings_by_area",
        "Opublikowane oferty w 14 obszarach usług społecznych",
        ["Obszar", "Oferty"],
    )
    for code in L.AREAS:
        area_table.add(code, L.area(code), by_area.get(code, 0))

    category_table = Table(
        "offerings_by_category",
        "Opublikowane oferty według kategorii",
        ["Obszar", "Kategoria", "Oferty"],
    )
    for area, category, n in await q.rows(
        f"""
        SELECT o.area, o.category, count(*) FROM ev_offerings o
        WHERE {_PUBLISHED} AND {q.offering_scope} GROUP BY 1, 2 ORDER BY 1, 2
        """
    ):
        category_table.add(f"{area}/{category}", L.area(area), category, n)

    sector_table = Table(
        "offerings_by_sector",
        "Opublikowane oferty według sektora realizatora",
        ["Sektor", "Oferty"],
    )
    for sector, n in await q.rows(grouped("o.provider_sector")):
        sector_table.add(sector, L.sector(sector), n)

    capacity = dict(await q.rows(grouped("o.capacity_status")))
    capacity_table = Table(
        "capacity", "Dostępność miejsc w opublikowanych ofertach", ["Dostępność", "Oferty"]
    )
    for code, name in L.CAPACITY.items():
        capacity_table.add(code, name, capacity.get(code, 0))

    missing_table = Table(
        "missing_areas",
        "Obszary bez żadnej opublikowanej oferty w gminie",
        ["Gmina", "Obszar bez oferty"],
        chart="none",
    )
    for tenant, areas in missing.items():
        for code in areas:
            missing_table.add(f"{tenant}/{code}", tenant, L.area(code))

    summary = Table("basket_summary", "Koszyk w liczbach", ["Wskaźnik", "Wartość"], chart="none")
    for code, name in L.OFFERING_STATUSES.items():
        summary.add(f"status_{code}", f"Oferty – {name.lower()}", statuses.get(code, 0))
    summary.add(
        "verified_90", f"Opublikowane zweryfikowane w ostatnich {FRESH_DAYS} dniach", fresh[0]
    )
    summary.add(
        "verified_90_share",
        f"Odsetek zweryfikowanych w ostatnich {FRESH_DAYS} dniach (%)",
        round(100.0 * fresh[0] / published, 1) if published else None,
    )
    summary.add("no_capacity", "Opublikowane bez wolnych miejsc", fresh[1])
    if q.tenant:
        summary.add(
            "areas_covered",
            "Obszary z co najmniej jedną ofertą (z 14)",
            14 - len(missing[q.tenant]),
        )
    section.tables += [
        summary, area_table, category_table, sector_table, capacity_table, missing_table
    ]  # fmt: skip
    return section


# --- cooperation around families -----------------------------------------------------------------

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


async def _cases(q: _Q) -> Section:
    section = Section("cases", "Współpraca wokół rodzin (zespoły zadaniowe)")
    duration = _DAYS.format(a="c.closed_at", b="c.opened_at")
    closed_in = f"c.closed_at IS NOT NULL AND {_within('c.closed_at')} AND c.opened_at IS NOT NULL"
    months = _case_months(q)
    row = await q.one(
        f"""
        SELECT {_sum("n", "opened_in")}, {_sum("consented", "opened_in")},
               {_sum("n", "closed_in")},
               {_sum("n", "closed_in AND close_reason = 'goals_achieved'")},
               {_sum("n", "closed_in AND opened_month IS NOT NULL")},
               {_sum("plans", "opened_in")}, {_sum("goal_count", "opened_in")},
               {_sum("action_count", "opened_in")}, {_sum("actions_done", "opened_in")},
               {_sum("goals_set", "opened_in")}, {_sum("goals_reached", "opened_in")}
        FROM {months} f
        """
    )
    opened, consented, closed, goals_closed, d_n, *plans = row
    # Open at the end: from the summaries, opened before :fe (the end rounded up to a month) and
    # not closed before it; then from the rows, plus those closed in [:end, :fe) and minus those
    # opened in [:end, :fe) (both empty when the end starts a month).
    open_now = (
        await q.one(
            f"""
            SELECT (SELECT CAST(COALESCE(sum(s.n), 0) AS bigint) FROM ev_case_months s
                    WHERE {q.scope("s.tenant")} AND s.opened_month < CAST(:fe AS timestamptz)
                      AND (s.closed_month IS NULL OR s.closed_month >= CAST(:fe AS timestamptz)))
                 + (SELECT count(*) FROM ev_cases c
                    WHERE {q.scope("c.tenant")} AND c.opened_at < {_END}
                      AND c.closed_at >= {_END} AND c.closed_at < CAST(:fe AS timestamptz))
                 - (SELECT count(*) FROM ev_cases c
                    WHERE {q.scope("c.tenant")} AND c.opened_at >= {_END}
                      AND c.opened_at < CAST(:fe AS timestamptz)
                      AND (c.closed_at IS NULL OR c.closed_at >= CAST(:fe AS timestamptz)))
            """
        )
    )[0]
    days = await _days(q)
    d_med, d_p90 = await _percentiles(
        q, duration, "ev_cases c", f"{q.scope('c.tenant')} AND {closed_in}", d_n, days["duration"]
    )
    withdrawals = await q.one(
        f"""
        SELECT count(*), count(DISTINCT case_id) FROM ev_consent_withdrawals
        WHERE {q.scope()} AND {_within("withdrawn_at")}
        """
    )
    summary = Table(
        "cases_summary", "Sprawy rodzin w liczbach", ["Wskaźnik", "Wartość"], chart="none"
    )
    summary.add("opened", "Sprawy założone", Count(opened))
    summary.add("consented", "Sprawy założone ze zgodą rodziny", Count(consented))
    summary.add("consent_share", "Odsetek spraw ze zgodą (%)", Rate(consented, opened))
    summary.add("closed", "Sprawy zamknięte", Count(closed))
    summary.add("open", "Sprawy otwarte na koniec okresu", Count(open_now))
    summary.add(
        "duration_median", "Czas trwania zamkniętej sprawy – mediana (dni)", Stat(d_med, d_n)
    )
    summary.add(
        "duration_p90", "Czas trwania zamkniętej sprawy – 90. percentyl (dni)", Stat(d_p90, d_n)
    )
    summary.add("withdrawals", "Wycofania zgody", Count(withdrawals[0]))
    summary.add("withdrawal_cases", "Sprawy z wycofaną zgodą", Count(withdrawals[1]))
    summary.add("plans", "Sprawy z planem wsparcia", Count(plans[0]))
    summary.add("plan_goals", "Cele w planach wsparcia", Count(plans[1]))
    summary.add("plan_actions", "Działania w planach", Count(plans[2]))
    summary.add("plan_actions_done", "Działania zrealizowane", Count(plans[3]))
    summary.add(
        "plan_actions_done_share", "Odsetek działań zrealizowanych (%)", Rate(plans[3], plans[2])
    )
    # Goals reached are known only for plans whose events carry them (ADR 0025, 0044): the share
    # is of the goals of those plans, not of every goal above.
    summary.add(
        "plan_goals_set",
        "Cele wyznaczone w planach z danymi o osiągnięciu celów",
        Count(plans[4]),
    )
    summary.add(
        "plan_goals_reached", "Cele osiągnięte (według przeglądów z rodziną)", Count(plans[5])
    )
    summary.add(
        "plan_goals_reached_share",
        "Odsetek celów osiągniętych wśród wyznaczonych (%)",
        Rate(plans[5], plans[4]),
    )
    summary.add(
        "closed_goals_achieved", "Sprawy zamknięte z osiągnięciem celów", Count(goals_closed)
    )
    section.tables.append(summary)

    reasons = dict(
        await q.rows(f"SELECT close_reason, {_sum('n')} FROM {months} f WHERE closed_in GROUP BY 1")
    )
    by_reason = Table(
        "cases_closed_by_reason", "Sprawy zamknięte według powodu", ["Powód", "Sprawy"]
    )
    for code, name in L.CLOSE_REASONS.items():
        by_reason.add(code, name, Count(reasons.get(code, 0)))
    section.tables.append(by_reason)
    return section


@_per_report
async def _by_offering(q: _Q) -> dict[str, dict[str, tuple[int, ...]]]:
    """The cohort by the cost and by the area of the offering referred to, in one join (the
    referrals section shows the first, the gaps section the second)."""
    result: dict[str, dict[str, tuple[int, ...]]] = {"cost": {}, "area": {}}
    for g, cost, area, *counts in await q.rows(
        f"""
        SELECT GROUPING(o.cost, o.area), o.cost, o.area, {_sum("f.n")},
               {_sum("f.completed")}, {_sum("f.goal_achieved")}, {_sum("f.not_eligible")},
               {_sum("f.no_capacity")}, {_sum("f.to_full")}
        FROM {_months(q, *_SERVICES)} f JOIN ev_offerings o USING (service_id)
        GROUP BY GROUPING SETS ((o.cost), (o.area))
        """
    ):
        kind, code = ("cost", cost) if g == 0b01 else ("area", area)
        if code is not None:
            result[kind][code] = tuple(counts)
    return result


@_per_report
async def _by_tenant(q: _Q) -> dict[str, tuple[int, ...]]:
    """The cohort per municipality: gaps (not eligible, no capacity, sent to full offerings) and
    sent, accepted, rejected (the region's table of municipalities), in one scan."""
    no_capacity = "rejection_reason = 'no_capacity' OR failure_reason = 'no_capacity'"
    return {
        tenant: tuple(counts)
        for tenant, *counts in await q.rows(
            f"""
            SELECT tenant, {_sum("n", "rejection_reason = 'not_eligible'")},
                   {_sum("n", no_capacity)}, {_sum("n", "capacity_status = 'no_capacity'")},
                   {_sum("n")}, {_sum("accepted")}, {_sum("rejected")}
            FROM {_months(q, *_REFERRALS)} f GROUP BY 1
            """
        )
    }


async def _referrals(q: _Q) -> Section:
    section = Section("referrals", "Skierowania do usług")
    to_accept = _DAYS.format(a="r.accepted_at", b="r.requested_at")
    to_complete = _DAYS.format(a="r.completed_at", b="r.requested_at")
    row = await q.one(
        f"""
        SELECT {_sum("n")}, {_sum("accepted")}, {_sum("rejected")}, {_sum("completed")},
               {_sum("failed")}, {_sum("cancelled")}, {_sum("n", "capacity_status = 'no_capacity'")}
        FROM {_months(q, *_REFERRALS)} f
        """
    )
    sent, accepted, rejected, completed, failed, cancelled, no_cap = row
    a_n, c_n = accepted, completed
    days = await _days(q)
    a_med, a_p90 = await _percentiles(
        q, to_accept, "ev_referrals r", f"{q.cohort} AND r.accepted_at IS NOT NULL", a_n,
        days["accept"],
    )  # fmt: skip
    c_med, c_p90 = await _percentiles(
        q, to_complete, "ev_referrals r", f"{q.cohort} AND r.completed_at IS NOT NULL", c_n,
        days["complete"],
    )  # fmt: skip
    summary = Table(
        "referrals_summary", "Skierowania w liczbach", ["Wskaźnik", "Wartość"], chart="none"
    )
    summary.add("sent", "Skierowania wysłane", Count(sent))
    summary.add("accepted", "Przyjęte", Count(accepted))
    summary.add("rejected", "Odrzucone", Count(rejected))
    summary.add(
        "acceptance_rate",
        "Odsetek przyjętych wśród rozpatrzonych (%)",
        Rate(accepted, accepted + rejected),
    )
    summary.add("completed", "Zakończone", Count(completed))
    summary.add("failed", "Nieudane", Count(failed))
    summary.add("cancelled", "Anulowane", Count(cancelled))
    summary.add("accept_median", "Czas do przyjęcia – mediana (dni)", Stat(a_med, a_n))
    summary.add("accept_p90", "Czas do przyjęcia – 90. percentyl (dni)", Stat(a_p90, a_n))
    summary.add("complete_median", "Czas do zakończenia – mediana (dni)", Stat(c_med, c_n))
    summary.add("complete_p90", "Czas do zakończenia – 90. percentyl (dni)", Stat(c_p90, c_n))
    summary.add("to_no_capacity", "Skierowania do usług bez wolnych miejsc", Count(no_cap))
    section.tables.append(summary)

    # Towards cost-effectiveness: the events carry the kind of cost of an offering, not amounts.
    by_cost = Table(
        "referrals_by_cost",
        "Skierowania według kosztu usługi dla rodziny",
        ["Koszt", "Skierowania", "Zakończone", "Cel osiągnięty", "Odsetek osiągniętych (%)"],
    )
    costs = (await _by_offering(q))["cost"]
    for code, name in L.COSTS.items():
        n, done, achieved = costs.get(code, (0, 0, 0, 0, 0, 0))[:3]
        by_cost.add(code, name, Count(n), Count(done), Count(achieved), Rate(achieved, done))
    section.tables.append(by_cost)

    grouped: dict[str, dict[str, int]] = defaultdict(dict)
    for state, outcome, rejection, failure, n in await q.rows(
        f"""
        SELECT state, outcome, rejection_reason, failure_reason, {_sum("n")}
        FROM {_months(q, *_REFERRALS)} f
        GROUP BY GROUPING SETS ((state), (outcome), (rejection_reason), (failure_reason))
        """
    ):
        for kind, code in (
            ("state", state), ("outcome", outcome),
            ("rejection_reason", rejection), ("failure_reason", failure),
        ):  # fmt: skip
            if code is not None:
                grouped[kind][code] = n
    by_sector = Table(
        "referrals_by_sector",
        "Skierowania według sektora kierującego i przyjmującego",
        ["Sektor kierujący", "Sektor przyjmujący", "Skierowania", "Przyjęte", "Odrzucone"],
    )
    for sending, receiving, n, acc, rej in await q.rows(
        f"""
        SELECT sending_sector, receiving_sector, {_sum("n")}, {_sum("accepted")},
               {_sum("rejected")}
        FROM {_months(q, *_SECTORS)} f GROUP BY 1, 2 ORDER BY 1, 2
        """
    ):
        by_sector.add(
            f"{sending}>{receiving}", L.sector(sending), L.sector(receiving),
            Count(n), Count(acc), Count(rej),
        )  # fmt: skip
    section.tables.insert(1, by_sector)  # after the summary, as the report lists them

    by_state = Table(
        "referrals_by_state", "Skierowania według obecnego stanu", ["Stan", "Skierowania"]
    )
    for code, name in L.REFERRAL_STATES.items():
        if code != "draft":
            by_state.add(code, name, Count(grouped["state"].get(code, 0)))
    section.tables.append(by_state)

    outcome_table = Table(
        "referral_outcomes", "Wyniki zakończonych skierowań", ["Wynik", "Skierowania"]
    )
    for code, name in L.OUTCOMES.items():
        outcome_table.add(code, name, Count(grouped["outcome"].get(code, 0)))
    section.tables.append(outcome_table)

    for key, column, title in (
        ("rejection_reasons", "rejection_reason", "Powody odrzucenia skierowań"),
        ("failure_reasons", "failure_reason", "Powody niepowodzenia skierowań"),
    ):
        table = Table(key, title, ["Powód", "Skierowania"])
        for code, name in L.REASONS.items():
            table.add(code, name, Count(grouped[column].get(code, 0)))
        section.tables.append(table)
    return section


# --- network gaps --------------------------------------------------------------------------------


async def _gaps(q: _Q, missing: dict[str, list[str]]) -> Section:
    section = Section("gaps", "Luki w sieci usług (do diagnozy potrzeb i potencjału)")
    per_tenant = await _by_tenant(q)
    full_offerings = dict(
        await q.rows(
            f"""
            SELECT t, count(*) FROM ev_offerings o, unnest(o.tenants) AS t
            WHERE {_PUBLISHED} AND o.capacity_status = 'no_capacity'
              AND t = ANY(CAST(:tenants AS text[]))
            GROUP BY 1
            """,
            tenants=list(missing),
        )
    )
    table = Table(
        "gaps_by_municipality",
        "Potrzeby, których koszyk nie zaspokaja – według gminy",
        [
            "Gmina",
            "Odrzucone: niespełnione kryteria",
            "Odrzucone lub nieudane: brak miejsc",
            "Skierowania do usług bez miejsc",
            "Oferty bez wolnych miejsc",
            "Obszary bez oferty",
            "Brakujące obszary",
        ],
        chart="none",
    )
    for tenant, areas in missing.items():
        nn, cap, to_full = per_tenant.get(tenant, (0, 0, 0))[:3]
        table.add(
            tenant, tenant, Count(nn), Count(cap), Count(to_full),
            full_offerings.get(tenant, 0), len(areas), ", ".join(L.area(a) for a in areas),
        )  # fmt: skip
    section.tables.append(table)

    by_area = Table(
        "gaps_by_area",
        "Potrzeby, których koszyk nie zaspokaja – według obszaru usługi",
        [
            "Obszar",
            "Odrzucone: niespełnione kryteria",
            "Brak miejsc",
            "Skierowania do usług bez miejsc",
        ],
    )
    rows = (await _by_offering(q))["area"]
    for code in L.AREAS:
        nn, cap, to_full = rows.get(code, (0, 0, 0, 0, 0, 0))[3:]
        by_area.add(code, L.area(code), Count(nn), Count(cap), Count(to_full))
    section.tables.append(by_area)
    return section


# --- municipalities and trends -------------------------------------------------------------------


async def _municipalities(q: _Q, tenants: list[str]) -> Section:
    section = Section("municipalities", "Gminy regionu")
    referrals = await _by_tenant(q)
    opened = dict(
        await q.rows(
            f"""
            SELECT tenant, {_sum("n")} FROM {_case_months(q)} f WHERE opened_in GROUP BY 1
            """,
        )
    )
    members = dict(
        await q.rows(
            """
            SELECT m.tenant, count(*) FROM ev_memberships m
            WHERE m.tenant = ANY(CAST(:tenants AS text[])) AND m.state IN ('informal', 'declared')
            GROUP BY 1
            """,
            tenants=tenants,
        )
    )
    offers = dict(
        await q.rows(
            f"""
            SELECT t.tenant, count(*)
            FROM unnest(CAST(:tenants AS text[])) AS t(tenant)
            JOIN ev_offerings o ON t.tenant = ANY(o.tenants) AND {_PUBLISHED}
            GROUP BY 1
            """,
            tenants=tenants,
        )
    )
    table = Table(
        "by_municipality",
        "Najważniejsze wskaźniki według gminy",
        ["Gmina", "Sprawy założone", "Skierowania", "Odsetek przyjętych (%)",
         "Aktywni członkowie partnerstwa", "Opublikowane oferty"],
    )  # fmt: skip
    for tenant in tenants:
        sent, acc, rej = referrals.get(tenant, (0, 0, 0, 0, 0, 0))[3:]
        table.add(
            tenant, tenant, Count(opened.get(tenant, 0)), Count(sent), Rate(acc, acc + rej),
            members.get(tenant, 0), offers.get(tenant, 0),
        )  # fmt: skip
    section.tables.append(table)
    return section


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


# --- the two entry points ------------------------------------------------------------------------


async def build(
    session: AsyncSession,
    tenant: str | None,
    *,
    start: datetime,
    end: datetime,
    as_of: date,
    title: str,
    period: Period | None,
    trend: list[Period],
    now: datetime,
) -> Report:
    q = _Q(session, tenant, start, end)
    await session.execute(_CUSTOM_PLANS)
    q.params |= await _whole_months(q)
    tenants = await _tenants(q)
    missing = await _missing_areas(q, tenants)
    await _days(q)  # read by both lanes below
    # Two lanes of sections at once, on two connections (the largest sections, cases and
    # referrals, take about a third of the time each); the second lane computes the results that
    # only its own sections share.
    async with _fork(q) as other, asyncio.TaskGroup() as lanes:
        first = lanes.create_task(_first_lane(q, as_of, missing, trend))
        second = lanes.create_task(_second_lane(other, missing, tenants))
    partnership, basket, cases, trend_section = first.result()
    report = Report(
        title=title,
        scope=tenant or "region",
        scope_label=L.scope_label(tenant),
        period=period.code if period else None,
        period_label=period.label if period else f"stan na {as_of.isoformat()}",
        generated_at=now,
    )
    report.sections += [partnership, basket, cases, *second.result(), trend_section]
    report.relations = relations(report, period)
    return report


# --- relations between the cells, for complementary suppression (ADR 0047) ----------------------
#
# Every sum a reader could subtract from: a table's column summing to a figure of a summary, a
# breakdown summing to its total, two cells counting the same referrals or cases. A relation that
# holds only approximately (e.g. referrals to offerings whose cost is unknown are in no row of the
# table by cost) is declared all the same: it can only hide more.


def relations(report: Report, period: Period | None) -> Relations:
    rel = Relations()

    def cell(table: str, row: str, column: int = 1) -> Ref | None:
        t = report.table(table)
        return t.ref(row, column) if t is not None and row in t.row_keys else None

    def column(table: str, col: int) -> tuple[Ref, ...]:
        t = report.table(table)
        return tuple(t.ref(k, col) for k in t.row_keys) if t is not None else ()

    def line(parts: tuple[Ref | None, ...], *totals: Ref | None) -> None:
        if parts and all(parts) and totals and all(totals):
            rel.lines.append(Line(cast(tuple[Ref, ...], parts), cast(tuple[Ref, ...], totals)))

    def summary(key: str) -> Ref | None:
        return cell("cases_summary", key) or cell("referrals_summary", key)

    # Cases: the reasons of the closed cases sum to the closed; one reason is a figure of its own.
    line(column("cases_closed_by_reason", 1), summary("closed"))
    line((cell("cases_closed_by_reason", "goals_achieved"),), summary("closed_goals_achieved"))
    for rate, part, whole in (
        ("consent_share", "consented", "opened"),
        ("plan_actions_done_share", "plan_actions_done", "plan_actions"),
        ("plan_goals_reached_share", "plan_goals_reached", "plan_goals_set"),
    ):
        r, p, w = cell("cases_summary", rate), summary(part), summary(whole)
        if r and p and w:
            rel.share(r, p, w)

    # Referrals: states, sector pairs, reasons and outcomes break the cohort down.
    line(column("referrals_by_state", 1), summary("sent"))
    for state in ("rejected", "completed", "failed", "cancelled"):
        line((cell("referrals_by_state", state),), summary(state))
    for col, total in ((2, "sent"), (3, "accepted"), (4, "rejected")):
        line(column("referrals_by_sector", col), summary(total))
    line(column("rejection_reasons", 1), summary("rejected"))
    line(column("failure_reasons", 1), summary("failed"))
    line(column("referral_outcomes", 1), summary("completed"))
    acceptance = cell("referrals_summary", "acceptance_rate")
    accepted, rejected = summary("accepted"), summary("rejected")
    if acceptance and accepted and rejected:
        rel.share(acceptance, accepted, None, rejected)
    # By the cost of the offering: referrals, completed, goal achieved; the share per row.
    line(column("referrals_by_cost", 1), summary("sent"))
    line(column("referrals_by_cost", 2), summary("completed"))
    line(column("referrals_by_cost", 3), cell("referral_outcomes", "goal_achieved"))
    by_cost = report.table("referrals_by_cost")
    if by_cost is not None:
        for key in by_cost.row_keys:
            rel.share(by_cost.ref(key, 4), by_cost.ref(key, 3), by_cost.ref(key, 2))

    # Gaps: per municipality and per area, each column sums to the cohort's figure.
    not_eligible = cell("rejection_reasons", "not_eligible")
    no_capacity = (cell("rejection_reasons", "no_capacity"), cell("failure_reasons", "no_capacity"))
    for table in ("gaps_by_municipality", "gaps_by_area"):
        line(column(table, 1), not_eligible)
        line(column(table, 2), *no_capacity)
        line(column(table, 3), summary("to_no_capacity"))

    # The region's municipalities sum to the region.
    line(column("by_municipality", 1), summary("opened"))
    line(column("by_municipality", 2), summary("sent"))

    # A report's trend ends with the period itself: that row repeats the summaries' figures.
    if period is not None:
        for col, total in ((1, "opened"), (2, "sent"), (3, "accepted"), (4, "completed")):
            line((cell("trend", period.code, col),), summary(total))
    return rel


# Plan every statement with its values: the driver prepares statements, and after five runs
# PostgreSQL may keep a generic plan, which cannot tell the region's edge of a few hours from its
# whole year (the region's view went from under 100 ms to 300 ms; ADR 0046).
_CUSTOM_PLANS = text("SET plan_cache_mode = force_custom_plan")


@contextlib.asynccontextmanager
async def _fork(q: _Q) -> AsyncIterator[_Q]:
    """The same report's parameters and shared results on a second connection of the same
    engine. Each statement reads its own snapshot either way (READ COMMITTED), as before."""
    async with AsyncSession(q.session.bind) as session:
        await session.execute(_CUSTOM_PLANS)
        other = _Q(session, q.tenant, q.params["start"], q.params["end"])
        other.params = q.params
        other.shared = q.shared
        yield other


async def _first_lane(
    q: _Q, as_of: date, missing: dict[str, list[str]], trend: list[Period]
) -> tuple[Section, Section, Section, Section]:
    return (
        await _partnership(q),
        await _basket(q, as_of, missing),
        await _cases(q),
        await _trend(q, trend),
    )


async def _second_lane(q: _Q, missing: dict[str, list[str]], tenants: list[str]) -> list[Section]:
    sections = [await _referrals(q), await _gaps(q, missing)]
    if q.tenant is None:
        sections.append(await _municipalities(q, tenants))
    return sections


async def monitoring(session: AsyncSession, tenant: str | None, now: datetime) -> Report:
    """Everything up to now; the trend over the last six months."""
    # The month and the date as in Poland: at 23:30 on 31 December there it is already
    # the new year nowhere but in UTC it is still the old one (ADR 0015).
    this_month = Period.parse(now.astimezone(WARSAW).strftime("%Y-%m"))
    return await build(
        session,
        tenant,
        start=EPOCH,
        end=now,
        as_of=now.astimezone(WARSAW).date(),
        title="Monitoring współpracy",
        period=None,
        trend=this_month.trailing(6),
        now=now,
    )


async def report(
    session: AsyncSession, tenant: str | None, period: Period, now: datetime
) -> Report:
    """An evaluation report for a period; the trend over it and the three periods before."""
    return await build(
        session,
        tenant,
        start=period.start,
        end=period.end,
        as_of=min(now.astimezone(WARSAW).date(), period.end_date - timedelta(days=1)),
        title=f"Raport ewaluacyjny – {period.label}",
        period=period,
        trend=period.trailing(4),
        now=now,
    )
