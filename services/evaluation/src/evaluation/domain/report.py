"""A monitoring view or an evaluation report: sections of titled tables, each also drawn as a chart.

Cells about families are `Count`/`Rate`/`Stat` (see `disclosure`); `Report.disclosed()` is what
every output renders, so no output can skip the suppression.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from evaluation.domain.disclosure import Cell, Value, disclose

Chart = Literal["bar", "line", "none"]


@dataclass
class Table:
    key: str
    title: str
    columns: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    row_keys: list[str] = field(default_factory=list)
    chart: Chart = "bar"
    note: str | None = None

    def add(self, key: str, *cells: Cell) -> None:
        self.row_keys.append(key)
        self.rows.append(list(cells))

    def disclosed(self) -> DisclosedTable:
        return DisclosedTable(
            key=self.key,
            title=self.title,
            columns=list(self.columns),
            rows=[[disclose(c) for c in row] for row in self.rows],
            row_keys=list(self.row_keys),
            chart=self.chart,
            note=self.note,
        )


@dataclass(frozen=True)
class DisclosedTable:
    key: str
    title: str
    columns: list[str]
    rows: list[list[Value]]
    row_keys: list[str]
    chart: Chart
    note: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "columns": self.columns,
            "rows": self.rows,
            "row_keys": self.row_keys,
            "chart": self.chart,
            "note": self.note,
        }


@dataclass
class Section:
    key: str
    title: str
    tables: list[Table] = field(default_factory=list)


@dataclass
class Report:
    title: str
    scope: str  # a TERYT code, or "region"
    scope_label: str
    period: str | None  # None for the monitoring view (everything up to now)
    period_label: str
    generated_at: datetime
    sections: list[Section] = field(default_factory=list)

    def disclosed(self) -> DisclosedReport:
        return DisclosedReport(
            title=self.title,
            scope=self.scope,
            scope_label=self.scope_label,
            period=self.period,
            period_label=self.period_label,
            generated_at=self.generated_at,
            sections=[(s.key, s.title, [t.disclosed() for t in s.tables]) for s in self.sections],
        )


@dataclass(frozen=True)
class DisclosedReport:
    title: str
    scope: str
    scope_label: str
    period: str | None
    period_label: str
    generated_at: datetime
    sections: list[tuple[str, str, list[DisclosedTable]]]

    def as_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "scope": self.scope,
            "scope_label": self.scope_label,
            "period": self.period,
            "period_label": self.period_label,
            "generated_at": self.generated_at.isoformat(),
            "suppression": "Liczby przypadków i skierowań mniejsze niż 3 pokazano jako „< 3”.",
            "sections": [
                {"key": key, "title": title, "tables": [t.as_json() for t in tables]}
                for key, title, tables in self.sections
            ],
        }
