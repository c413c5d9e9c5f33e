"""shared.exports: one font setting, the PDF base and its tagged variant, CSV and XLSX."""

from __future__ import annotations

import io
import logging
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook  # type: ignore[import-untyped]

from shared.exports import fonts
from shared.exports.csv import csv_bytes
from shared.exports.pdf import BasePDF, TaggedPDF, line, new_pdf, pdf_bytes
from shared.exports.xlsx import header_row, workbook_bytes

POLISH = "Zażółć gęślą jaźń – ŻÓŁĆ GĘŚLĄ JAŹŃ"


def pdftotext(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "out.pdf"
    path.write_bytes(data)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture
def no_font_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(fonts.FONT_DIR_ENV, raising=False)
    monkeypatch.delenv(fonts.DEPRECATED_FONT_DIR_ENV, raising=False)


def copy_fonts(to: Path) -> None:
    for name in (fonts.FONT_REGULAR, fonts.FONT_BOLD):
        shutil.copy(Path(fonts.DEFAULT_FONT_DIR) / name, to / name)


@pytest.mark.usefixtures("no_font_env")
def test_the_fonts_default_to_the_dejavu_folder() -> None:
    assert fonts.font_dir() == Path(fonts.DEFAULT_FONT_DIR)
    assert all(p.is_file() for p in fonts.font_paths())


@pytest.mark.usefixtures("no_font_env")
def test_one_setting_names_the_font_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    copy_fonts(tmp_path)
    monkeypatch.setenv("CUS_FONT_DIR", str(tmp_path))
    assert fonts.font_paths() == (tmp_path / "DejaVuSans.ttf", tmp_path / "DejaVuSans-Bold.ttf")


@pytest.mark.usefixtures("no_font_env")
def test_the_old_name_is_read_with_a_warning_when_the_new_one_is_unset(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("CUS_PDF_FONT_DIR", str(tmp_path))
    with caplog.at_level(logging.WARNING, logger=fonts.__name__):
        assert fonts.font_dir() == tmp_path
    assert "CUS_PDF_FONT_DIR is deprecated" in caplog.text
    monkeypatch.setenv("CUS_FONT_DIR", fonts.DEFAULT_FONT_DIR)
    assert fonts.font_dir() == Path(fonts.DEFAULT_FONT_DIR)  # the new name wins


@pytest.mark.usefixtures("no_font_env")
def test_a_missing_font_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CUS_FONT_DIR", str(tmp_path))
    with pytest.raises(RuntimeError, match=re.escape(str(tmp_path / "DejaVuSans.ttf"))):
        new_pdf(BasePDF, title="t", creator="c", footer="f")


def test_the_pdf_has_polish_letters_metadata_and_page_footers(tmp_path: Path) -> None:
    pdf = new_pdf(BasePDF, title=POLISH, creator="Platforma CUS – test", footer="Stopka ąę")
    line(pdf, POLISH, 12, "B")
    pdf.add_page()
    line(pdf, "Druga strona")
    data = pdf_bytes(pdf)
    assert data.startswith(b"%PDF-")
    text = pdftotext(data, tmp_path)
    assert POLISH in text
    assert "Strona 1 z 2" in text
    assert "Strona 2 z 2" in text
    assert "Stopka ąę" in text
    info = subprocess.run(
        ["pdfinfo", "-"], input=data, check=True, capture_output=True
    ).stdout.decode()
    assert POLISH in info
    assert "Platforma CUS – test" in info
    assert b"/Lang (pl-PL)" in data


def test_the_tagged_pdf_has_a_structure_tree_title_and_language(tmp_path: Path) -> None:
    pdf = new_pdf(
        TaggedPDF,
        title="Dokument",
        creator="c",
        footer="Stopka",
        subject="Temat",
        author="Autor",
        show_title=True,
    )
    pdf.block("H1", "Nagłówek łączący", size=16, height=8, style="B")
    for i in range(60):  # a paragraph over two pages, each part its own element
        pdf.block("P", f"Akapit {i}: " + POLISH * 3, size=10, height=5)
    pdf.set_compression(False)  # to read the marks in the content streams
    data = pdf_bytes(pdf)
    assert b"/StructTreeRoot" in data
    assert b"/MarkInfo" in data
    assert b"/S /H1" in data
    assert b"/S /P" in data
    assert b"/Artifact BMC" in data  # the footer, outside the tree
    assert b"/DisplayDocTitle true" in data
    assert b"/Lang (pl-PL)" in data
    text = pdftotext(data, tmp_path)
    assert "Nagłówek łączący" in text
    assert "Akapit 59:" in text


def test_csv_is_utf8_with_a_bom_semicolons_and_crlf() -> None:
    data = csv_bytes([["Nazwa", "Opis"], ["Łódź", 'ma ; i "cudzysłów"'], []])
    assert data.startswith("\ufeff".encode())
    assert data.decode("utf-8-sig") == 'Nazwa;Opis\r\nŁódź;"ma ; i ""cudzysłów"""\r\n\r\n'


def test_xlsx_is_titled_polish_with_a_bold_header() -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Gmina", "Liczba"])
    sheet.append(["Żółkiewka", 3])
    header_row(sheet)
    back = load_workbook(io.BytesIO(workbook_bytes(workbook, title="Raport ąę")))
    assert back.properties.title == "Raport ąę"
    assert back.properties.language == "pl-PL"
    cells = back.active[1]
    assert all(c.font.bold and c.alignment.wrap_text for c in cells)
    assert back.active["A2"].value == "Żółkiewka"
