"""Complementary suppression: which counts to hide so that no small count can be worked out.

A count of 1 or 2 is hidden ("primary" suppression, ADR 0042). That alone can be undone by
subtraction: a column of referrals by sector with one hidden cell and its total shown gives the
hidden cell as the total minus the visible cells. A table therefore comes with its *lines*: the
linear relations its cells obey (a row or a column summing to its total, a level of a hierarchy
summing to the level above, two cells that count the same thing). `suppress` hides more cells
("complementary" suppression) until no primary cell is determined by the lines, and `audit` says
which cells a reader could still compute from what is shown:

- exactly, by linear algebra: a hidden cell is determined when its unit vector lies in the row
  space of the lines' equations restricted to the hidden cells (any combination of subtractions,
  over any number of lines);
- by bounds: a reader knows a primary cell is 1 or 2 (it says "< 3"), that a complementary cell
  ("#") is not zero (zeros are never hidden) and that every count is at least 0; narrowing those
  bounds line by line until nothing changes finds, e.g., two hidden cells of 1 in a line whose
  remainder is 2. "#" does not say "at least 3": a small count may be shown as "#" too, when
  "< 3" would give it away (1 + 1 = 2 with all three shown as "< 3").

Everything here is pure and works on plain values; `Report.disclosed()` applies it.

A *virtual* cell is a count that is not shown but follows from shown ones: the remainder of a
share (cases opened without consent = opened − consented). It is always unknown to the reader,
and when it is 1 or 2 it must stay unknown, like a hidden cell.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Literal

from evaluation.domain.disclosure import THRESHOLD

# A cell: (table key, row key, column index). Virtual cells use the same shape.
Ref = tuple[str, str, int]
Kind = Literal["primary", "complementary", "masked", "virtual"]


@dataclass(frozen=True)
class Line:
    """A linear relation between cells: the sum of `parts` equals the sum of `totals`."""

    parts: tuple[Ref, ...]
    totals: tuple[Ref, ...] = ()

    @property
    def cells(self) -> tuple[Ref, ...]:
        return self.parts + self.totals

    def signed(self) -> list[tuple[Ref, int]]:
        return [(r, 1) for r in self.parts] + [(r, -1) for r in self.totals]


@dataclass
class Relations:
    """The lines of a report's tables, the counts each share is computed from, and the virtual
    cells (remainders of shares) with the line that defines each."""

    lines: list[Line] = field(default_factory=list)
    bases: dict[Ref, tuple[Ref, ...]] = field(default_factory=dict)
    remainders: dict[Ref, tuple[Ref, Ref]] = field(default_factory=dict)  # ref → (whole, part)

    def share(self, rate: Ref, part: Ref, whole: Ref | None = None, *others: Ref) -> None:
        """`rate` is computed from the count `part` and, if given, `whole` (and `others`); with a
        whole, its remainder whole − part is a virtual cell tied to both by a line."""
        self.bases[rate] = (part, *((whole,) if whole else ()), *others)
        if whole is not None:
            rest: Ref = (rate[0], f"{rate[1]}~rest", rate[2])
            self.remainders[rest] = (whole, part)
            self.lines.append(Line((part, rest), (whole,)))


def is_primary(n: int) -> bool:
    return 0 < n < THRESHOLD


def suppress(
    values: Mapping[Ref, int], lines: Sequence[Line], virtual: frozenset[Ref] = frozenset()
) -> dict[Ref, Kind]:
    """The cells to hide, with why. `values` holds every count the lines mention (virtual cells
    included); a virtual cell is always unknown to the reader and is never chosen to be hidden.

    Primary: every count of 1 or 2. Complementary, to a fixpoint: (1) a line with a single hidden
    cell, or in which the markers' bounds pin a small count down, gets its smallest visible
    non-zero cell hidden (parts before totals on a tie, so that a total stays visible when it
    can), across intersecting lines until no line changes; (2) while `audit` still finds a
    determined cell (lines taken together), the smallest visible cell of a line through a
    determined hidden cell is hidden, and (1) runs again. Where a line has no visible non-zero
    cell left but still pins a small count down (1 + 1 = 2, all shown as "< 3"), one of its small
    counts, the total first, is shown as "#" instead of "< 3" ("masked")."""
    for line in lines:
        for ref in line.cells:
            if ref not in values:
                raise ValueError(f"a line mentions a cell without a value: {ref}")
    hidden: dict[Ref, Kind] = {r: "virtual" for r in virtual}
    for ref, n in values.items():
        if ref not in virtual and is_primary(n):
            hidden[ref] = "primary"
    order = {ref: i for i, ref in enumerate(values)}

    def hide_one_in(line: Line) -> bool:
        totals = set(line.totals)
        candidates = [r for r in line.cells if r not in hidden and values[r] > 0]
        if candidates:
            pick = min(candidates, key=lambda r: (values[r], r in totals, order[r]))
            hidden[pick] = "complementary"
            return True
        marked = [r for r in line.cells if hidden.get(r) == "primary"]
        if marked:
            pick = min(marked, key=lambda r: (r not in totals, order[r]))
            hidden[pick] = "masked"
            return True
        return False

    while True:
        changed = True
        while changed:
            changed = False
            for line in lines:
                if _line_exposes(line, values, hidden) and hide_one_in(line):
                    changed = True
        found = {
            r: used for r, used in _determined(values, lines, hidden).items()
            if _protected(r, values, hidden)
        }  # fmt: skip
        if not found:
            return hidden
        # The lines a reader would combine to compute a small count: hide a cell in one of them.
        through = [lines[i] for i in sorted(set().union(*found.values()))]
        through.sort(key=lambda line: sum(1 for r in line.cells if r not in hidden))
        if not any(hide_one_in(line) for line in through):
            return hidden  # nothing left to hide in those lines; `audit` reports it


def _protected(ref: Ref, values: Mapping[Ref, int], hidden: Mapping[Ref, Kind]) -> bool:
    """A hidden cell that must stay unknown: a count of 1 or 2 ("< 3", "#" or virtual)."""
    return ref in hidden and is_primary(values[ref])


def _bounds(kind: Kind) -> tuple[float, float]:
    """What a reader knows of a hidden cell from its marker: "< 3" is 1 or 2, "#" a count that
    is not zero (zeros are never hidden), a virtual cell any count."""
    if kind == "primary":
        return 1, THRESHOLD - 1
    if kind in ("complementary", "masked"):
        return 1, math.inf
    return 0, math.inf


def _narrow(
    line: Line,
    values: Mapping[Ref, int],
    bounds: dict[Ref, tuple[float, float]],
) -> bool:
    """Narrow the bounds of the hidden cells of one line; True if any changed."""
    terms = line.signed()
    known = sum(s * values[r] for r, s in terms if r not in bounds)
    unknown = [(r, s) for r, s in terms if r in bounds]
    changed = False
    for ref, sign in unknown:
        # sign·x = −known − Σ_{others} s·x
        low: float = -known
        high: float = -known
        for other, s in unknown:
            if other == ref:
                continue
            lo, hi = bounds[other]
            term_lo, term_hi = (lo, hi) if s > 0 else (-hi, -lo)
            low -= term_hi
            high -= term_lo
        if sign < 0:
            low, high = -high, -low
        lo, hi = bounds[ref]
        new = (max(lo, low), min(hi, high))
        if new != (lo, hi) and new[0] <= new[1]:
            bounds[ref] = new
            changed = True
    return changed


def _line_exposes(line: Line, values: Mapping[Ref, int], hidden: Mapping[Ref, Kind]) -> bool:
    """Whether the line alone gives a hidden cell away: a single hidden cell (unless it is a
    virtual one that need not be protected), or bounds that pin a small count down."""
    in_line = [r for r in line.cells if r in hidden]
    if len(in_line) == 1:
        return hidden[in_line[0]] != "virtual" or _protected(in_line[0], values, hidden)
    if not any(_protected(r, values, hidden) for r in in_line):
        return False
    bounds = {r: _bounds(hidden[r]) for r in in_line}
    _narrow(line, values, bounds)
    return any(_protected(r, values, hidden) and bounds[r][0] == bounds[r][1] for r in in_line)


def audit(values: Mapping[Ref, int], lines: Sequence[Line], hidden: Mapping[Ref, Kind]) -> set[Ref]:
    """The protected hidden cells (counts of 1 or 2) that a reader can compute from the visible
    cells and the lines: exactly (linear algebra over all lines at once) or by narrowing the
    bounds each marker gives, line after line, to a single value."""
    return {r for r in _determined(values, lines, hidden) if _protected(r, values, hidden)}


def _determined(
    values: Mapping[Ref, int], lines: Sequence[Line], hidden: Mapping[Ref, Kind]
) -> dict[Ref, set[int]]:
    """Every hidden cell a reader can compute (see `audit`), with the indices of the lines the
    computation combines."""
    unknowns = list(hidden)
    column = {r: i for i, r in enumerate(unknowns)}
    equations: list[tuple[int, dict[int, Fraction]]] = []
    for index, line in enumerate(lines):
        row: dict[int, Fraction] = {}
        for ref, sign in line.signed():
            if ref in column:
                i = column[ref]
                row[i] = row.get(i, Fraction(0)) + sign
        row = {i: c for i, c in row.items() if c}
        if row:
            equations.append((index, row))
    determined = {unknowns[i]: used for i, used in _unit_rows(equations).items()}

    bounds = {r: _bounds(kind) for r, kind in hidden.items()}
    relevant = [i for i, line in enumerate(lines) if any(r in bounds for r in line.cells)]
    narrowed: dict[Ref, set[int]] = {}
    for _ in range(4 * len(relevant) + 4):
        changed = False
        for i in relevant:
            before = {r: bounds[r] for r in lines[i].cells if r in bounds}
            if _narrow(lines[i], values, bounds):
                changed = True
                for r, b in before.items():
                    if bounds[r] != b:
                        narrowed.setdefault(r, set()).update(relevant)
        if not changed:
            break
    for r, (lo, hi) in bounds.items():
        if lo == hi and r not in determined:
            determined[r] = narrowed.get(r, set())
    return determined


def _unit_rows(equations: list[tuple[int, dict[int, Fraction]]]) -> dict[int, set[int]]:
    """The unknowns whose unit vector lies in the row space of `equations` (sparse rows, each
    with the index of its line): the rows of the reduced row echelon form with a single non-zero
    entry, each with the lines combined into it."""
    Row = dict[int, Fraction]

    def subtract(target: Row, source: Row, factor: Fraction) -> None:
        for k, v in source.items():
            value = target.get(k, Fraction(0)) - factor * v
            if value:
                target[k] = value
            else:
                target.pop(k, None)

    pivots: list[tuple[int, Row, Row]] = []  # (column, row, combination of the lines)
    for index, original in equations:
        row, combination = dict(original), {index: Fraction(1)}
        for col, prow, pcomb in pivots:  # reduce by the pivots found so far
            c = row.get(col)
            if c:
                subtract(combination, pcomb, c)
                subtract(row, prow, c)
        if not row:
            continue
        col = min(row)
        scale = row[col]
        row = {k: v / scale for k, v in row.items()}
        combination = {k: v / scale for k, v in combination.items()}
        for _, prow, pcomb in pivots:  # keep the earlier pivot rows reduced
            c = prow.get(col)
            if c:
                subtract(pcomb, combination, c)
                subtract(prow, row, c)
        pivots.append((col, row, combination))
    return {col: set(comb) for col, row, comb in pivots if len(row) == 1}
