"""A monitoring view or an evaluation report: sections of titled tables, each also drawn as a chart.

Cells about families are `Count`/`Rate`/`Stat` (see `disclosure`); `Report.disclosed()` is what
every output renders, so no output can skip the suppression. A report also carries the relations
between its cells (`suppression.Relations`: which cells sum to which, which counts a share is
computed from); `disclosed()` hides the small counts and, by complementary suppression, whatever
else would let a reader compute them (ADR 0047).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from evaluation.domain.disclosure import (
    COMPLEMENTARY,
    MARKERS,
    NOT_SHOWN,
    SUPPRESSED,
    Cell,
    Count,
    Rate,
    Value,
    disclose,
)
from evaluation.domain.suppression import Kind, Ref, Relations, suppress

Chart = Literal["bar", "line", "none"]

SUPPRESSION_NOTE = (
    f"Liczby spraw i skierowań mniejsze niż 3 pokazano jako „{SUPPRESSED}”; liczby ukryte po to, "
    f"by nie dało się ich obliczyć z pozostałych (z sum wierszy, kolumn i tabel), jako "
    f"„{COMPLEMENTARY}”; odsetki i czasy liczone z mniej niż 3 spraw lub skierowań albo z liczby "
    f"ukrytej – jako „{NOT_SHOWN}”."
)


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

    def ref(self, row_key: str, column: int) -> Ref:
        return (self.key, row_key, column)

    def counts(self) -> dict[Ref, int]:
        return {
            (self.key, key, col): cell.n
            for key, row in zip(self.row_keys, self.rows, strict=True)
            for col, cell in enumerate(row)
            if isinstance(cell, Count)
        }

    def disclosed(
        self, hidden: dict[Ref, Kind] | None = None, relations: Relations | None = None
    ) -> DisclosedTable:
        """The printable table: `hidden` are the counts suppression hides (all of 1 or 2 when
        not given), a share computed from a hidden count is hidden too."""
        bases = relations.bases if relations else {}

        def shown(key: str, col: int, cell: Cell) -> Value:
            ref = (self.key, key, col)
            if isinstance(cell, Count) and hidden is not None:
                kind = hidden.get(ref)
                if kind is None:
                    return cell.n
                return SUPPRESSED if kind == "primary" else COMPLEMENTARY
            value = disclose(cell)
            from_hidden = hidden is not None and any(
                hidden.get(r) in ("primary", "complementary") for r in bases.get(ref, ())
            )
            return (
                NOT_SHOWN if isinstance(cell, Rate) and from_hidden and value is not None else value
            )

        return DisclosedTable(
            key=self.key,
            title=self.title,
            columns=list(self.columns),
            rows=[
                [shown(key, col, c) for col, c in enumerate(row)]
                for key, row in zip(self.row_keys, self.rows, strict=True)
            ],
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
    relations: Relations = field(default_factory=Relations)

    def table(self, key: str) -> Table | None:
        return next((t for s in self.sections for t in s.tables if t.key == key), None)

    def hidden(self) -> dict[Ref, Kind]:
        """The counts to hide: primary and complementary suppression over the relations."""
        values: dict[Ref, int] = {}
        for section in self.sections:
            for table in section.tables:
                values |= table.counts()
        virtual = frozenset(self.relations.remainders)
        for rest, (whole, part) in self.relations.remainders.items():
            values[rest] = values[whole] - values[part]
        return suppress(values, self.relations.lines, virtual)

    def disclosed(self) -> DisclosedReport:
        hidden = self.hidden()
        return DisclosedReport(
            title=self.title,
            scope=self.scope,
            scope_label=self.scope_label,
            period=self.period,
            period_label=self.period_label,
            generated_at=self.generated_at,
            sections=[
                (s.key, s.title, [t.disclosed(hidden, self.relations) for t in s.tables])
                for s in self.sections
            ],
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
            "suppression": SUPPRESSION_NOTE,
            "markers": dict(MARKERS),
            "sections": [
                {"key": key, "title": title, "tables": [t.as_json() for t in tables]}
                for key, title, tables in self.sections
            ],
        }
