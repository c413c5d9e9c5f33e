"""Relations between the cells, for complementary suppression (ADR 0047)."""

from __future__ import annotations

from typing import cast

from evaluation.domain.periods import Period
from evaluation.domain.report import Report
from evaluation.domain.suppression import Line, Ref, Relations

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
