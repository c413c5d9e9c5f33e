"""Who sees what, and small-cell suppression in every export format."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from fpdf import FPDF
from openpyxl import load_workbook

from evaluation.adapters import exports
from evaluation.domain.disclosure import COMPLEMENTARY, NOT_SHOWN, SUPPRESSED

A, B = "1219053", "1219043"


@pytest.mark.parametrize(
    ("user", "params", "status", "scope"),
    [
        ("coord-a", {}, 200, A),
        ("coord-a", {"tenant": A}, 200, A),
        ("coord-a", {"tenant": B}, 403, None),
        ("coord-b", {}, 200, B),
        ("director-a", {}, 200, A),
        ("director-a", {"tenant": B}, 403, None),
        ("analyst", {}, 200, "region"),
        ("analyst", {"tenant": B}, 200, B),
        ("admin", {}, 200, "region"),
        ("manager-a", {}, 403, None),
        ("partner-a", {}, 403, None),
        (None, {}, 401, None),
    ],
)
async def test_who_sees_what(evaluation, user, params, status, scope):
    response = await evaluation.get(user, "/v1/monitoring", **params)
    assert response.status_code == status, response.text
    if scope:
        assert response.json()["scope"] == scope


async def test_bad_period_names_the_field(evaluation):
    response = await evaluation.get("analyst", "/v1/reports", period="2026-Q5")
    assert response.status_code == 422
    assert "period" in response.text


@pytest.mark.parametrize("period", ["0000", "9999-12", "0001-Q1", "1999-Q4", "2101"])
@pytest.mark.parametrize(
    "url",
    ["/v1/reports", "/v1/reports/export.csv", "/v1/reports/export.xlsx", "/v1/reports/export.pdf"],
)
async def test_a_period_outside_the_reported_years_is_refused(evaluation, url, period):
    response = await evaluation.get("analyst", url, period=period)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    [error] = response.json()["errors"]
    assert (error["field"], error["location"]) == ("period", "query")
    assert "2000–2100" in error["detail"]


def _csv_rows(content: bytes) -> list[list[str]]:
    assert content.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


def _find(rows: list[list[Any]], label: str) -> list[Any]:
    return next(r for r in rows if r and r[0] == label)


async def test_csv_export_suppresses_small_cells(evaluation):
    response = await evaluation.get("coord-a", "/v1/reports/export.csv", period="2026-Q3")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert "raport-1219053-2026-Q3.csv" in response.headers["content-disposition"]
    rows = _csv_rows(response.content)
    assert rows[0] == ["Raport ewaluacyjny – 3. kwartał 2026"]
    assert _find(rows, "Skierowania wysłane")[1] == "9"
    assert _find(rows, "Nieudane")[1] == COMPLEMENTARY
    assert _find(rows, "Sprawy otwarte na koniec okresu")[1] == SUPPRESSED
    assert _find(rows, "Odsetek przyjętych wśród rozpatrzonych (%)")[1] == NOT_SHOWN
    assert _find(rows, "Czas do zakończenia – 90. percentyl (dni)")[1] == "27,6"


async def test_xlsx_export_suppresses_small_cells(evaluation):
    response = await evaluation.get("analyst", "/v1/monitoring/export.xlsx", tenant=A)
    assert response.status_code == 200, response.text
    book = load_workbook(io.BytesIO(response.content))
    assert "Skierowania" in book.sheetnames
    sheet = book["Skierowania"]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert _find(rows, "Skierowania wysłane")[1] == 9
    assert _find(rows, "Nieudane")[1] == COMPLEMENTARY
    assert _find(rows, "Skierowania do usług bez wolnych miejsc")[1] == COMPLEMENTARY
    cases = [[c.value for c in row] for row in book["Sprawy rodzin"].iter_rows()]
    assert _find(cases, "Wycofania zgody")[1] == SUPPRESSED
    assert sheet._charts  # a chart beside the tables that have one


async def test_pdf_export_suppresses_small_cells(evaluation, monkeypatch):
    """Every string written into the PDF is recorded: suppressed figures appear as "< 3"."""
    written: list[str] = []
    original_cell, original_multi = FPDF.cell, FPDF.multi_cell

    def cell(self, w=None, h=None, text="", *args, **kwargs):  # type: ignore[no-untyped-def]
        written.append(str(text))
        return original_cell(self, w, h, text, *args, **kwargs)

    def multi_cell(self, w, h=None, text="", *args, **kwargs):  # type: ignore[no-untyped-def]
        written.append(str(text))
        return original_multi(self, w, h, text, *args, **kwargs)

    monkeypatch.setattr(FPDF, "cell", cell)
    monkeypatch.setattr(FPDF, "multi_cell", multi_cell)
    response = await evaluation.get("coord-a", "/v1/reports/export.pdf", period="2026-Q3")
    assert response.status_code == 200, response.text
    assert response.content.startswith(b"%PDF")
    assert response.headers["content-type"] == "application/pdf"
    joined = "\n".join(written)
    assert "Skierowania w liczbach" in joined
    assert exports.NOTE in joined
    i = written.index("Nieudane")
    assert written[i + 1] == COMPLEMENTARY
    i = written.index("Skierowania wysłane")
    assert written[i + 1] == "9"
    i = written.index("Wycofania zgody")
    assert written[i + 1] == SUPPRESSED


async def test_asyncapi_lists_the_consumers(evaluation):
    response = await evaluation.client.get("/asyncapi.json")
    assert response.status_code == 200
    assert "evaluation-cases" in response.text
