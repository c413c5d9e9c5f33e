"""The SVG charts of the evaluation pages: what they draw from a disclosed table."""

from __future__ import annotations

from web.charts import chart_data, render

MARKER = "< 3"


def table(**overrides: object) -> dict[str, object]:
    base: dict[str, object] = {
        "key": "referrals_by_state",
        "title": "Skierowania według stanu",
        "chart": "bar",
        "columns": ["Stan", "Skierowania"],
        "rows": [["Wysłane", 12], ["Przyjęte", MARKER], ["Odrzucone", 0], ["Anulowane", None]],
        "row_keys": ["requested", "accepted", "rejected", "cancelled"],
    }
    return {**base, **overrides}


def test_a_suppressed_figure_is_written_out_never_drawn_to_a_length() -> None:
    drawn = render(table(), ident="x", number=str, marker=MARKER, describe=lambda **k: "opis")
    assert drawn is not None
    svg, data = drawn
    assert data.labels == ["Wysłane", "Przyjęte"]  # rows of zeros or nothing are left out
    assert data.omitted_rows == 2
    assert svg.count("<rect") == 1  # one bar: 12; none for "< 3" or the empty cell
    assert "&lt; 3" in svg
    assert 'role="img"' in svg
    assert '<title id="x-t">' in svg
    assert '<desc id="x-d">opis' in svg


def test_no_chart_for_tables_marked_none_or_without_numbers() -> None:
    assert chart_data(table(chart="none"), MARKER) is None
    assert chart_data(table(rows=[["a", "tak"], ["b", "nie"]]), MARKER) is None
    assert chart_data(table(rows=[]), MARKER) is None


def test_the_trend_draws_a_line_per_column_over_period_codes_and_breaks_at_hidden_points() -> None:
    trend = table(
        key="trend",
        chart="line",
        columns=["Okres", "Sprawy", "Spotkania"],
        rows=[["styczeń 2026", 4, 1], ["luty 2026", MARKER, 2], ["marzec 2026", 5, 0]],
        row_keys=["2026-01", "2026-02", "2026-03"],
    )
    drawn = render(trend, ident="t", number=str, marker=MARKER, describe=lambda **k: "")
    assert drawn is not None
    svg, data = drawn
    assert data.labels == ["2026-01", "2026-02", "2026-03"]
    assert [s.name for s in data.series] == ["Sprawy", "Spotkania"]
    # "Sprawy" is broken at February (two single points, no polyline); "Spotkania" is one line.
    assert svg.count("<polyline") == 1
    assert "&lt; 3" in svg


def test_labels_are_escaped() -> None:
    drawn = render(
        table(rows=[["<b>x</b>", 5]]), ident="e", number=str, marker=MARKER,
        describe=lambda **k: "",
    )  # fmt: skip
    assert drawn is not None
    assert "<b>" not in drawn[0]
    assert "&lt;b&gt;" in drawn[0]


def test_every_marker_of_the_service_is_written_out_never_drawn() -> None:
    """Complementary suppression (ADR 0047) adds "#" (a count hidden so that a small one cannot
    be computed) and "—" (a share of few): written where the bar would be, like "< 3"."""
    markers = ("< 3", "#", "—")
    rows = [["Wysłane", 12], ["Przyjęte", "#"], ["Odrzucone", "< 3"], ["Odsetek", "—"]]
    drawn = render(
        table(rows=rows), ident="m", number=str, marker=markers, describe=lambda **k: "opis"
    )
    assert drawn is not None
    svg, data = drawn
    assert data.labels == ["Wysłane", "Przyjęte", "Odrzucone", "Odsetek"]
    assert svg.count("<rect") == 1
    for marker in ("&lt; 3", "#</text>", "—</text>"):
        assert marker in svg
    # A column holding a marker the page doesn't know is not drawn at all.
    assert chart_data(table(rows=rows), "< 3") is None
