"""A municipality's published basket as CSV, XLSX and a printable PDF (in Polish, grouped by area
and category)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from itertools import groupby

from fpdf import FPDF
from openpyxl import Workbook  # type: ignore[import-untyped]

from basket.domain import model
from basket.service.ports import Provider
from shared.contracts.basket import AREA_NAMES_PL, AREAS
from shared.exports.csv import csv_bytes
from shared.exports.pdf import BasePDF, new_pdf, pdf_bytes
from shared.exports.pdf import line as _line
from shared.exports.xlsx import header_row, workbook_bytes

Entry = tuple[model.Offering, Provider | None]

COLUMNS = (
    "Identyfikator",
    "Obszar",
    "Kategoria",
    "Usługa",
    "Opis",
    "Realizator",
    "Grupy docelowe",
    "Kto może skorzystać",
    "Wiek",
    "Skierowanie",
    "Decyzja",
    "Dokumenty",
    "Koszt",
    "Miejsca",
    "Dostępność architektoniczna",
    "Harmonogram",
    "Języki",
    "Obszar działania (TERYT)",
    "Osoba do kontaktu",
    "Telefon",
    "E-mail",
    "Dostępność miejsc",
    "Czas oczekiwania (dni)",
    "Zweryfikowano",
)


def _yes(value: bool) -> str:
    return "tak" if value else "nie"


def cost_text(cost: model.Cost) -> str:
    text = model.COST_NAMES_PL[cost.kind]
    if cost.amount is not None:
        text += f", {cost.amount:.2f} zł".replace(".", ",")
    if cost.description:
        text += f" ({cost.description})"
    return text


def place_text(place: model.Place) -> str:
    parts = [place.name, place.street, " ".join(p for p in (place.postal_code, place.city) if p)]
    return ", ".join(p for p in parts if p)


def schedule_text(o: model.Offering) -> str:
    """Weekly hours; consecutive days with the same hours joined ("poniedziałek–piątek …")."""
    runs: list[tuple[int, int, str]] = []
    for slot in sorted(o.schedule, key=lambda s: (s.weekday, s.opens_at)):
        hours = f"{slot.opens_at:%H:%M}–{slot.closes_at:%H:%M}"
        if runs and runs[-1][2] == hours and runs[-1][1] == slot.weekday - 1:
            runs[-1] = (runs[-1][0], slot.weekday, hours)
        else:
            runs.append((slot.weekday, slot.weekday, hours))
    days = model.WEEKDAYS_PL
    return "; ".join(f"{days[a]}{'–' + days[b] if b > a else ''} {hours}" for a, b, hours in runs)


def age_text(e: model.Eligibility) -> str:
    if e.min_age is not None and e.max_age is not None:
        return f"{e.min_age}–{e.max_age} lat"
    if e.min_age is not None:
        return f"od {e.min_age} lat"
    if e.max_age is not None:
        return f"do {e.max_age} lat"
    return ""


def row(o: model.Offering, provider: Provider | None, categories: dict[str, str]) -> list[str]:
    return [
        str(o.id),
        AREA_NAMES_PL.get(o.area, o.area),
        categories.get(o.category, o.category),
        o.title,
        o.description,
        provider.name if provider else "",
        ", ".join(model.TARGET_GROUPS.get(g, g) for g in o.target_groups),
        o.eligibility.description or "",
        age_text(o.eligibility),
        _yes(o.eligibility.referral_required),
        _yes(o.eligibility.decision_required),
        "; ".join(o.required_documents),
        cost_text(o.cost),
        " | ".join(place_text(p) for p in o.places),
        _yes(o.accessible),
        schedule_text(o),
        ", ".join(o.languages),
        ", ".join(o.tenants_served),
        " – ".join(p for p in (o.contact.name, o.contact.role) if p),
        o.contact.phone or "",
        o.contact.email or "",
        model.CAPACITY_NAMES_PL[o.capacity_status],
        "" if o.waiting_days is None else str(o.waiting_days),
        o.last_verified_on.isoformat() if o.last_verified_on else "",
    ]


def to_csv(entries: Sequence[Entry], categories: dict[str, str]) -> bytes:
    """CSV with a BOM and semicolons, as spreadsheets in Polish locales expect."""
    return csv_bytes([COLUMNS, *(row(o, provider, categories) for o, provider in entries)])


def to_xlsx(entries: Sequence[Entry], categories: dict[str, str], title: str) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Koszyk usług"
    sheet.append(list(COLUMNS))
    header_row(sheet)
    for o, provider in entries:
        sheet.append(row(o, provider, categories))
    widths = {"D": 40, "E": 60, "F": 35, "H": 40, "N": 40, "P": 30}
    for column, width in widths.items():
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    return workbook_bytes(workbook, title=title)


def _field(pdf: FPDF, label: str, value: str) -> None:
    if value:
        _line(pdf, f"{label}: {value}")


def to_pdf(
    entries: Sequence[Entry], categories: dict[str, str], *, municipality: str, today: date
) -> bytes:
    # The areas in the order of the act (art. 2), then categories and titles.
    entries = sorted(
        entries,
        key=lambda e: (
            AREAS.index(e[0].area) if e[0].area in AREAS else len(AREAS),
            e[0].category,
            e[0].title,
        ),
    )
    title = f"Lokalny Koszyk Usług – gmina {municipality}"
    pdf = new_pdf(
        BasePDF,
        title=title,
        creator="Platforma CUS – koszyk usług",
        footer=f"{title}, stan na {today:%d.%m.%Y}",
        margins=(18, 16, 18),
    )
    _line(pdf, title, 17, "B", 8)
    _line(
        pdf,
        f"Usługi partnerów Modelu Kooperacji, stan na {today:%d.%m.%Y}. "
        f"Liczba usług: {len(entries)}.",
        10.5,
    )
    pdf.ln(3)
    if not entries:
        _line(pdf, "Koszyk nie zawiera jeszcze opublikowanych usług.")
    for area, in_area in groupby(entries, key=lambda e: e[0].area):
        area_name = AREA_NAMES_PL.get(area, area)
        if pdf.will_page_break(40):
            pdf.add_page()
        pdf.ln(2)
        pdf.start_section(area_name, level=0)
        _line(pdf, area_name, 14, "B", 7)
        for category, in_category in groupby(in_area, key=lambda e: e[0].category):
            name = categories.get(category, category)
            if pdf.will_page_break(30):
                pdf.add_page()
            pdf.start_section(name, level=1)
            _line(pdf, name, 11.5, "B", 6)
            for o, provider in in_category:
                if pdf.will_page_break(28):
                    pdf.add_page()
                pdf.ln(1)
                _line(pdf, o.title, 10.5, "B", 5.2)
                _field(pdf, "Realizator", provider.name if provider else "")
                if o.description:
                    _line(pdf, o.description)
                _field(
                    pdf,
                    "Dla kogo",
                    ", ".join(model.TARGET_GROUPS.get(g, g) for g in o.target_groups),
                )
                _field(pdf, "Warunki", o.eligibility.description or "")
                _field(pdf, "Wiek", age_text(o.eligibility))
                needs = [
                    label
                    for flag, label in (
                        (o.eligibility.referral_required, "skierowanie"),
                        (o.eligibility.decision_required, "decyzja administracyjna"),
                    )
                    if flag
                ]
                _field(pdf, "Wymagane", ", ".join(needs))
                _field(pdf, "Dokumenty", "; ".join(o.required_documents))
                _field(pdf, "Koszt", cost_text(o.cost))
                for place in o.places:
                    access = (
                        " (dostępne dla osób z niepełnosprawnością)" if place.accessible else ""
                    )
                    _field(pdf, "Miejsce", place_text(place) + access)
                _field(pdf, "Godziny", schedule_text(o))
                contact = ", ".join(
                    p
                    for p in (o.contact.name, o.contact.role, o.contact.phone, o.contact.email)
                    if p
                )
                _field(pdf, "Kontakt", contact)
                wait = f", zwykle ok. {o.waiting_days} dni oczekiwania" if o.waiting_days else ""
                _field(pdf, "Dostępność miejsc", model.CAPACITY_NAMES_PL[o.capacity_status] + wait)
                pdf.ln(1.5)
    return pdf_bytes(pdf)
