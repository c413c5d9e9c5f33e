"""XLSX workbooks with Polish metadata, and the bold header row the tables share."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook  # type: ignore[import-untyped]
from openpyxl.styles import Alignment, Font  # type: ignore[import-untyped]

LANGUAGE = "pl-PL"


def header_row(sheet: Any, *, row: int = 1, wrap: bool = True) -> None:
    """The cells of one row bold (and wrapped, aligned to the top)."""
    for cell in sheet[row]:
        cell.font = Font(bold=True)
        if wrap:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


def workbook_bytes(workbook: Workbook, *, title: str) -> bytes:
    """The workbook, titled and marked Polish, as an XLSX file's bytes."""
    workbook.properties.title = title
    workbook.properties.language = LANGUAGE
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
