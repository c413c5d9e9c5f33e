"""The invitation for a prospective partner: HTML (escaped, accessible) and PDF."""

from __future__ import annotations

import dataclasses
import datetime
import itertools
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from markupsafe import escape

from partners.adapters.invitation import (
    FONT_DIR_ENV,
    InvitationContext,
    _build_pdf,
    polish_date,
    render_invitation_html,
    render_invitation_pdf,
)
from partners.domain.benefit_cards import BenefitCard, card_for_sector, family_card
from shared.testing.months import GENITIVE_PL, MONTHS

NAME = 'Szkoła Podstawowa nr 3 <im. "Orląt"> & Przedszkole w Żółkiewce'


def make_ctx(sector: str = "education", **changes: object) -> InvitationContext:
    card = card_for_sector(sector)
    assert card is not None
    ctx = InvitationContext(
        institution_name=NAME,
        sector=sector,
        sector_name_pl=card.sector_name_pl,
        municipality_name="Gmina Żółkiewka",
        leader_name="Gminny Ośrodek Pomocy Społecznej w Żółkiewce",
        coordinator_names=["Anna Kowalczyk", "Łukasz Wójcik"],
        contact_email="partnerstwo@gops.example.pl",
        contact_phone="+48 84 123 45 67",
        date=datetime.date(2026, 11, 23),
    )
    return dataclasses.replace(ctx, **changes)  # type: ignore[arg-type]


def sector_card(sector: str) -> BenefitCard:
    card = card_for_sector(sector)
    assert card is not None
    return card


# --- HTML -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def page() -> str:
    return render_invitation_html(make_ctx(), sector_card("education"), family_card())


def test_html_is_a_polish_html5_document(page: str) -> None:
    assert page.lstrip().startswith("<!DOCTYPE html>")
    assert '<html lang="pl">' in page
    assert '<meta charset="utf-8">' in page
    title = re.search(r"<title>(.*?)</title>", page, re.S)
    assert title is not None
    assert "Zaproszenie do współpracy w Partnerstwie" in title.group(1)
    assert "@media print" in page
    assert "23 listopada 2026 r." in page


def test_html_escapes_the_institution_name(page: str) -> None:
    assert NAME not in page
    assert "<im." not in page
    assert str(escape(NAME)) in page
    assert "Szkoła Podstawowa nr 3 &lt;im. " in page
    assert "&gt; &amp; Przedszkole w Żółkiewce" in page


def test_html_headings_are_in_order(page: str) -> None:
    levels = [int(n) for n in re.findall(r"<h([1-6])\b", page)]
    assert levels[0] == 1
    assert levels.count(1) == 1
    for previous, current in itertools.pairwise(levels):
        assert current <= previous + 1, levels


def test_html_lists_every_benefit_of_both_cards(page: str) -> None:
    for card in (sector_card("education"), family_card()):
        for text in (*card.includes, *card.benefits):
            assert f"<li>{escape(text)}</li>" in page, text
    assert "<ul>" in page
    assert "Co zyskuje osoba lub rodzina" in page


def test_html_explains_both_ways_of_joining_and_whom_to_contact(page: str) -> None:
    assert "deklaracji przystąpienia" in page
    assert "nieformalnego" in page
    assert "Anna Kowalczyk, Łukasz Wójcik" in page
    assert 'href="mailto:partnerstwo@gops.example.pl"' in page
    assert 'href="tel:+48841234567"' in page


def test_html_is_self_contained(page: str) -> None:
    lowered = page.lower()
    assert "<script" not in lowered
    assert "<link" not in lowered
    assert "src=" not in lowered
    assert "url(" not in lowered
    assert "http://" not in lowered
    assert "https://" not in lowered


def test_html_without_direct_contact_points_to_the_leader() -> None:
    page = render_invitation_html(
        make_ctx(contact_email=None, contact_phone=None, coordinator_names=[]),
        sector_card("education"),
        family_card(),
    )
    assert 'href="mailto:' not in page
    assert 'href="tel:' not in page
    assert "Prosimy o kontakt z Liderem Partnerstwa" in page


@pytest.mark.parametrize("sector", sorted({"police", "ngo", "social_economy", "local_government"}))
def test_html_renders_every_kind_of_card(sector: str) -> None:
    card = sector_card(sector)
    page = render_invitation_html(make_ctx(sector), card, family_card())
    assert f"Karta korzyści – {escape(card.sector_name_pl)}" in page
    assert all(f"<li>{escape(b)}</li>" in page for b in card.benefits)


def test_a_card_of_another_sector_is_refused() -> None:
    with pytest.raises(ValueError, match="card"):
        render_invitation_html(make_ctx("health"), sector_card("education"), family_card())
    with pytest.raises(ValueError, match="family"):
        render_invitation_html(make_ctx(), sector_card("education"), sector_card("education"))


# --- PDF --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pdf_bytes() -> bytes:
    return render_invitation_pdf(make_ctx(), sector_card("education"), family_card())


def test_pdf_is_an_a4_document_with_polish_metadata(pdf_bytes: bytes) -> None:
    assert pdf_bytes.startswith(b"%PDF-")
    assert pdf_bytes.rstrip().endswith(b"%%EOF")
    pages = re.findall(rb"/Type\s*/Page\b", pdf_bytes)
    assert len(pages) >= 3  # the letter, the sector card, the family card
    assert b"/MediaBox [0 0 595.28 841.89]" in pdf_bytes
    assert b"/Lang (pl-PL)" in pdf_bytes
    title = f"Zaproszenie do współpracy w Partnerstwie – {NAME}"
    encoded = ("feff" + title.encode("utf-16-be").hex()).encode()
    assert encoded in pdf_bytes.lower()
    assert b"DejaVuSans" in pdf_bytes


def test_pdf_page_numbers_use_the_total() -> None:
    pdf = _build_pdf(make_ctx(), sector_card("education"), family_card())
    pdf.set_compression(False)  # test hook: readable content streams
    raw = bytes(pdf.output())
    # The "{nb}" alias was replaced by the page count, nothing left over.
    assert b"{nb}" not in raw
    assert pdf.pages_count >= 3


def test_pdf_text_is_polish_and_complete(pdf_bytes: bytes, tmp_path: Path) -> None:
    path = tmp_path / "invitation.pdf"
    path.write_bytes(pdf_bytes)

    def pdftotext(*crop: str) -> str:
        out = subprocess.run(
            ["pdftotext", "-enc", "UTF-8", *crop, str(path), "-"],
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout
        return re.sub(r"\s+", " ", out)

    pages = len(re.findall(rb"/Type\s*/Page\b", pdf_bytes))
    whole = pdftotext()
    assert f"Strona 1 z {pages}" in whole
    assert f"Strona {pages} z {pages}" in whole
    # The page body without the footer (A4 is 842 pt high, the footer sits below 790 pt),
    # so that a bullet continued on the next page reads as one piece of text.
    flat = pdftotext("-x", "0", "-y", "0", "-W", "596", "-H", "790")
    assert "Strona" not in flat
    assert NAME in flat
    assert "Zaproszenie do współpracy w Partnerstwie" in flat
    for card in (sector_card("education"), family_card()):
        for benefit in card.benefits:
            assert benefit in flat, benefit  # wrapped over several lines, nothing cut off


def test_pdf_needs_the_fonts_and_names_the_missing_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(FONT_DIR_ENV, str(tmp_path))
    with pytest.raises(RuntimeError, match=re.escape(str(tmp_path / "DejaVuSans.ttf"))):
        render_invitation_pdf(make_ctx(), sector_card("education"), family_card())


def test_pdf_font_dir_can_be_overridden(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    source = Path("/usr/share/fonts/truetype/dejavu")
    assert (source / "DejaVuSans.ttf").is_file(), "DejaVu fonts (fonts-dejavu-core) are needed"
    for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"):
        shutil.copy(source / name, tmp_path / name)
    monkeypatch.setenv(FONT_DIR_ENV, str(tmp_path))
    data = render_invitation_pdf(make_ctx("business"), sector_card("business"), family_card())
    assert data.startswith(b"%PDF-")


@pytest.mark.parametrize("month", MONTHS)
def test_the_letter_dates_every_month_in_the_genitive(month: int) -> None:
    day = datetime.date(2027, month, 7)
    assert polish_date(day) == f"7 {GENITIVE_PL[month - 1]} 2027 r."
    page = render_invitation_html(make_ctx(date=day), sector_card("education"), family_card())
    assert f"7 {GENITIVE_PL[month - 1]} 2027 r." in page
