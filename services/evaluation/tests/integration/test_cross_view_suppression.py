"""Aggregates never expose a family across views (ADR 0048): every subtraction a reader could try
between the views of each municipality and of the region, for a quarter and its three months.

The generated region of `test_complementary_suppression` (a town, a rural municipality and a
small one) is read through the API: the report of each municipality and of the region for 2026-Q3
and for July, August and September, each as JSON, CSV, XLSX and PDF (16 views, 64 outputs). Every
output is parsed back into cells, and each cell is put on its *canonical* cell — the count it
shows, whichever view shows it: the region's row of a municipality is the municipality's figure,
a trend row the summary of its period. Then the test, with relations it knows by itself:

- checks that every output of a view shows the same, and every view the same marker or value for
  the same canonical cell;
- declares the lines of every view (those the report declares and those the single-view test
  knows) and the lines between views: the region is the sum of its municipalities, a quarter the
  sum of its months (checked to hold on the true counts);
- subtracts, for every line with a single cell not shown, the shown cells from its total: no count
  of 1 or 2 may come out; and runs `suppression.audit` over the union of all cells as shown, with
  all the lines at once: no small count is determined.

A table of views × cells × hidden × determined goes into the terminal summary."""

from __future__ import annotations

import itertools
from typing import Any

from evaluation import views
from evaluation.domain.disclosure import COMPLEMENTARY, SUPPRESSED, Count
from evaluation.domain.periods import Period
from evaluation.domain.report import Report
from evaluation.domain.suppression import Kind, Line, Ref, audit

from .test_complementary_suppression import (
    _counts,
    _from_csv,
    _from_json,
    _from_pdf,
    _from_xlsx,
    _known,
    _now,
    realistic_history,
    region,  # noqa: F401  (the fixture)
)

TENANTS = tuple(realistic_history.MUNICIPALITIES)
Q3 = Period.parse("2026-Q3")
PERIODS = (Q3, *Q3.parts())
SCOPES: tuple[str | None, ...] = (*TENANTS, None)
TREND = {1: ("cases_summary", "opened"), 2: ("referrals_summary", "sent"),
         3: ("referrals_summary", "accepted"), 4: ("referrals_summary", "completed")}  # fmt: skip
ALIASED = ("by_municipality", "gaps_by_municipality", "trend")


def _key(scope: str | None, period: Period) -> str:
    return f"{scope or 'region'}@{period.code}"


def _canonical(report: Report, key: str, ref: Ref, keys: set[str]) -> Ref:
    """The count a cell shows, as the cell of the view that owns it."""
    table, row, col = ref
    period = report.period
    if report.scope == "region" and table == "by_municipality" and col in (1, 2):
        return (f"{row}@{period}/{TREND[col][0]}", TREND[col][1], 1)
    if report.scope == "region" and table == "gaps_by_municipality":
        return (f"{row}@{period}/{table}", row, col)
    if table == "trend" and row != period and f"{report.scope}@{row}" in keys:
        return (f"{report.scope}@{row}/{TREND[col][0]}", TREND[col][1], 1)
    return (f"{key}/{table}", row, col)


def _line(terms: list[tuple[Ref, int]]) -> Line | None:
    net: dict[Ref, int] = {}
    for ref, sign in terms:
        net[ref] = net.get(ref, 0) + sign
    net = {r: s for r, s in net.items() if s}
    if not net:
        return None
    assert all(abs(s) == 1 for s in net.values()), net
    return Line(
        tuple(r for r, s in net.items() if s > 0), tuple(r for r, s in net.items() if s < 0)
    )


async def _read(
    region: Any, scope: str | None, period: Period, fmt: str, report: Report, tmp
) -> dict:
    params = {"period": period.code, **({"tenant": scope} if scope else {})}
    url = "/v1/reports" if fmt == "json" else f"/v1/reports/export.{fmt}"
    response = await region.get("analyst", url, **params)
    assert response.status_code == 200, response.text
    if fmt == "json":
        return _from_json(response.json())
    if fmt == "csv":
        return _from_csv(response.content, report)
    if fmt == "xlsx":
        return _from_xlsx(response.content, report)
    return _from_pdf(response.content, report, tmp)


async def test_no_small_count_follows_from_any_views_together(region, tmp_path, summary_table):  # noqa: F811
    reports: dict[str, Report] = {}
    async with region.runtime.sessions() as session:
        for scope, period in itertools.product(SCOPES, PERIODS):
            reports[_key(scope, period)] = await views.report(session, scope, period, _now())
    keys = set(reports)

    # The cells as each output shows them, on their canonical cells.
    values: dict[Ref, int] = {}
    shown: dict[Ref, Any] = {}
    where: dict[Ref, str] = {}
    virtual: set[Ref] = set()
    mapping: dict[str, dict[Ref, Ref]] = {}
    for (scope, period), fmt in itertools.product(
        itertools.product(SCOPES, PERIODS), ("json", "csv", "xlsx", "pdf")
    ):
        key = _key(scope, period)
        report = reports[key]
        cells = await _read(region, scope, period, fmt, report, tmp_path)
        own = _counts(report)
        mapping.setdefault(key, {})
        for ref, n in own.items():
            if ref in report.relations.remainders:
                canon = (f"{key}/{ref[0]}", ref[1], ref[2])
                virtual.add(canon)
            else:
                canon = _canonical(report, key, ref, keys)
                assert ref in cells, (key, fmt, ref)
                seen = cells[ref]
                if canon in shown:
                    same = shown[canon] == seen or (
                        {shown[canon], seen} <= {SUPPRESSED, COMPLEMENTARY}
                    )
                    assert same, (canon, where[canon], shown[canon], f"{key}.{fmt}", seen)
                    if seen == COMPLEMENTARY:
                        shown[canon] = seen  # "#" says less than "< 3": the reader takes "< 3"
                else:
                    shown[canon], where[canon] = seen, f"{key}.{fmt}"
            mapping[key][ref] = canon
            assert values.setdefault(canon, n) == n, (canon, key, n, values[canon])

    # The lines: within every view, and between views.
    lines: list[Line] = []
    for key, report in reports.items():
        m = mapping[key]
        for line in [*report.relations.lines, *_known(report, _counts(report))]:
            found = _line([(m[r], s) for r, s in line.signed()])
            if found is not None:
                lines.append(found)
    between = 0
    for period in PERIODS:  # the region is the sum of its municipalities
        total = reports[_key(None, period)]
        for ref, cell in _cells(total):
            parts = [
                (mapping[_key(t, period)][ref], 1)
                for t in TENANTS
                if ref in mapping[_key(t, period)]
            ]
            found = _line([*parts, (mapping[_key(None, period)][ref], -1)])
            if found is not None:
                lines.append(found)
                between += 1
    for scope in SCOPES:  # the quarter is the sum of its months
        quarter = reports[_key(scope, Q3)]
        for ref, cell in _cells(quarter):
            if ref == ("cases_summary", "withdrawal_cases", 1):
                continue  # distinct cases: not a sum over months
            parts = [
                (mapping[_key(scope, m)][ref], 1)
                for m in Q3.parts()
                if ref in mapping[_key(scope, m)]
            ]
            found = _line([*parts, (mapping[_key(scope, Q3)][ref], -1)])
            if found is not None:
                lines.append(found)
                between += 1
    for line in lines:  # every relation is real
        assert sum(values[r] for r in line.parts) == sum(values[r] for r in line.totals), line

    # Every count shown as itself or a marker; "< 3" only for 1 or 2.
    for canon, seen in shown.items():
        n = values[canon]
        if seen == SUPPRESSED:
            assert 0 < n < 3, (canon, n, where[canon])
        elif seen != COMPLEMENTARY:
            assert seen == n, (canon, n, seen, where[canon])
        else:
            assert n > 0, (canon, where[canon])
        if 0 < n < 3:
            assert seen in (SUPPRESSED, COMPLEMENTARY), (canon, n, seen, where[canon])

    def visible(ref: Ref) -> bool:
        return ref not in virtual and isinstance(shown.get(ref), int)

    # Every subtraction over every line, within and across views.
    subtractions = 0
    for line in lines:
        unknown = [r for r in line.cells if not visible(r)]
        if len(unknown) == 1:
            subtractions += 1
            (cell,) = unknown
            computed = abs(
                sum(values[r] for r in line.totals if r != cell)
                - sum(values[r] for r in line.parts if r != cell)
            )
            assert computed == values[cell]
            assert not 0 < computed < 3, (cell, "follows from", line)

    # All lines at once, with what the markers say.
    hidden: dict[Ref, Kind] = {r: "virtual" for r in virtual}
    for ref, seen in shown.items():
        if not visible(ref):
            hidden[ref] = "primary" if seen == SUPPRESSED else "complementary"
    determined = audit(values, lines, hidden)

    rows = ["view                     cells  hidden  small  determined"]
    for key, m in mapping.items():
        canon = [c for r, c in m.items() if c not in virtual]
        rows.append(
            f"{key:<24} {len(canon):>5} {sum(1 for c in canon if c in hidden):>7}"
            f" {sum(1 for c in canon if 0 < values[c] < 3):>6}"
            f" {sum(1 for c in canon if c in determined):>11}"
        )
    small = sum(1 for c in shown if 0 < values[c] < 3)
    rows.append(
        f"union: {len(shown)} canonical cells ({sum(1 for c in shown if c in hidden)} hidden, "
        f"{small} small) of 16 views × 4 formats; {len(lines)} lines ({between} between views), "
        f"{subtractions} single subtractions tried; determined small counts: {len(determined)}"
    )
    summary_table("\n".join(rows))
    print("\n".join(rows))
    assert small >= 20  # not vacuous
    assert determined == set(), sorted(determined)[:10]


def _cells(report: Report) -> list[tuple[Ref, Count]]:
    """The counts of a view that are its own (not a row of another view's)."""
    return [
        (t.ref(k, c), cell)
        for s in report.sections
        for t in s.tables
        if t.key not in ALIASED
        for k, row in zip(t.row_keys, t.rows, strict=True)
        for c, cell in enumerate(row)
        if isinstance(cell, Count)
    ]
