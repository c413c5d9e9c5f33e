"""Documents for the family, in Polish: the consent form to print and sign (from the consent's
scope) and the record of who saw the family's data (the right of access). One simple document
model feeds both renderers: HTML (escaped) and PDF (shared.exports.pdf, ADR 0081).
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from fpdf.enums import XPos, YPos

from shared import clock
from shared.exports.fonts import FONT as _FONT
from shared.exports.pdf import BasePDF, TaggedPDF, new_pdf, pdf_bytes

CREATOR = "Platforma CUS – sprawy rodzin"
WARSAW = ZoneInfo("Europe/Warsaw")


def local(ts: datetime | None) -> str:
    return ts.astimezone(WARSAW).strftime("%d.%m.%Y %H:%M") if ts else "—"


@dataclass
class Section:
    heading: str
    paragraphs: list[str] = field(default_factory=list)
    bullets: list[str] = field(default_factory=list)
    fields: list[tuple[str, str]] = field(default_factory=list)
    table: list[list[str]] = field(default_factory=list)  # first row is the header
    signature_lines: list[str] = field(default_factory=list)
    closing: list[str] = field(default_factory=list)  # paragraphs after the list or table
    subsections: list[Section] = field(default_factory=list)  # one heading level down


@dataclass
class Document:
    title: str
    subtitle: str
    sections: list[Section]
    footer: str


# --- the two documents --------------------------------------------------------------------------


@dataclass(frozen=True)
class ConsentFormContext:
    case_id: str
    municipality: str
    given_by: str
    family_names: list[str]
    method: str
    given_at: datetime
    valid_until: datetime | None
    institutions: list[str]
    sectors: list[str]
    data_kinds: list[str]
    manager: str


def consent_form(ctx: ConsentFormContext) -> Document:
    scope = Section(
        heading="Zakres zgody",
        paragraphs=[
            "Wyrażam zgodę na udostępnianie danych mojej rodziny członkom Zadaniowego Zespołu "
            "Kooperacyjnego z następujących instytucji i sektorów:"
        ],
        bullets=[*ctx.institutions, *(f"sektor: {s}" for s in ctx.sectors)]
        or ["(brak — zgoda nie obejmuje żadnej instytucji)"],
    )
    kinds = Section(
        heading="Rodzaje danych, które mogą zobaczyć",
        bullets=ctx.data_kinds,
        closing=[
            "Inne dane nie są udostępniane. Pracownik socjalny prowadzący sprawę przetwarza dane "
            "na podstawie ustawy o pomocy społecznej; zgoda dotyczy udostępniania ich partnerom."
        ],
    )
    rights = Section(
        heading="Moje prawa",
        bullets=[
            "Zgodę mogę wycofać w każdej chwili, ustnie lub na piśmie, u pracownika socjalnego; "
            "wycofanie działa od razu — partnerzy tracą dostęp przy następnym zapytaniu.",
            "Mogę otrzymać wykaz osób, które oglądały dane mojej rodziny (kto, kiedy, w jakim "
            "celu).",
            "Wszystkie kluczowe decyzje zespołu są podejmowane wyłącznie za moją zgodą.",
        ],
    )
    meta = Section(
        heading="Dane zgody",
        fields=[
            ("Sprawa", ctx.case_id),
            ("Gmina (TERYT)", ctx.municipality),
            ("Rodzina", ", ".join(ctx.family_names)),
            ("Zgodę wyraża", ctx.given_by),
            ("Forma", ctx.method),
            ("Data", local(ctx.given_at)),
            ("Ważna do", local(ctx.valid_until) if ctx.valid_until else "do odwołania"),
            ("Pracownik socjalny", ctx.manager),
        ],
    )
    sign = Section(
        heading="Podpisy",
        signature_lines=["Podpis osoby wyrażającej zgodę", "Podpis pracownika socjalnego"],
    )
    return Document(
        title="Zgoda na współpracę zespołu i udostępnianie danych",
        subtitle="Zadaniowy Zespół Kooperacyjny — Model Kooperacji",
        sections=[meta, scope, kinds, rights, sign],
        footer="Formularz zgody — Centrum Usług Społecznych",
    )


@dataclass(frozen=True)
class AccessRow:
    """One line of the family's report: one sitting of one person or partner system."""

    first_at: datetime
    last_at: datetime
    who: str
    role: str
    institution: str
    action: str
    what: str
    purpose: str
    entries: int


ACTIONS_PL = {
    ("read", "allowed"): "odczyt",
    ("change", "allowed"): "zmiana",
    ("disclose", "allowed"): "udostępnienie systemowi instytucji",
    ("read", "refused"): "odmowa dostępu (próba odczytu)",
    ("change", "refused"): "odmowa dostępu (próba zmiany)",
}

# What an entry concerned, for the family (the web's messages name the same codes).
WHAT_PL = {
    "case": "sprawa", "family": "dane rodziny", "consents": "zgody",
    "consent-form": "formularz zgody", "team": "zespół", "diagnosis": "diagnoza",
    "plan": "plan wsparcia", "plan.versions": "wersje planu", "reviews": "przeglądy planu",
    "referrals": "skierowania", "referrals.incoming": "skierowania do instytucji",
    "meetings": "spotkania", "reassignments": "historia przekazań",
    "access-log": "rejestr dostępu", "access-report": "informacja o dostępie",
    "case.open": "przyjęcie sprawy", "case.state": "zmiana etapu",
    "case.close": "zamknięcie sprawy", "case.reassign": "przekazanie sprawy",
    "family.add": "dodanie osoby", "family.edit": "poprawienie danych osoby",
    "family.remove": "usunięcie osoby", "family.pesel-lookup": "wyszukanie po PESEL",
    "consent.give": "odnotowanie zgody", "consent.withdraw": "wycofanie zgody",
    "team.invite": "zaproszenie do zespołu", "team.accept": "dołączenie do zespołu",
    "team.decline": "odmowa udziału w zespole", "team.leave": "odejście z zespołu",
    "review.record": "przegląd planu", "referral.create": "skierowanie do usługi",
    "meeting.schedule": "zaplanowanie spotkania", "meeting.held": "przebieg spotkania",
    "family-export.json": "kopia danych rodziny (JSON)",
    "family-export.pdf": "kopia danych rodziny (PDF)",
}  # fmt: skip


# Who in the log, by relation (policy.Relation's values and the partner systems').
RELATION_NAMES_PL = {
    "case_manager": "pracownik socjalny (prowadzący)",
    "team_member": "członek zespołu",
    "receiving_partner": "instytucja przyjmująca skierowanie",
    "director": "dyrektor ośrodka",
    "partner_system": "system teleinformatyczny instytucji",
    "none": "bez dostępu do sprawy",
}


def access_action_pl(action: str, outcome: str, relation: str | None = None) -> str:
    if (action, outcome, relation) == ("disclose", "allowed", "case_manager"):
        return "udostępnienie rodzinie (kopia danych)"  # the family's export (ADR 0016)
    return ACTIONS_PL.get((action, outcome), f"{action} ({outcome})")


def what_pl(what: str) -> str:
    """A code of the log in Polish; events disclosed to partner systems by their kind."""
    if what in WHAT_PL:
        return WHAT_PL[what]
    if what.startswith("referral."):
        return f"skierowanie ({what.split('.', 1)[1]})"
    if what.startswith("cases."):
        return f"zdarzenie {what.removeprefix('cases.')}"
    return what


def _when(r: AccessRow) -> str:
    if local(r.first_at) == local(r.last_at):
        return local(r.first_at)
    if r.first_at.astimezone(WARSAW).date() == r.last_at.astimezone(WARSAW).date():
        return f"{local(r.first_at)}–{r.last_at.astimezone(WARSAW):%H:%M}"
    return f"{local(r.first_at)} – {local(r.last_at)}"


def _times(r: AccessRow) -> str:
    return f" ({r.entries}×)" if r.entries > 1 else ""


def access_report(case_id: str, family_names: list[str], rows: list[AccessRow]) -> Document:
    table = [["Kiedy", "Kto", "Rola", "Instytucja", "Co", "Cel"]] + [
        [_when(r), r.who, r.role, r.institution, f"{r.action}{_times(r)}: {r.what}", r.purpose]
        for r in rows
    ]
    return Document(
        title="Informacja o dostępie do danych rodziny",
        subtitle="Kto, kiedy i po co korzystał z danych rodziny, komu je udostępniono "
        "(prawo dostępu, art. 15 RODO)",
        sections=[
            Section(
                heading="Sprawa",
                fields=[
                    ("Sprawa", case_id),
                    ("Rodzina", ", ".join(family_names)),
                    ("Liczba pozycji", str(len(rows))),
                    ("Sporządzono", local(clock.now().astimezone(WARSAW))),
                ],
            ),
            Section(
                heading="Kto i kiedy korzystał z danych",
                paragraphs=[
                    "Jedna pozycja to jedno posiedzenie: ta sama osoba lub ten sam system "
                    "instytucji, ta sama czynność, kolejne wpisy w odstępach krótszych niż "
                    "30 minut (podajemy pierwszą i ostatnią godzinę)."
                ],
                table=table,
            ),
        ],
        footer="Rejestr dostępu — Centrum Usług Społecznych",
    )


# --- renderers ----------------------------------------------------------------------------------


def render_html(doc: Document) -> str:
    e = html.escape
    parts = [
        '<!doctype html><html lang="pl"><head><meta charset="utf-8">',
        f"<title>{e(doc.title)}</title>",
        "<style>body{font-family:sans-serif;max-width:50em;margin:2em auto;line-height:1.5}"
        "table{border-collapse:collapse}td,th{border:1px solid #999;padding:.2em .4em}"
        ".sig{margin-top:3em;border-top:1px solid #000;width:20em}</style></head><body>",
        f"<h1>{e(doc.title)}</h1><p>{e(doc.subtitle)}</p>",
    ]
    for section, level in _walk(doc.sections):
        parts.append(f"<h{level}>{e(section.heading)}</h{level}>")
        if section.fields:
            parts.append(
                "<dl>"
                + "".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in section.fields)
                + "</dl>"
            )
        parts += [f"<p>{e(p)}</p>" for p in section.paragraphs]
        if section.bullets:
            parts.append("<ul>" + "".join(f"<li>{e(b)}</li>" for b in section.bullets) + "</ul>")
        if section.table:
            head, *body = section.table
            parts.append(
                "<table><thead><tr>" + "".join(f"<th>{e(h)}</th>" for h in head) + "</tr></thead>"
                "<tbody>"
                + "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>" for r in body)
                + "</tbody></table>"
            )
        parts += [f"<p>{e(p)}</p>" for p in section.closing]
        parts += [f'<p class="sig">{e(s)}</p>' for s in section.signature_lines]
    parts.append(f"<footer>{e(doc.footer)}</footer></body></html>")
    return "".join(parts)


def _walk(sections: list[Section], level: int = 2) -> list[tuple[Section, int]]:
    """The sections in reading order, each with its heading level (the title is level 1)."""
    out: list[tuple[Section, int]] = []
    for section in sections:
        out.append((section, level))
        out += _walk(section.subsections, min(level + 1, 6))
    return out


class _PDF(BasePDF):
    footer_grey = False


def render_pdf(doc: Document) -> bytes:
    pdf = new_pdf(_PDF, title=doc.title, creator=CREATOR, footer=doc.footer, margins=(18, 18, 18))
    pdf.set_font(_FONT, "B", 16)
    pdf.multi_cell(0, 8, doc.title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(_FONT, "", 11)
    pdf.multi_cell(0, 6, doc.subtitle, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for section in doc.sections:
        pdf.ln(3)
        pdf.set_font(_FONT, "B", 12.5)
        pdf.multi_cell(0, 7, section.heading, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(_FONT, "", 10)
        for label, value in section.fields:
            pdf.set_font(_FONT, "B", 10)
            pdf.cell(pdf.get_string_width(label + ": ") + 1, 5, label + ": ")
            pdf.set_font(_FONT, "", 10)
            pdf.multi_cell(0, 5, value or "—", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        for paragraph in section.paragraphs:
            pdf.multi_cell(0, 5, paragraph, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.ln(1)
        for bullet in section.bullets:
            pdf.multi_cell(0, 5, "• " + bullet, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if section.table:
            pdf.set_font(_FONT, "", 7.5)
            with pdf.table(col_widths=(22, 22, 22, 34, 40, 34), first_row_as_headings=True) as t:
                for row in section.table:
                    cells = t.row()
                    for value in row:
                        cells.cell(value)
            pdf.set_font(_FONT, "", 10)
        for paragraph in section.closing:
            pdf.ln(1)
            pdf.multi_cell(0, 5, paragraph, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        for line in section.signature_lines:
            pdf.ln(14)
            pdf.cell(80, 5, "." * 60, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.cell(80, 5, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return pdf_bytes(pdf)


# --- the tagged PDF (the family's data export, ADR 0016) -----------------------------------------


class _TaggedPDF(TaggedPDF):
    footer_grey = False


def render_tagged_pdf(doc: Document) -> bytes:
    """The document as a tagged PDF for screen readers: title and language (pl-PL) set, the
    title shown in the window, bookmarks for the sections, every text in the structure tree in
    reading order, real text in DejaVu Sans (embedded, with its Unicode map). Tables are not
    drawn: a table's rows come out as paragraphs (fpdf2 builds a flat tree: no Table/TR/TD,
    L/LI nor Lbl; ADR 0016 says what that leaves out)."""
    pdf = new_pdf(
        _TaggedPDF,
        title=doc.title,
        creator=CREATOR,
        footer=doc.footer,
        margins=(18, 18, 18),
        subject=doc.subtitle,
        author="Centrum Usług Społecznych",
        show_title=True,
    )
    pdf.block("H1", doc.title, size=16, height=8, style="B")
    pdf.block("P", doc.subtitle, size=11, height=6)
    sizes = {2: 13.0, 3: 11.5, 4: 10.5, 5: 10.0, 6: 10.0}
    for section, level in _walk(doc.sections):
        pdf.ln(3 if level == 2 else 1.5)
        pdf.start_section(section.heading, level=level - 2, strict=False)
        tag = f"H{min(level, 6)}"
        if pdf.page_break_trigger - pdf.y < 7 + 2 * 5:  # a heading with its first two lines
            pdf.add_page()
        pdf.block(tag, section.heading, size=sizes[level], height=7, style="B", keep=2)
        for label, value in section.fields:
            pdf.block("P", f"{label}: {value or '—'}", size=10, height=5)
        for paragraph in section.paragraphs:
            pdf.block("P", paragraph, size=10, height=5)
        for bullet in section.bullets:
            pdf.block("P", "• " + bullet, size=10, height=5, indent=3)
        if section.table:
            head, *rows = section.table
            for row in rows:
                text = "; ".join(f"{h}: {v}" for h, v in zip(head, row, strict=False) if v)
                pdf.block("P", text, size=9.5, height=5)
        for paragraph in section.closing:
            pdf.block("P", paragraph, size=10, height=5)
    return pdf_bytes(pdf)
