"""Charts drawn on the server as SVG (ADR 0071): no JavaScript, no chart library, no build step.

A chart is made from one table of an evaluation view exactly as the service disclosed it: numbers
are drawn, a suppressed figure (one of the service's markers: "< 3", "#" for a figure hidden so
that a small one cannot be computed, "—" for a share of few) is written out where its bar or
point would be and never drawn to a length, and an empty cell is left out. The page puts the
table itself beside every chart, so the chart is a picture of the table, not the only way to read
it. Colours reach at least 3:1 against white (WCAG 1.4.11) and series differ in pattern (dashes,
marker shapes) as well as colour (WCAG 1.4.1).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup, escape

Value = int | float | str | None
Number = Callable[[float], str]
Marker = str | tuple[str, ...]  # the service's marker, or all of them


def is_marker(value: Value, marker: Marker) -> bool:
    return value == marker if isinstance(marker, str) else value in marker


# Contrast against white: 6.6, 5.9, 5.4, 8.6, 5.3, 5.7 : 1.
COLOURS = ("#1f5fa8", "#b3400b", "#2b7a2f", "#5b2c91", "#86590d", "#b0164f")
DASHES = ("", "6 3", "2 3", "8 3 2 3", "4 4", "1 2")
MARKERS = ("circle", "square", "diamond", "triangle", "circle-open", "square-open")

WIDTH = 480
FONT = 13


@dataclass
class Series:
    name: str
    values: list[Value]


@dataclass
class ChartData:
    kind: str  # "bar" or "line"
    labels: list[str]
    series: list[Series]
    omitted_rows: int = 0
    notes: list[str] = field(default_factory=list)


def is_number(value: Value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def numeric_columns(rows: Sequence[Sequence[Value]], width: int, marker: Marker) -> list[int]:
    """Columns holding only numbers, the suppression marker or nothing, with a number or a marker
    in at least one row."""
    out = []
    for j in range(width):
        cells = [row[j] for row in rows if j < len(row)]
        if not cells:
            continue
        if all(is_number(c) or c is None or is_marker(c, marker) for c in cells) and any(
            is_number(c) or is_marker(c, marker) for c in cells
        ):
            out.append(j)
    return out


# Which columns of a table make the clearest picture, where the first numeric one would not:
# totals and shares rather than their parts, and never counts and percentages on one axis.
PLOTTED: dict[str, tuple[int, ...]] = {
    "members_by_sector": (-1,),
    "attendance": (-1,),
    "referrals_by_sector": (-3, -2, -1),
    "referrals_by_cost": (1, 2, 3),
    "gaps_by_area": (1, 2, 3),
    "by_municipality": (1, 2),
}


def chart_data(
    table: dict[str, Any], marker: Marker, *, keep_zero: bool = False
) -> ChartData | None:
    """What to draw for one disclosed table (`chart` "bar" or "line"), or None."""
    kind = table.get("chart")
    rows: list[list[Value]] = table.get("rows") or []
    columns: list[str] = table.get("columns") or []
    if kind not in ("bar", "line") or not rows:
        return None
    numeric = numeric_columns(rows, len(columns), marker)
    if not numeric:
        return None
    label_columns = [j for j in range(len(columns)) if j < numeric[0]] or [0]
    wanted = PLOTTED.get(str(table.get("key")))
    if wanted:
        chosen = [j % len(columns) for j in wanted]
        chosen = [j for j in chosen if j in numeric] or numeric[:1]
    elif kind == "line":
        chosen = numeric
    else:
        chosen = numeric[:1]
    keys = table.get("row_keys") or []
    labels: list[str] = []
    picked: list[list[Value]] = []
    omitted = 0
    for i, row in enumerate(rows):
        values = [row[j] for j in chosen]
        if kind == "bar" and not keep_zero and all(v in (0, None) for v in values):
            omitted += 1  # an all-zero row is in the table; the chart shows what there is
            continue
        if kind == "line" and i < len(keys):
            labels.append(str(keys[i]))  # period codes: short enough for an axis
        else:
            labels.append(" – ".join(str(row[j]) for j in label_columns if row[j] is not None))
        picked.append(values)
    if not picked:
        return None
    series = [Series(columns[j], [values[k] for values in picked]) for k, j in enumerate(chosen)]
    return ChartData(kind, labels, series, omitted)


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    exponent = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * exponent:
            return float(step * exponent)
    return float(10 * exponent)


def _marker(shape: str, x: float, y: float, colour: str) -> str:
    open_ = shape.endswith("-open")
    fill = "#ffffff" if open_ else colour
    base = shape.removesuffix("-open")
    attrs = f'fill="{fill}" stroke="{colour}" stroke-width="2"'
    if base == "square":
        return f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" {attrs}/>'
    if base == "diamond":
        pts = f"{x:.1f},{y - 5:.1f} {x + 5:.1f},{y:.1f} {x:.1f},{y + 5:.1f} {x - 5:.1f},{y:.1f}"
        return f'<polygon points="{pts}" {attrs}/>'
    if base == "triangle":
        pts = f"{x:.1f},{y - 5:.1f} {x + 5:.1f},{y + 4:.1f} {x - 5:.1f},{y + 4:.1f}"
        return f'<polygon points="{pts}" {attrs}/>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" {attrs}/>'


def _legend(series: list[Series], y: float, line: bool) -> tuple[list[str], float]:
    """One legend row per series (a swatch and the column's name); returns the parts and the
    height used."""
    parts = []
    for k, s in enumerate(series):
        colour = COLOURS[k % len(COLOURS)]
        yy = y + k * 20
        if line:
            dash = DASHES[k % len(DASHES)]
            dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
            parts.append(
                f'<line x1="0" y1="{yy:.1f}" x2="24" y2="{yy:.1f}" stroke="{colour}" '
                f'stroke-width="2.5"{dash_attr}/>'
            )
            parts.append(_marker(MARKERS[k % len(MARKERS)], 12, yy, colour))
        else:
            parts.append(f'<rect x="0" y="{yy - 6:.1f}" width="24" height="12" fill="{colour}"/>')
            if k > 0:
                parts.append(
                    f'<line x1="0" y1="{yy:.1f}" x2="24" y2="{yy:.1f}" stroke="#ffffff" '
                    f'stroke-width="{k}"/>'
                )
        parts.append(f'<text x="32" y="{yy + 4:.1f}" class="chart-text">{escape(s.name)}</text>')
    return parts, len(series) * 20


def _svg(title: str, desc: str, ident: str, height: float, body: list[str]) -> Markup:
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height:.0f}" '
        f'role="img" aria-labelledby="{ident}-t {ident}-d" class="chart-svg" '
        f'font-size="{FONT}">'
        f'<title id="{ident}-t">{escape(title)}</title>'
        f'<desc id="{ident}-d">{escape(desc)}</desc>' + "".join(body) + "</svg>"
    )


def bar_chart(
    data: ChartData, *, title: str, desc: str, ident: str, number: Number, marker: Marker
) -> Markup:
    """Horizontal bars, one group per row; the row's label above its bars, so long Polish names
    need no cutting."""
    values = [float(v) for s in data.series for v in s.values if isinstance(v, (int, float))]
    top = _nice_max(max(values or [0.0]))
    body: list[str] = []
    y = 4.0
    legend_parts: list[str] = []
    if len(data.series) > 1:
        legend_parts, used = _legend(data.series, y + 8, line=False)
        body += legend_parts
        y += used + 8
    span = WIDTH - 70
    bar_h = 14
    for i, label in enumerate(data.labels):
        y += FONT + 4
        body.append(f'<text x="0" y="{y:.1f}" class="chart-text">{escape(label)}</text>')
        y += 4
        for k, s in enumerate(data.series):
            v = s.values[i]
            colour = COLOURS[k % len(COLOURS)]
            if is_number(v):
                length = max(0.0, float(v) / top * span) if top else 0.0  # type: ignore[arg-type]
                body.append(
                    f'<rect x="0" y="{y:.1f}" width="{length:.1f}" height="{bar_h}" '
                    f'fill="{colour}"/>'
                )
                if k > 0:
                    # A white line across the bar: series differ in more than colour.
                    body.append(
                        f'<line x1="0" y1="{y + bar_h / 2:.1f}" x2="{length:.1f}" '
                        f'y2="{y + bar_h / 2:.1f}" stroke="#ffffff" stroke-width="{k}"/>'
                    )
                text = number(float(v))  # type: ignore[arg-type]
                body.append(
                    f'<text x="{length + 6:.1f}" y="{y + bar_h - 2:.1f}" '
                    f'class="chart-text">{escape(text)}</text>'
                )
            elif is_marker(v, marker):
                body.append(
                    f'<text x="0" y="{y + bar_h - 2:.1f}" class="chart-text chart-marker">'
                    f"{escape(str(v))}</text>"
                )
            y += bar_h + 3
        y += 4
    return _svg(title, desc, ident, y + 6, body)


def line_chart(
    data: ChartData, *, title: str, desc: str, ident: str, number: Number, marker: Marker
) -> Markup:
    """One line per column over the periods; a suppressed point breaks its line and is written
    out above the axis."""
    values = [float(v) for s in data.series for v in s.values if is_number(v)]  # type: ignore[arg-type]
    top = _nice_max(max(values or [0.0]))
    left, right, plot_top, plot_h = 44.0, 12.0, 12.0, 180.0
    n = len(data.labels)
    step = (WIDTH - left - right) / max(n - 1, 1)
    body: list[str] = []
    for tick in (0.0, top / 2, top):
        y = plot_top + plot_h - tick / top * plot_h
        body.append(
            f'<line x1="{left:.1f}" y1="{y:.1f}" x2="{WIDTH - right:.1f}" y2="{y:.1f}" '
            'class="chart-grid"/>'
        )
        body.append(
            f'<text x="{left - 6:.1f}" y="{y + 4:.1f}" text-anchor="end" class="chart-text">'
            f"{escape(number(tick))}</text>"
        )
    axis_y = plot_top + plot_h
    for i, label in enumerate(data.labels):
        x = left + i * step if n > 1 else left + (WIDTH - left - right) / 2
        body.append(
            f'<text x="{x:.1f}" y="{axis_y + 18:.1f}" text-anchor="middle" '
            f'class="chart-text">{escape(label)}</text>'
        )
    for k, s in enumerate(data.series):
        colour = COLOURS[k % len(COLOURS)]
        dash = DASHES[k % len(DASHES)]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        runs: list[list[str]] = [[]]  # unbroken runs of points; a hidden value breaks a line
        markers: list[str] = []
        for i, v in enumerate(s.values):
            x = left + i * step if n > 1 else left + (WIDTH - left - right) / 2
            if is_number(v):
                y = plot_top + plot_h - float(v) / top * plot_h  # type: ignore[arg-type]
                runs[-1].append(f"{x:.1f},{y:.1f}")
                markers.append(_marker(MARKERS[k % len(MARKERS)], x, y, colour))
            else:
                runs.append([])
                if is_marker(v, marker):
                    markers.append(
                        f'<text x="{x:.1f}" y="{axis_y - 6 - 14 * k:.1f}" text-anchor="middle" '
                        f'class="chart-text chart-marker" fill="{colour}">{escape(str(v))}</text>'
                    )
        points = [
            f'<polyline points="{" ".join(run)}" fill="none" stroke="{colour}" '
            f'stroke-width="2.5"{dash_attr}/>'
            for run in runs
            if len(run) > 1
        ]
        body += points + markers
    legend, used = _legend(data.series, axis_y + 44, line=True)
    body += legend
    return _svg(title, desc, ident, axis_y + 44 + used, body)


def render(
    table: dict[str, Any],
    *,
    ident: str,
    number: Number,
    marker: Marker,
    describe: Callable[..., str],
    keep_zero: bool = False,
) -> tuple[Markup, ChartData] | None:
    """The SVG of a disclosed table and what it shows, or None when it has nothing to draw.
    `describe(kind=, series=, rows=)` words the chart's description in the page's language."""
    data = chart_data(table, marker, keep_zero=keep_zero)
    if data is None:
        return None
    desc = describe(
        kind=data.kind,
        series=", ".join(s.name for s in data.series),
        rows=len(data.labels),
    )
    draw = line_chart if data.kind == "line" else bar_chart
    svg = draw(
        data, title=str(table.get("title") or ""), desc=desc, ident=ident, number=number,
        marker=marker,
    )  # fmt: skip
    return svg, data
