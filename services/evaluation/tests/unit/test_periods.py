"""Reporting periods in Polish local time."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from evaluation.domain.periods import Period
from shared.errors import InvalidInput
from shared.testing.months import MONTHS, NOMINATIVE_PL


def test_quarter_bounds_are_local_midnights():
    q = Period.parse("2026-Q3")
    assert (q.start_date, q.end_date) == (date(2026, 7, 1), date(2026, 10, 1))
    assert q.start == datetime(2026, 6, 30, 22, tzinfo=UTC)  # CEST
    assert q.label == "3. kwartał 2026"


def test_month_and_year():
    assert Period.parse("2026-12").end_date == date(2027, 1, 1)
    assert Period.parse("2026-01").start == datetime(2025, 12, 31, 23, tzinfo=UTC)  # CET
    assert Period.parse("2026-11").label == "listopad 2026"
    assert Period.parse("2026").end_date == date(2027, 1, 1)


def test_trailing_periods_cross_years():
    assert [p.code for p in Period.parse("2026-Q1").trailing(3)] == [
        "2025-Q3",
        "2025-Q4",
        "2026-Q1",
    ]
    assert [p.code for p in Period.parse("2026-02").trailing(3)] == [
        "2025-12",
        "2026-01",
        "2026-02",
    ]


@pytest.mark.parametrize(
    "bad",
    ["2026-13", "2026-Q0", "26", "2026-Q3x", "", "0000", "9999-12", "0001-Q1", "1999", "2101"],
)
def test_bad_periods_name_the_field(bad):
    with pytest.raises(InvalidInput) as error:
        Period.parse(bad)
    assert error.value.errors[0].field == "period"


def test_the_edge_years_have_their_trends():
    assert Period.parse("2100-12").end_date == date(2101, 1, 1)
    assert Period.parse("2000-01").trailing(6)[0].code == "1999-08"


@pytest.mark.parametrize("month", MONTHS)
def test_every_month_is_named_in_the_nominative(month: int) -> None:
    assert Period.parse(f"2027-{month:02d}").label == f"{NOMINATIVE_PL[month - 1]} 2027"
