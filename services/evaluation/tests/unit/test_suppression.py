"""Complementary suppression (ADR 0047): no hidden count of 1 or 2 follows from what is shown."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from evaluation.domain.disclosure import COMPLEMENTARY, NOT_SHOWN, SUPPRESSED, Count, Rate
from evaluation.domain.report import Report, Section, Table
from evaluation.domain.suppression import Line, Ref, Relations, audit, suppress


def ref(row: str, col: int = 1) -> Ref:
    return ("t", row, col)


def test_the_issue_example_health_is_not_six_minus_four():
    """Referrals by sector: health 2, education 4, sent 6. "< 3" alone is undone by 6 − 4."""
    values = {ref("health"): 2, ref("education"): 4, ref("police"): 0, ref("sent"): 6}
    line = Line((ref("health"), ref("education"), ref("police")), (ref("sent"),))
    primary_only = {ref("health"): "primary"}
    assert audit(values, [line], primary_only) == {ref("health")}  # 6 − 4 − 0
    hidden = suppress(values, [line])
    assert hidden == {ref("health"): "primary", ref("education"): "complementary"}
    assert audit(values, [line], hidden) == set()


def test_a_zero_is_never_hidden_and_parts_go_before_the_total():
    values = {ref("a"): 1, ref("b"): 0, ref("c"): 5, ref("total"): 6}
    hidden = suppress(values, [Line((ref("a"), ref("b"), ref("c")), (ref("total"),))])
    assert hidden == {ref("a"): "primary", ref("c"): "complementary"}


def _grid(cells: dict[tuple[int, int], int]) -> tuple[dict[Ref, int], list[Line]]:
    """A table with row totals, column totals and a grand total."""
    rows = sorted({r for r, _ in cells})
    cols = sorted({c for _, c in cells})
    values: dict[Ref, int] = {("g", str(r), c): n for (r, c), n in cells.items()}
    lines = []
    for r in rows:
        values[("g", str(r), 99)] = sum(cells[r, c] for c in cols)
        lines.append(Line(tuple(("g", str(r), c) for c in cols), (("g", str(r), 99),)))
    for c in (*cols, 99):
        values[("g", "total", c)] = sum(values[("g", str(r), c)] for r in rows)
        lines.append(Line(tuple(("g", str(r), c) for r in rows), (("g", "total", c),)))
    return values, lines


def test_two_steps_a_complement_computed_from_its_own_row_gives_the_small_cell_away():
    values, lines = _grid({(0, 0): 1, (0, 1): 5, (1, 0): 7, (1, 1): 9})
    a, b, c = ("g", "0", 0), ("g", "0", 1), ("g", "1", 0)
    # Row 0 and column 0 each hold two hidden cells, but row 1 gives (1, 0) = 16 − 9, and then
    # column 0 gives (0, 0) = 8 − 7.
    hidden = {a: "primary", b: "complementary", c: "complementary"}
    assert audit(values, lines, hidden) == {a}
    protected = suppress(values, lines)
    assert audit(values, lines, protected) == set()
    assert len([k for k in protected.values() if k == "complementary"]) >= 3  # a rectangle


def test_linear_algebra_finds_what_no_single_line_does():
    """A hierarchy: sectors → groups → total. Each line has two hidden cells, yet a combination
    of three lines pins the small cell down."""
    v = {ref("x"): 2, ref("y"): 10, ref("z"): 7, ref("g1"): 12, ref("g2"): 7, ref("all"): 19}
    lines = [
        Line((ref("x"), ref("y")), (ref("g1"),)),
        Line((ref("z"),), (ref("g2"),)),
        Line((ref("g1"), ref("g2")), (ref("all"),)),
    ]
    hidden = {ref("x"): "primary", ref("g1"): "complementary", ref("y"): "complementary"}
    assert audit(v, lines, hidden) == set()  # x + y = g1 with both unknown: fine
    hidden = {ref("x"): "primary", ref("g1"): "complementary"}
    # g1 = all − g2 (two steps), then x = g1 − y.
    assert audit(v, lines, hidden) == {ref("x")}
    assert audit(v, lines, suppress(v, lines)) == set()


def test_bounds_two_small_cells_whose_sum_is_two_are_both_one():
    values = {ref("a"): 1, ref("b"): 1, ref("c"): 9, ref("total"): 11}
    line = Line((ref("a"), ref("b"), ref("c")), (ref("total"),))
    both = {ref("a"): "primary", ref("b"): "primary"}
    assert audit(values, [line], both) == {ref("a"), ref("b")}  # 11 − 9 = 2 = 1 + 1
    hidden = suppress(values, [line])
    assert hidden[ref("c")] == "complementary"
    assert audit(values, [line], hidden) == set()


def test_bounds_a_line_of_small_counts_only():
    """1 + 1 = 2, all three "< 3": each part is 1. The total is shown as "#" instead."""
    values = {ref("a"): 1, ref("b"): 1, ref("total"): 2}
    line = Line((ref("a"), ref("b")), (ref("total"),))
    assert audit(values, [line], {r: "primary" for r in values}) == set(values)
    hidden = suppress(values, [line])
    assert hidden == {ref("a"): "primary", ref("b"): "primary", ref("total"): "masked"}
    assert audit(values, [line], hidden) == set()


def test_the_remainder_of_a_share_is_protected_too():
    """10 cases opened, 8 with consent: 2 without, which the two counts shown give away."""
    relations = Relations()
    relations.share(ref("share"), ref("consented"), ref("opened"))
    values = {ref("consented"): 8, ref("opened"): 10, ("t", "share~rest", 1): 2}
    hidden = suppress(values, relations.lines, frozenset(relations.remainders))
    assert hidden[ref("consented")] == "complementary"
    assert audit(values, relations.lines, hidden) == set()


def test_random_tables_come_out_protected():
    rng = random.Random(42)
    for _ in range(300):
        shape = rng.randint(1, 5), rng.randint(1, 5)
        cells = {
            (r, c): rng.choice([0, 1, 2, 3, 4, 5, 8, 13, 40])
            for r in range(shape[0])
            for c in range(shape[1])
        }
        values, lines = _grid(cells)
        hidden = suppress(values, lines)
        assert audit(values, lines, hidden) == set(), cells
        for ref_, n in values.items():
            assert (hidden.get(ref_) in ("primary", "masked")) == (0 < n < 3)
            assert n > 0 or ref_ not in hidden
        for line in lines:  # the single subtraction, said plainly
            shown = [r for r in line.cells if r not in hidden]
            if any(hidden.get(r) == "primary" for r in line.cells):
                assert len(line.cells) - len(shown) >= 2, (cells, line)


def test_a_report_shows_complements_and_hides_the_shares_of_hidden_counts():
    by_sector = Table("by_sector", "Skierowania", ["Sektor", "Skierowania"])
    by_sector.add("health", "Ochrona zdrowia", Count(2))
    by_sector.add("education", "Edukacja", Count(4))
    summary = Table("summary", "W liczbach", ["Wskaźnik", "Wartość"])
    summary.add("sent", "Wysłane", Count(6))
    summary.add("accepted", "Przyjęte", Count(4))
    summary.add("share", "Odsetek przyjętych (%)", Rate(4, 6))
    report = Report("R", "region", "Region", None, "teraz", generated_at=datetime.now(UTC))
    report.sections.append(Section("s", "S", [summary, by_sector]))
    report.relations.lines.append(
        Line((by_sector.ref("health", 1), by_sector.ref("education", 1)), (summary.ref("sent", 1),))
    )
    report.relations.share(summary.ref("share", 1), summary.ref("accepted", 1))
    (_, _, (shown_summary, shown_sectors)) = report.disclosed().sections[0]
    assert shown_sectors.rows == [["Ochrona zdrowia", SUPPRESSED], ["Edukacja", COMPLEMENTARY]]
    # 4 of 6 gives a remainder of 2, hidden as a share; the counts are shown (no line ties them).
    assert shown_summary.rows[2] == ["Odsetek przyjętych (%)", NOT_SHOWN]
    assert report.disclosed().as_json()["markers"][COMPLEMENTARY]
