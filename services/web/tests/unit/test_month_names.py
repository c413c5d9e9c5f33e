"""Every month's name where the web writes one, in Polish and in English: a date ("7 grudnia
2026"), a date and time, and a report's month ("grudzień 2026")."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from shared.testing.months import ENGLISH, GENITIVE_PL, MONTHS, NOMINATIVE_PL
from web.i18n import Translator
from web.routes.evaluation import period_label


@pytest.mark.parametrize("month", MONTHS)
def test_a_date_names_its_month(month: int) -> None:
    day = date(2026, month, 7)
    assert Translator("pl").date(day) == f"7 {GENITIVE_PL[month - 1]} 2026"
    assert Translator("en").date(day) == f"7 {ENGLISH[month - 1]} 2026"


@pytest.mark.parametrize("month", MONTHS)
def test_a_time_names_its_month_in_warsaw(month: int) -> None:
    # 09:30 UTC on the 7th: 10:30 in Warsaw in winter time (CET), 11:30 in summer time (CEST).
    at = datetime(2026, month, 7, 9, 30, tzinfo=UTC)
    hour = 11 if 4 <= month <= 10 else 10
    assert Translator("pl").datetime(at) == f"7 {GENITIVE_PL[month - 1]} 2026, {hour}:30"
    assert Translator("en").datetime(at) == f"7 {ENGLISH[month - 1]} 2026, {hour}:30"


def test_the_date_is_the_one_in_warsaw() -> None:
    # 23:30 UTC on the last day of a month is already the 1st of the next one in Warsaw.
    assert Translator("pl").date(datetime(2026, 12, 31, 23, 30, tzinfo=UTC)) == "1 stycznia 2027"
    assert Translator("en").date(datetime(2026, 5, 31, 22, 30, tzinfo=UTC)) == "1 June 2026"


@pytest.mark.parametrize("month", MONTHS)
def test_a_report_month_is_named_in_the_nominative(month: int) -> None:
    code = f"2026-{month:02d}"
    assert period_label(Translator("pl"), code) == f"{NOMINATIVE_PL[month - 1]} 2026"
    assert period_label(Translator("en"), code) == f"{ENGLISH[month - 1]} 2026"
