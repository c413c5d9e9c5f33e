"""The cases section: cooperation around families."""

from __future__ import annotations

from typing import Any

from evaluation.domain import labels as L
from evaluation.domain.disclosure import Count, Rate, Stat
from evaluation.domain.report import Section, Table
from evaluation.views.common import _END, _Q, _case_months, _sum, _within
from evaluation.views.durations import _DAYS, _days, _percentiles


async def _cases(q: _Q) -> Section:
    section = Section("cases", "Współpraca wokół rodzin (zespoły zadaniowe)")
    months = _case_months(q)
    row = await _case_figures(q, months)
    open_now = await _open_at_end(q)
    duration = await _duration(q, d_n=row[4])
    withdrawals = await _withdrawals(q)
    section.tables.append(_summary(row, open_now, duration, withdrawals))
    section.tables.append(await _closed_by_reason(q, months))
    return section


async def _case_figures(q: _Q, months: str) -> Any:
    """Opened, consented, closed, closed with goals achieved, closed with a known opening (the
    durations' count), and the plans' figures, from the case summary."""
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
    return row


async def _open_at_end(q: _Q) -> int:
    # Open at the end: from the summaries, opened before :fe (the end rounded up to a month) and
    # not closed before it; then from the rows, plus those closed in [:end, :fe) and minus those
    # opened in [:end, :fe) (both empty when the end starts a month).
    open_now: int = (
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
    return open_now


async def _duration(q: _Q, d_n: int) -> tuple[float | None, float | None]:
    """The median and 90th percentile of the duration of the cases closed in the period."""
    duration = _DAYS.format(a="c.closed_at", b="c.opened_at")
    closed_in = f"c.closed_at IS NOT NULL AND {_within('c.closed_at')} AND c.opened_at IS NOT NULL"
    days = await _days(q)
    d_med, d_p90 = await _percentiles(
        q, duration, "ev_cases c", f"{q.scope('c.tenant')} AND {closed_in}", d_n, days["duration"]
    )
    return d_med, d_p90


async def _withdrawals(q: _Q) -> Any:
    withdrawals = await q.one(
        f"""
        SELECT count(*), count(DISTINCT case_id) FROM ev_consent_withdrawals
        WHERE {q.scope()} AND {_within("withdrawn_at")}
        """
    )
    return withdrawals


def _summary(
    row: Any, open_now: int, duration: tuple[float | None, float | None], withdrawals: Any
) -> Table:
    opened, consented, closed, goals_closed, d_n, *plans = row
    d_med, d_p90 = duration
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
    return summary


async def _closed_by_reason(q: _Q, months: str) -> Table:
    reasons = dict(
        await q.rows(f"SELECT close_reason, {_sum('n')} FROM {months} f WHERE closed_in GROUP BY 1")
    )
    by_reason = Table(
        "cases_closed_by_reason", "Sprawy zamknięte według powodu", ["Powód", "Sprawy"]
    )
    for code, name in L.CLOSE_REASONS.items():
        by_reason.add(code, name, Count(reasons.get(code, 0)))
    return by_reason
