"""Small-cell suppression: the one function every output goes through."""

from __future__ import annotations

import pytest

from evaluation.domain.disclosure import NOT_SHOWN, SUPPRESSED, Count, Rate, Stat, disclose
from evaluation.domain.report import Report, Section, Table


@pytest.mark.parametrize(
    ("cell", "shown"),
    [
        (Count(0), 0),
        (Count(1), SUPPRESSED),
        (Count(2), SUPPRESSED),
        (Count(3), 3),
        (Rate(0, 0), None),
        # A share is hidden as a share ("—"), not as "< 3", which would read as "under 3 %".
        (Rate(1, 2), NOT_SHOWN),  # too few in the denominator
        (Rate(2, 10), NOT_SHOWN),  # a small numerator
        (Rate(9, 10), NOT_SHOWN),  # a small remainder gives one family away too
        (Rate(0, 10), 0.0),
        (Rate(10, 10), 100.0),
        (Rate(5, 8), 62.5),
        (Stat(None, 0), None),
        (Stat(4.0, 2), NOT_SHOWN),
        (Stat(4.04, 3), 4.0),
        (7, 7),  # figures not about families pass unchanged
        ("tak", "tak"),
    ],
)
def test_disclose(cell, shown):
    assert disclose(cell) == shown


def test_a_report_is_disclosed_cell_by_cell():
    table = Table("t", "Tabela", ["Wskaźnik", "Wartość"])
    table.add("a", "Sprawy", Count(2))
    table.add("b", "Oferty", 2)
    report = Report("R", "region", "Region", None, "teraz", generated_at=None)  # type: ignore[arg-type]
    report.sections.append(Section("s", "S", [table]))
    (_, _, (out,)) = report.disclosed().sections[0]
    assert out.rows == [["Sprawy", SUPPRESSED], ["Oferty", 2]]
