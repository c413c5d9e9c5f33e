"""A disclosed report as CSV, XLSX and PDF, in Polish.

These functions take a `DisclosedReport` only — the output of small-cell suppression — so an
export can't show a figure the views would hide. Each table with a chart gets one beside it (an
XLSX bar or line chart; a bar chart drawn under the table in the PDF); the table is always there
for those who can't see the chart.
"""

from __future__ import annotations

from fpdf import FPDF
from openpyxl import Workbook  # type: ignore[import-untyped]
from openpyxl.chart import BarChart, LineChart, Reference  # type: ignore[import-untyped]
from openpyxl.styles import Font  # type: ignore[import-untyped]

from evaluation.domain.disclosure import Value
from evaluation.domain.report import SUPPRESSION_NOTE, DisclosedReport, DisclosedTable
from shared.clock import WARSAW
from shared.exports.csv import csv_bytes
from shared.exports.fonts import FONT as _FONT
from shared.exports.pdf import BasePDF, new_pdf, pdf_bytes
from shared.exports.pdf import line as _line
from shared.exports.xlsx import workbook_bytes

NOTE = f"{SUPPRESSION_NOTE} Dzięki temu nie da się rozpoznać rodziny."


def text_value(value: Value) -> str:
    """A value as Polish text: decimal comma, empty for no value."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.1f}".replace(".", ",")
    return str(value)


def _header(report: DisclosedReport) -> list[str]:
    return [
        report.title,
        f"Zakres: {report.scope_label}",
        f"Okres: {report.period_label}",
        f"Wygenerowano: {report.generated_at.astimezone(WARSAW):%d.%m.%Y %H:%M} (czas polski)",
        NOTE,
    ]


def _tables(report: DisclosedReport) -> list[tuple[str, DisclosedTable]]:
    return [(title, t) for _, title, tables in report.sections for t in tables]


def to_csv(report: DisclosedReport) -> bytes:
    """Semicolon-separated, UTF-8 with BOM (opens correctly in a Polish spreadsheet)."""
    rows: list[list[str]] = [[line] for line in _header(report)]
    for section_title, table in _tables(report):
        rows += [[], [f"{section_title} – {table.title}"], list(table.columns)]
        rows += [[text_value(v) for v in row] for row in table.rows]
    return csv_bytes(rows)


SHEETS = {
    "partnership": "Partnerstwo",
    "basket": "Koszyk usług",
    "cases": "Sprawy rodzin",
    "referrals": "Skierowania",
    "gaps": "Luki w sieci usług",
    "municipalities": "Gminy",
    "trend": "Trendy",
}


def _sheet_title(title: str, used: set[str]) -> str:
    clean = "".join(ch for ch in title if ch not in "[]:*?/\\")[:28].strip()
    name, n = clean, 2
    while name in used:
        name, n = f"{clean[:25]} {n}", n + 1
    used.add(name)
    return name


def to_xlsx(report: DisclosedReport) -> bytes:
    workbook = Workbook()
    info = workbook.active
    info.title = "Informacje"
    for i, line in enumerate(_header(report), start=1):
        info.cell(row=i, column=1, value=line).font = Font(bold=i == 1)
    info.column_dimensions["A"].width = 110
    used = {"Informacje"}
    for key, section_title, tables in report.sections:
        sheet = workbook.create_sheet(_sheet_title(SHEETS.get(key, section_title), used))
        sheet.column_dimensions["A"].width = 45
        row = 1
        for table in tables:
            sheet.cell(row=row, column=1, value=table.title).font = Font(bold=True, size=12)
            row += 1
            head = row
            for col, name in enumerate(table.columns, start=1):
                sheet.cell(row=row, column=col, value=name).font = Font(bold=True)
            for values in table.rows:
                row += 1
                for col, value in enumerate(values, start=1):
                    sheet.cell(row=row, column=col, value=value)
            _xlsx_chart(sheet, table, head, row)
            row += max(3, 18 - len(table.rows)) if _chart_column(table) else 3
    return workbook_bytes(workbook, title=report.title)


def _chart_column(table: DisclosedTable) -> int | None:
    """The first column (0-based, after the label) holding numbers, if the table has a chart."""
    if table.chart == "none" or not table.rows:
        return None
    for col in range(1, len(table.columns)):
        if any(isinstance(r[col], int | float) for r in table.rows if col < len(r)):
            return col
    return None


def _xlsx_chart(sheet: object, table: DisclosedTable, head: int, last: int) -> None:
    col = _chart_column(table)
    if col is None:
        return
    chart = LineChart() if table.chart == "line" else BarChart()
    chart.title = table.title[:60]
    chart.height, chart.width = 7, 14
    data = Reference(sheet, min_col=col + 1, min_row=head, max_row=last)
    labels = Reference(sheet, min_col=1, min_row=head + 1, max_row=last)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(labels)
    sheet.add_chart(chart, f"{chr(ord('A') + len(table.columns) + 1)}{head}")  # type: ignore[attr-defined]


def _pdf_table(pdf: FPDF, table: DisclosedTable) -> None:
    pdf.set_font(_FONT, "", 8)
    width = pdf.epw
    first = min(70.0, width * 0.45) if len(table.columns) > 2 else width * 0.7
    rest = (width - first) / max(1, len(table.columns) - 1)
    widths = (first, *([rest] * (len(table.columns) - 1)))
    with pdf.table(
        col_widths=widths, text_align="LEFT", line_height=4.2, first_row_as_headings=True
    ) as t:
        t.row([str(c) for c in table.columns])
        for values in table.rows:
            t.row([text_value(v) for v in values])


def _pdf_chart(pdf: FPDF, table: DisclosedTable) -> None:
    """Horizontal bars of the table's first numeric column; a suppressed cell shows its label."""
    col = _chart_column(table)
    if col is None:
        return
    values = [(str(r[0]), r[col]) for r in table.rows][:20]
    top = max((float(v) for _, v in values if isinstance(v, int | float)), default=0.0)
    if top <= 0:
        return
    bar_h, label_w = 4.0, 60.0
    if pdf.will_page_break(bar_h * len(values) + 8):
        pdf.add_page()
    _line(pdf, f"Wykres: {table.columns[col]}", 8, "B", 4.5)
    x0 = pdf.l_margin + label_w
    span = pdf.epw - label_w - 18
    for label, value in values:
        y = pdf.get_y()
        pdf.set_font(_FONT, "", 7)
        pdf.set_xy(pdf.l_margin, y)
        pdf.cell(label_w - 2, bar_h, label[:45], align="R")
        if isinstance(value, int | float) and value > 0:
            pdf.set_fill_color(52, 101, 164)
            pdf.rect(x0, y + 0.6, span * float(value) / top, bar_h - 1.2, style="F")
        pdf.set_xy(x0 + (span * float(value) / top if isinstance(value, int | float) else 0) + 1, y)
        pdf.cell(16, bar_h, text_value(value))
        pdf.set_y(y + bar_h)
    pdf.ln(2)


def to_pdf(report: DisclosedReport) -> bytes:
    pdf = new_pdf(
        BasePDF,
        title=report.title,
        creator="Platforma CUS – monitoring i ewaluacja",
        footer=f"{report.title} – {report.scope_label}",
        margins=(16, 16, 16),
    )
    _line(pdf, report.title, 16, "B", 8)
    for line in _header(report)[1:]:
        _line(pdf, line, 9.5)
    for _, section_title, tables in report.sections:
        pdf.ln(3)
        if pdf.will_page_break(30):
            pdf.add_page()
        pdf.start_section(section_title, level=0)
        _line(pdf, section_title, 13, "B", 7)
        for table in tables:
            if pdf.will_page_break(20):
                pdf.add_page()
            _line(pdf, table.title, 10, "B", 5.5)
            if table.rows:
                _pdf_table(pdf, table)
                pdf.ln(1)
                _pdf_chart(pdf, table)
            else:
                _line(pdf, "Brak danych.", 8.5)
            pdf.ln(2)
    return pdf_bytes(pdf)
