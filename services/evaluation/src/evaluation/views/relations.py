"""Relations between the cells, for complementary suppression (ADR 0047)."""

from __future__ import annotations

from typing import cast

from evaluation.domain.periods import Period
from evaluation.domain.report import Report
from evaluation.domain.suppression import Line, Ref, Relations

# Every sum a reader could subtract from: a table's column summing to a figure of a summary, a
# breakdown summing to its total, two cells counting the same referrals or cases. A relation that
# holds only approximately (e.g. referrals to offerings whose cost is unknown are in no row of the
# table by cost) is declared all the same: it can only hide more.


def relations(report: Report, period: Period | None) -> Relations:
    c = _Cells(report)
    _case_relations(c)
    _referral_relations(c)
    _gap_relations(c)
    _region_and_trend_relations(c, period)
    return c.rel


class _Cells:
    """The report's cells by table and row, and the relations declared between them."""

    def __init__(self, report: Report) -> None:
        self.report = report
        self.rel = Relations()

    def cell(self, table: str, row: str, column: int = 1) -> Ref | None:
        t = self.report.table(table)
        return t.ref(row, column) if t is not None and row in t.row_keys else None

    def column(self, table: str, col: int) -> tuple[Ref, ...]:
        t = self.report.table(table)
        return tuple(t.ref(k, col) for k in t.row_keys) if t is not None else ()

    def line(self, parts: tuple[Ref | None, ...], *totals: Ref | None) -> None:
        if parts and all(parts) and totals and all(totals):
            self.rel.lines.append(Line(cast(tuple[Ref, ...], parts), cast(tuple[Ref, ...], totals)))

    def summary(self, key: str) -> Ref | None:
        return self.cell("cases_summary", key) or self.cell("referrals_summary", key)


def _case_relations(c: _Cells) -> None:
    # Cases: the reasons of the closed cases sum to the closed; one reason is a figure of its own.
    c.line(c.column("cases_closed_by_reason", 1), c.summary("closed"))
    c.line(
        (c.cell("cases_closed_by_reason", "goals_achieved"),), c.summary("closed_goals_achieved")
    )
    for rate, part, whole in (
        ("consent_share", "consented", "opened"),
        ("plan_actions_done_share", "plan_actions_done", "plan_actions"),
        ("plan_goals_reached_share", "plan_goals_reached", "plan_goals_set"),
    ):
        r, p, w = c.cell("cases_summary", rate), c.summary(part), c.summary(whole)
        if r and p and w:
            c.rel.share(r, p, w)


def _referral_relations(c: _Cells) -> None:
    # Referrals: states, sector pairs, reasons and outcomes break the cohort down.
    c.line(c.column("referrals_by_state", 1), c.summary("sent"))
    for state in ("rejected", "completed", "failed", "cancelled"):
        c.line((c.cell("referrals_by_state", state),), c.summary(state))
    for col, total in ((2, "sent"), (3, "accepted"), (4, "rejected")):
        c.line(c.column("referrals_by_sector", col), c.summary(total))
    c.line(c.column("rejection_reasons", 1), c.summary("rejected"))
    c.line(c.column("failure_reasons", 1), c.summary("failed"))
    c.line(c.column("referral_outcomes", 1), c.summary("completed"))
    acceptance = c.cell("referrals_summary", "acceptance_rate")
    accepted, rejected = c.summary("accepted"), c.summary("rejected")
    if acceptance and accepted and rejected:
        c.rel.share(acceptance, accepted, None, rejected)
    # By the cost of the offering: referrals, completed, goal achieved; the share per row.
    c.line(c.column("referrals_by_cost", 1), c.summary("sent"))
    c.line(c.column("referrals_by_cost", 2), c.summary("completed"))
    c.line(c.column("referrals_by_cost", 3), c.cell("referral_outcomes", "goal_achieved"))
    by_cost = c.report.table("referrals_by_cost")
    if by_cost is not None:
        for key in by_cost.row_keys:
            c.rel.share(by_cost.ref(key, 4), by_cost.ref(key, 3), by_cost.ref(key, 2))


def _gap_relations(c: _Cells) -> None:
    # Gaps: per municipality and per area, each column sums to the cohort's figure.
    not_eligible = c.cell("rejection_reasons", "not_eligible")
    no_capacity = (
        c.cell("rejection_reasons", "no_capacity"),
        c.cell("failure_reasons", "no_capacity"),
    )
    for table in ("gaps_by_municipality", "gaps_by_area"):
        c.line(c.column(table, 1), not_eligible)
        c.line(c.column(table, 2), *no_capacity)
        c.line(c.column(table, 3), c.summary("to_no_capacity"))


def _region_and_trend_relations(c: _Cells, period: Period | None) -> None:
    # The region's municipalities sum to the region.
    c.line(c.column("by_municipality", 1), c.summary("opened"))
    c.line(c.column("by_municipality", 2), c.summary("sent"))

    # A report's trend ends with the period itself: that row repeats the summaries' figures.
    if period is not None:
        for col, total in ((1, "opened"), (2, "sent"), (3, "accepted"), (4, "completed")):
            c.line((c.cell("trend", period.code, col),), c.summary(total))
