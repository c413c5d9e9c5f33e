"""The referrals section, and the cohort by offering and by municipality that others read."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from evaluation.domain import labels as L
from evaluation.domain.disclosure import Count, Rate, Stat
from evaluation.domain.report import Section, Table
from evaluation.views.common import _Q, _REFERRALS, _SECTORS, _SERVICES, _months, _per_report, _sum
from evaluation.views.durations import _DAYS, _days, _percentiles


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
    row = await _cohort_figures(q)
    timing = await _timing(q, a_n=row[1], c_n=row[3])
    section.tables.append(_summary(row, timing))
    section.tables.append(await _by_cost(q))
    grouped = await _grouped(q)
    section.tables.insert(1, await _by_sector(q))  # after the summary, as the report lists them
    section.tables += _by_state_outcome_reason(grouped)
    return section


async def _cohort_figures(q: _Q) -> Any:
    """The cohort sent, accepted, rejected, completed, failed, cancelled, and sent to offerings
    without capacity."""
    row = await q.one(
        f"""
        SELECT {_sum("n")}, {_sum("accepted")}, {_sum("rejected")}, {_sum("completed")},
               {_sum("failed")}, {_sum("cancelled")}, {_sum("n", "capacity_status = 'no_capacity'")}
        FROM {_months(q, *_REFERRALS)} f
        """
    )
    return row


_Timing = tuple[float | None, float | None, float | None, float | None]


async def _timing(q: _Q, a_n: int, c_n: int) -> _Timing:
    """The median and 90th percentile of the days to accept and to complete."""
    to_accept = _DAYS.format(a="r.accepted_at", b="r.requested_at")
    to_complete = _DAYS.format(a="r.completed_at", b="r.requested_at")
    days = await _days(q)
    a_med, a_p90 = await _percentiles(
        q, to_accept, "ev_referrals r", f"{q.cohort} AND r.accepted_at IS NOT NULL", a_n,
        days["accept"],
    )  # fmt: skip
    c_med, c_p90 = await _percentiles(
        q, to_complete, "ev_referrals r", f"{q.cohort} AND r.completed_at IS NOT NULL", c_n,
        days["complete"],
    )  # fmt: skip
    return a_med, a_p90, c_med, c_p90


def _summary(row: Any, timing: _Timing) -> Table:
    sent, accepted, rejected, completed, failed, cancelled, no_cap = row
    a_n, c_n = accepted, completed
    a_med, a_p90, c_med, c_p90 = timing
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
    return summary


async def _by_cost(q: _Q) -> Table:
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
    return by_cost


async def _grouped(q: _Q) -> dict[str, dict[str, int]]:
    """The cohort by state, outcome, rejection reason and failure reason, in one scan."""
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
    return grouped


async def _by_sector(q: _Q) -> Table:
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
    return by_sector


def _by_state_outcome_reason(grouped: dict[str, dict[str, int]]) -> list[Table]:
    tables: list[Table] = []
    by_state = Table(
        "referrals_by_state", "Skierowania według obecnego stanu", ["Stan", "Skierowania"]
    )
    for code, name in L.REFERRAL_STATES.items():
        if code != "draft":
            by_state.add(code, name, Count(grouped["state"].get(code, 0)))
    tables.append(by_state)

    outcome_table = Table(
        "referral_outcomes", "Wyniki zakończonych skierowań", ["Wynik", "Skierowania"]
    )
    for code, name in L.OUTCOMES.items():
        outcome_table.add(code, name, Count(grouped["outcome"].get(code, 0)))
    tables.append(outcome_table)

    for key, column, title in (
        ("rejection_reasons", "rejection_reason", "Powody odrzucenia skierowań"),
        ("failure_reasons", "failure_reason", "Powody niepowodzenia skierowań"),
    ):
        table = Table(key, title, ["Powód", "Skierowania"])
        for code, name in L.REASONS.items():
            table.add(code, name, Count(grouped[column].get(code, 0)))
        tables.append(table)
    return tables
