"""Reporting periods (a month, a quarter, a year) in Polish local time."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from shared.errors import InvalidInput

LOCAL = ZoneInfo("Europe/Warsaw")

MONTHS_PL = (
    "styczeń", "luty", "marzec", "kwiecień", "maj", "czerwiec",
    "lipiec", "sierpień", "wrzesień", "październik", "listopad", "grudzień",
)  # fmt: skip

PeriodKind = Literal["month", "quarter", "year"]
_PATTERN = re.compile(r"^(\d{4})(?:-(?:(0[1-9]|1[0-2])|Q([1-4])))?$")
# Years a report may cover. The platform's history starts long after 2000 and nothing is planned
# past 2100; the bounds keep date arithmetic (trends reach a year back) far from year 1 and 9999.
MIN_YEAR, MAX_YEAR = 2000, 2100


@dataclass(frozen=True)
class Period:
    kind: PeriodKind
    year: int
    index: int  # month 1–12, quarter 1–4, or 1 for a year

    @classmethod
    def parse(cls, value: str) -> Period:
        match = _PATTERN.match(value.strip())
        if not match:
            raise InvalidInput.field(
                "period", "Podaj okres jako RRRR, RRRR-MM lub RRRR-Qn (np. 2026-Q3).", "pattern"
            )
        year, month, quarter = match.groups()
        if not MIN_YEAR <= int(year) <= MAX_YEAR:
            raise InvalidInput.field(
                "period", f"Rok okresu musi mieścić się w latach {MIN_YEAR}–{MAX_YEAR}.", "range"
            )
        if month:
            return cls("month", int(year), int(month))
        if quarter:
            return cls("quarter", int(year), int(quarter))
        return cls("year", int(year), 1)

    @property
    def code(self) -> str:
        if self.kind == "month":
            return f"{self.year}-{self.index:02d}"
        if self.kind == "quarter":
            return f"{self.year}-Q{self.index}"
        return str(self.year)

    @property
    def label(self) -> str:
        if self.kind == "month":
            return f"{MONTHS_PL[self.index - 1]} {self.year}"
        if self.kind == "quarter":
            return f"{self.index}. kwartał {self.year}"
        return f"rok {self.year}"

    def _first_month(self) -> int:
        return {"month": self.index, "quarter": 3 * self.index - 2, "year": 1}[self.kind]

    def _months(self) -> int:
        return {"month": 1, "quarter": 3, "year": 12}[self.kind]

    @property
    def start_date(self) -> date:
        return date(self.year, self._first_month(), 1)

    @property
    def end_date(self) -> date:
        """The first day after the period."""
        m = self._first_month() - 1 + self._months()
        return date(self.year + m // 12, m % 12 + 1, 1)

    @property
    def start(self) -> datetime:
        return _local_midnight(self.start_date)

    @property
    def end(self) -> datetime:
        return _local_midnight(self.end_date)

    def previous(self) -> Period:
        if self.index > 1:
            return Period(self.kind, self.year, self.index - 1)
        last = {"month": 12, "quarter": 4, "year": 1}[self.kind]
        return Period(self.kind, self.year - 1, last)

    def trailing(self, count: int) -> list[Period]:
        """This period and the `count - 1` before it, oldest first."""
        periods = [self]
        while len(periods) < count:
            periods.append(periods[-1].previous())
        return list(reversed(periods))


def _local_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=LOCAL).astimezone(UTC)
