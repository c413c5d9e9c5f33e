"""An invitation for a prospective partner institution to join a municipality's partnership.

The letter (in Polish) is followed by the benefit card of the institution's sector and, below it,
the family card ("what the family gains"). The same document model feeds both renderers: HTML
through a Jinja2 template (``templates/invitation.html.j2``) and PDF through fpdf2.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Literal

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from jinja2 import Environment, PackageLoader, select_autoescape

from partners.domain.benefit_cards import FAMILY_KEY, BenefitCard
from shared.exports.fonts import FONT as _FONT
from shared.exports.fonts import FONT_DIR_ENV as FONT_DIR_ENV
from shared.exports.pdf import BasePDF, new_pdf, pdf_bytes

_MONTHS_GENITIVE = (
    "stycznia",
    "lutego",
    "marca",
    "kwietnia",
    "maja",
    "czerwca",
    "lipca",
    "sierpnia",
    "września",
    "października",
    "listopada",
    "grudnia",
)


@dataclass(frozen=True)
class InvitationContext:
    institution_name: str
    sector: str
    sector_name_pl: str
    municipality_name: str
    leader_name: str
    coordinator_names: list[str]
    contact_email: str | None
    contact_phone: str | None
    date: datetime.date


# --- document model shared by both renderers -------------------------------------------------


@dataclass(frozen=True)
class LabelledValue:
    """One labelled value; ``href`` makes the value a link (mailto:, tel:)."""

    label: str
    value: str
    href: str | None = None


@dataclass(frozen=True)
class Block:
    kind: Literal["p", "ul", "dl"]
    text: str = ""
    items: tuple[str, ...] = ()
    fields: tuple[LabelledValue, ...] = ()


@dataclass(frozen=True)
class Subsection:
    heading: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Section:
    heading: str
    blocks: tuple[Block, ...] = ()
    subsections: tuple[Subsection, ...] = ()
    css_class: str = "letter"


@dataclass(frozen=True)
class InvitationDocument:
    title: str
    subtitle: str
    meta: tuple[LabelledValue, ...]
    greeting: str
    intro: tuple[Block, ...]
    sections: tuple[Section, ...]
    """The letter's own sections (h2), before the closing."""
    closing: tuple[str, ...]
    cards: tuple[Section, ...]
    """The sector's benefit card, then the family card."""
    footnote: str
    subject: str


def polish_date(value: datetime.date) -> str:
    """``2026-11-23`` -> ``23 listopada 2026 r.``"""
    return f"{value.day} {_MONTHS_GENITIVE[value.month - 1]} {value.year} r."


def _p(text: str) -> Block:
    return Block(kind="p", text=text)


def _ul(items: Sequence[str]) -> Block:
    return Block(kind="ul", items=tuple(items))


def _check_cards(ctx: InvitationContext, card: BenefitCard, family: BenefitCard) -> None:
    if family.key != FAMILY_KEY:
        raise ValueError(f"family: oczekiwano karty dla osoby / rodziny, otrzymano {family.key!r}")
    if ctx.sector not in card.sectors:
        raise ValueError(f"card: karta {card.key!r} nie dotyczy sektora instytucji {ctx.sector!r}")


def _contact_fields(ctx: InvitationContext) -> tuple[LabelledValue, ...]:
    fields: list[LabelledValue] = []
    names = [n.strip() for n in ctx.coordinator_names if n.strip()]
    if names:
        label = "Koordynatorzy Partnerstwa" if len(names) > 1 else "Koordynator Partnerstwa"
        fields.append(LabelledValue(label, ", ".join(names)))
    else:
        fields.append(LabelledValue("Lider Partnerstwa", ctx.leader_name))
    if ctx.contact_email:
        fields.append(LabelledValue("E-mail", ctx.contact_email, f"mailto:{ctx.contact_email}"))
    if ctx.contact_phone:
        tel = "".join(ch for ch in ctx.contact_phone if ch.isdigit() or ch == "+")
        fields.append(LabelledValue("Telefon", ctx.contact_phone, f"tel:{tel}" if tel else None))
    return tuple(fields)


def _card_section(card: BenefitCard) -> Section:
    subsections: list[Subsection] = []
    if card.includes:
        blocks: list[Block] = []
        if card.includes_intro:
            blocks.append(_p(card.includes_intro))
        blocks.append(_ul(card.includes))
        subsections.append(Subsection("Kogo obejmuje sektor", tuple(blocks)))
    for section in card.sections:
        subsections.append(
            Subsection(section.heading or "Korzyści ze współpracy", (_ul(section.benefits),))
        )
    return Section(
        heading=f"Karta korzyści – {card.sector_name_pl}",
        blocks=(
            _p(
                "Karta opisuje, co daje instytucjom tego sektora współpraca z instytucjami "
                "pomocy społecznej w ramach Partnerstwa."
            ),
        ),
        subsections=tuple(subsections),
        css_class="card",
    )


def _family_section(family: BenefitCard) -> Section:
    return Section(
        heading="Co zyskuje osoba lub rodzina",
        blocks=(
            _p(
                "Współpraca instytucji w Partnerstwie służy przede wszystkim osobom i rodzinom, "
                "które otrzymują wsparcie. Tak opisuje to karta korzyści dla osoby i rodziny:"
            ),
        ),
        subsections=tuple(
            Subsection(s.heading or "Korzyści dla osoby lub rodziny", (_ul(s.benefits),))
            for s in family.sections
        ),
        css_class="card family",
    )


def build_document(
    ctx: InvitationContext, card: BenefitCard, family: BenefitCard
) -> InvitationDocument:
    """The invitation's content, independent of the output format."""
    _check_cards(ctx, card, family)
    title = "Zaproszenie do współpracy w Partnerstwie"
    contact = _contact_fields(ctx)
    has_direct_contact = bool(ctx.contact_email or ctx.contact_phone)
    signatures = [n.strip() for n in ctx.coordinator_names if n.strip()]
    sections = (
        Section(
            heading="Dlaczego warto współpracować",
            blocks=(
                _p(
                    "Osoby i rodziny w trudnej sytuacji często korzystają jednocześnie "
                    "z pomocy kilku instytucji. Kiedy każda z nich działa osobno, wsparcie bywa "
                    "rozproszone, a rodzina musi wiele razy opowiadać o swojej sytuacji. "
                    "W Partnerstwie uzgadniamy działania wspólnie: prowadzimy Lokalny Koszyk "
                    "Usług, czyli aktualny katalog usług oferowanych przez partnerów, a gdy jest "
                    "to potrzebne, tworzymy "
                    "Zadaniowy Zespół Kooperacyjny wokół konkretnej osoby lub rodziny – zawsze "
                    "za jej zgodą."
                ),
                _p(
                    "Poniżej przedstawiamy kartę korzyści dla Państwa sektora, a pod nią kartę "
                    "opisującą, co dzięki współpracy zyskuje osoba lub rodzina."
                ),
            ),
        ),
        Section(
            heading="Co oznacza przystąpienie do Partnerstwa",
            blocks=(
                _p(
                    "Współpraca jest dobrowolna, a jej forma – elastyczna. Zapraszamy zarówno do "
                    "formalnego przystąpienia przez złożenie deklaracji przystąpienia do "
                    "Partnerstwa, jak i do udziału nieformalnego. Obie formy są dla nas równie "
                    "cenne, a formę udziału można później zmienić."
                ),
                _p("W praktyce współpraca oznacza przede wszystkim:"),
                _ul(
                    (
                        "wskazanie w Państwa instytucji osoby do kontaktu,",
                        "udział w spotkaniach Partnerstwa, które odbywają się kolejno "
                        "w siedzibach partnerów,",
                        "przedstawienie oferty Państwa instytucji w Lokalnym Koszyku Usług,",
                        "w razie potrzeby – udział specjalisty w Zadaniowym Zespole Kooperacyjnym, "
                        "zawsze za zgodą osoby lub rodziny.",
                    )
                ),
                _p(
                    "Każdy partner działa w granicach swoich zadań i kompetencji, a Partnerstwo "
                    "pomaga te działania ze sobą połączyć."
                ),
            ),
        ),
        Section(
            heading="Kontakt",
            blocks=(
                _p(
                    "Chętnie odpowiemy na Państwa pytania i opowiemy więcej o Partnerstwie "
                    "podczas rozmowy lub spotkania."
                    if has_direct_contact
                    else "Chętnie odpowiemy na Państwa pytania i opowiemy więcej o Partnerstwie. "
                    "Prosimy o kontakt z Liderem Partnerstwa."
                ),
                Block(kind="dl", fields=contact),
            ),
        ),
    )
    return InvitationDocument(
        title=title,
        subtitle=f"Partnerstwo na rzecz osób i rodzin – {ctx.municipality_name}",
        meta=(
            LabelledValue("Adresat", ctx.institution_name),
            LabelledValue("Sektor", ctx.sector_name_pl),
            LabelledValue("Data", polish_date(ctx.date)),
        ),
        greeting="Szanowni Państwo,",
        intro=(
            _p(
                "jako Lider Partnerstwa lokalnych instytucji i organizacji, które wspólnie "
                "wspierają osoby i rodziny na naszym terenie, serdecznie zapraszamy Państwa "
                "instytucję do współpracy."
            ),
        ),
        sections=sections,
        closing=("Z wyrazami szacunku", *signatures, f"{ctx.leader_name} – Lider Partnerstwa"),
        cards=(_card_section(card), _family_section(family)),
        footnote="Karty korzyści przytoczono w brzmieniu Załącznika 1 „Karty korzyści”.",
        subject=f"{title} – {ctx.institution_name}",
    )


# --- HTML -------------------------------------------------------------------------------------


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("partners.adapters", "templates"),
        # Plain select_autoescape() keys on the last extension only, so "invitation.html.j2"
        # would NOT be escaped; name the double extension and default to escaping anyway.
        autoescape=select_autoescape(
            enabled_extensions=("html", "htm", "xml", "html.j2"), default=True
        ),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_invitation_html(ctx: InvitationContext, card: BenefitCard, family: BenefitCard) -> str:
    """A complete, accessible HTML5 document (Polish) with the invitation and both cards."""
    doc = build_document(ctx, card, family)
    return _environment().get_template("invitation.html.j2").render(doc=doc)


# --- PDF --------------------------------------------------------------------------------------


_InvitationPDF = BasePDF


_BODY = 10.0  # pt
_LINE = 5.0  # mm
_BULLET_INDENT = 6.0  # mm
_NBSP = "\u00a0"
_ORPHAN = re.compile(r"(?<!\S)([aiouwzAIOUWZ]) ")


def _typeset(text: str) -> str:
    """Polish typesetting: a one-letter word (w, z, i, a, o, u) never ends a line."""
    return _ORPHAN.sub(lambda m: m.group(1) + _NBSP, text)


def _heading(pdf: _InvitationPDF, text: str, level: int) -> None:
    size = {0: 17.0, 1: 13.5, 2: 11.5}[level]
    space_before = {0: 0.0, 1: 5.0, 2: 3.0}[level]
    # Keep a heading together with at least a few lines of what follows it.
    if pdf.will_page_break(space_before + size * 0.6 + 4 * _LINE):
        pdf.add_page()
    elif space_before and pdf.get_y() > pdf.t_margin + 1:  # no gap at the top of a page
        pdf.ln(space_before)
    pdf.start_section(text, level=level)
    pdf.set_font(_FONT, "B", size)
    pdf.multi_cell(0, size * 0.5, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1.5)
    pdf.set_font(_FONT, "", _BODY)


def _block(pdf: _InvitationPDF, block: Block) -> None:
    width = pdf.w - pdf.l_margin - pdf.r_margin
    if block.kind == "p":
        pdf.multi_cell(
            0, _LINE, _typeset(block.text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
        pdf.ln(1.5)
    elif block.kind == "ul":
        for item in block.items:
            if pdf.will_page_break(_LINE):
                pdf.add_page()
            pdf.set_x(pdf.l_margin + 1.5)
            pdf.cell(_BULLET_INDENT - 1.5, _LINE, "•")
            pdf.multi_cell(
                width - _BULLET_INDENT,
                _LINE,
                _typeset(item),
                align="L",
                new_x=XPos.LMARGIN,
                new_y=YPos.NEXT,
            )
            pdf.ln(0.8)
        pdf.ln(1.2)
    else:
        for f in block.fields:
            pdf.set_font(_FONT, "B", _BODY)
            label = f"{f.label}: "
            pdf.cell(pdf.get_string_width(label) + 1, _LINE, label)
            pdf.set_font(_FONT, "", _BODY)
            pdf.multi_cell(
                0,
                _LINE,
                f.value,
                align="L",
                link=f.href,
                new_x=XPos.LMARGIN,
                new_y=YPos.NEXT,
            )
        pdf.ln(1.5)


def _build_pdf(ctx: InvitationContext, card: BenefitCard, family: BenefitCard) -> FPDF:
    """Lay the invitation out on an FPDF object (not yet serialised)."""
    doc = build_document(ctx, card, family)
    pdf = new_pdf(
        _InvitationPDF,
        title=doc.subject,
        creator="Platforma CUS – rejestr partnerów",
        footer=doc.title,
        margins=(20, 18, 20),
        subject=doc.title,
        author=ctx.leader_name,
        keywords=["zaproszenie", "partnerstwo", "karta korzyści", ctx.sector_name_pl],
    )

    _heading(pdf, doc.title, 0)
    pdf.set_font(_FONT, "", 11.5)
    pdf.multi_cell(0, 6, doc.subtitle, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)
    pdf.set_font(_FONT, "", _BODY)
    _block(pdf, Block(kind="dl", fields=doc.meta))
    pdf.ln(2)
    _block(pdf, _p(doc.greeting))
    for block in doc.intro:
        _block(pdf, block)
    for section in doc.sections:
        _section(pdf, section)
    _closing(pdf, doc)
    for section in doc.cards:
        # A card starts on a fresh page unless most of the current one is still free.
        if pdf.will_page_break(pdf.h * 0.6):
            pdf.add_page()
        else:
            pdf.ln(8)
        _section(pdf, section)
    pdf.ln(3)
    pdf.set_font(_FONT, "", 8.5)
    pdf.multi_cell(0, 4.5, doc.footnote, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return pdf


def _section(pdf: _InvitationPDF, section: Section) -> None:
    _heading(pdf, section.heading, 1)
    for block in section.blocks:
        _block(pdf, block)
    for sub in section.subsections:
        _heading(pdf, sub.heading, 2)
        for block in sub.blocks:
            _block(pdf, block)


def _closing(pdf: _InvitationPDF, doc: InvitationDocument) -> None:
    if pdf.will_page_break(len(doc.closing) * _LINE + 6):
        pdf.add_page()
    pdf.ln(3)
    for line in doc.closing:
        pdf.multi_cell(0, _LINE, line, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def render_invitation_pdf(ctx: InvitationContext, card: BenefitCard, family: BenefitCard) -> bytes:
    """The invitation as an A4 PDF (DejaVu Sans, Polish metadata, "Strona X z Y" footers)."""
    return pdf_bytes(_build_pdf(ctx, card, family))
