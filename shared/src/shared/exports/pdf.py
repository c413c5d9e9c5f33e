"""The PDF every service prints (ADR 0081): A4 in millimetres, DejaVu Sans embedded (regular and
bold, Polish letters), title and language (pl-PL) set, "Strona X z Y" footers; and the tagged
variant for screen readers (structure tree in reading order, footer an artifact, title shown in
the viewer's window) that the family's data export uses (ADR 0016), open to every service.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar, cast

from fpdf import FPDF
from fpdf.enums import MethodReturnValue, XPos, YPos
from fpdf.prefs import ViewerPreferences

from shared.exports.fonts import FONT, font_paths

LANGUAGE = "pl-PL"

P = TypeVar("P", bound="BasePDF")


class BasePDF(FPDF):
    """A page footer with `footer_text` on the left and the page number on the right."""

    footer_text = ""
    footer_grey = True  # the footer in grey (90, 90, 90), else in the text's colour

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font(FONT, "", 8)
        if self.footer_grey:
            self.set_text_color(90, 90, 90)
        self.cell(0, 5, self.footer_text, align="L")
        self.set_x(self.l_margin)
        self.cell(0, 5, f"Strona {self.page_no()} z {{nb}}", align="R")
        if self.footer_grey:
            self.set_text_color(0, 0, 0)


class TaggedPDF(BasePDF):
    """A PDF whose text is all in the structure tree (headings H1–H6 and paragraphs P, in
    reading order) and whose running footer is marked as an artifact, outside it. Write text
    with `block` (or `tagged`); fpdf2 builds a flat tree: no Table/TR/TD, L/LI nor Lbl."""

    def footer(self) -> None:
        self._out("/Artifact BMC")
        super().footer()
        self._out("EMC")

    def tagged(self, tag: str, write: Callable[[], object]) -> None:
        """`write` (which must not break the page) as one structure element `tag`."""
        mcid = self.struct_builder.next_mcid_for_page(self.page)
        self._add_marked_content(struct_type=f"/{tag}", mcid=mcid)
        self._out(f"/{tag} <</MCID {mcid}>> BDC")
        write()
        self._out("EMC")

    def block(
        self, tag: str, text: str, *, size: float, height: float, style: str = "",
        indent: float = 0, keep: int = 1,
    ) -> None:  # fmt: skip
        """A paragraph or heading, wrapped, each page's part of it one element (a marked
        sequence may not cross a page); `keep` lines must fit before the page is turned."""
        self.set_font(FONT, style, size)
        width = self.epw - indent
        wrapped = self.multi_cell(
            width, height, text or "—", dry_run=True, output=MethodReturnValue.LINES
        )
        lines = [str(line) for line in cast(list[str], wrapped)]
        first = True
        while lines:
            room = int((self.page_break_trigger - self.y - 0.01) // height)
            if room < (min(keep, len(lines)) if first else 1):
                self.add_page()
                continue
            chunk, lines = lines[:room], lines[room:]
            first = False

            def write(chunk: list[str] = chunk, last: bool = not lines) -> None:
                # Line by line, each but the paragraph's last with its space kept at the end,
                # so that text taken from the structure has a space between the lines' words.
                for i, line in enumerate(chunk):
                    end = last and i == len(chunk) - 1
                    self.set_x(self.l_margin + indent)
                    self.cell(
                        width, height, line if end else line + " ",
                        new_x=XPos.LMARGIN, new_y=YPos.NEXT,
                    )  # fmt: skip

            self.tagged(tag, write)


def new_pdf(
    cls: type[P],
    *,
    title: str,
    creator: str,
    footer: str,
    margins: tuple[float, float, float] = (18, 18, 18),
    subject: str | None = None,
    author: str | None = None,
    keywords: Sequence[str] = (),
    show_title: bool = False,
) -> P:
    """A portrait A4 document of `cls` with the fonts added, its metadata set (title, language
    pl-PL, creator; subject, author and keywords if given), the margins (left, top, right), an
    automatic page break 20 mm above the bottom, and its first page begun. `show_title` makes
    the viewer show the title rather than the file name (as the tagged PDF wants)."""
    regular, bold = font_paths()
    pdf = cls(orientation="portrait", unit="mm", format="A4")
    pdf.footer_text = footer
    pdf.add_font(FONT, "", str(regular))
    pdf.add_font(FONT, "B", str(bold))
    pdf.set_title(title)
    if subject is not None:
        pdf.set_subject(subject)
    if author is not None:
        pdf.set_author(author)
    pdf.set_lang(LANGUAGE)
    pdf.set_creator(creator)
    if keywords:
        pdf.set_keywords(list(keywords))
    if show_title:
        pdf.viewer_preferences = ViewerPreferences(display_doc_title=True)
    left, top, right = margins
    pdf.set_margins(left=left, top=top, right=right)
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_page()
    return pdf


def line(pdf: FPDF, text: str, size: float = 9.5, style: str = "", height: float = 4.8) -> None:
    """A wrapped, left-aligned paragraph in DejaVu Sans; the cursor to the next line."""
    pdf.set_font(FONT, style, size)
    pdf.multi_cell(0, height, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def pdf_bytes(pdf: FPDF) -> bytes:
    return bytes(pdf.output())
