"""The benefit cards are complete and faithful to the seed (Annex 1, "Karty korzyści")."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
from pathlib import Path
from typing import get_args

import pytest

from partners.domain.benefit_cards import (
    FAMILY_KEY,
    SECTOR_CODES,
    BenefitCard,
    UnknownSectorError,
    card_for_sector,
    family_card,
    missing_card_reason,
    sectors_with_cards,
    sectors_without_card,
)
from shared.contracts.partners import Sector

# The seed's text (Annex 1 to the Cooperation Models guidance, "Karty korzyści", as extracted
# from its PDF), kept as a fixture beside the tests: see tests/fixtures/README.md.
SEED_NAME = "004_1513f8a7fd4e24cd.txt"

# Card headings as they stand in the seed, and the sector code each one maps to.
SEED_CARDS = {
    "DLA OSOBY / RODZINY": FAMILY_KEY,
    "RESORT EDUKACJI": "education",
    "RESORT ZDROWIA": "health",
    "RESORT SPRAWIEDLIWOŚCI": "justice",
    "POLICJA": "police",
    "ORGANIZACJE POZARZĄDOWE": "ngo",
    "PODMIOTY EKONOMII SPOŁECZNEJ": "social_economy",
    "INSTYTUCJE RYNKU PRACY": "labour_market",
    "JEDNOSTKI ORGANIZACYJNE WSPIERANIA RODZINY I SYSTEMU PIECZY ZASTĘPCZEJ": "family_support",
    "BIZNES": "business",
    "GMINA": "local_government",
}
BULLETS = ("−", "•")  # the seed's list markers (U+2212 and U+2022)


def _seed_path() -> Path:
    return Path(__file__).resolve().parents[1] / "fixtures" / SEED_NAME


@pytest.fixture(scope="module")
def seed_text() -> str:
    path = _seed_path()
    if not path.is_file():
        pytest.fail(f"seed fixture not found at {path}")
    return path.read_text(encoding="utf-8")


def normalise(text: str) -> str:
    """Undo the PDF extraction only: a hyphen that ends a line is joined to the next line
    (compounds such as "opiekuńczo-wychowawczych" broken across lines), then every run of
    whitespace (line breaks, blank lines, double spaces, page-break indents) becomes one space.
    Words, letters and punctuation are left exactly as they are."""
    text = re.sub(r"-[ \t]*\n\s*", "-", text)
    return re.sub(r"\s+", " ", text).strip()


@pytest.fixture(scope="module")
def seed(seed_text: str) -> str:
    return normalise(seed_text)


def all_cards() -> list[BenefitCard]:
    cards = {family_card().key: family_card()}
    for code in sorted(sectors_with_cards()):
        card = card_for_sector(code)
        assert card is not None
        cards[card.key] = card
    return list(cards.values())


def test_sector_codes_match_the_shared_contract() -> None:
    assert frozenset(get_args(Sector)) == SECTOR_CODES


def test_every_card_of_the_seed_is_in_the_data(seed: str) -> None:
    for title in SEED_CARDS:
        assert title in seed, f"heading {title!r} not in the seed"
    assert {c.title: c.key for c in all_cards()} == SEED_CARDS


def test_sector_mapping() -> None:
    assert sectors_with_cards() == SECTOR_CODES - {"social_assistance"}
    for title, key in SEED_CARDS.items():
        if key == FAMILY_KEY:
            continue
        card = card_for_sector(key)
        assert card is not None
        assert card.title == title
        assert key in card.sectors


def test_a_sector_without_a_card_answers_none_and_says_why() -> None:
    assert sectors_without_card() == frozenset({"social_assistance"})
    assert card_for_sector("social_assistance") is None
    reason = missing_card_reason("social_assistance")
    assert reason is not None
    assert "Lidera" in reason
    assert missing_card_reason("education") is None


def test_an_unknown_sector_code_is_an_error_naming_it() -> None:
    with pytest.raises(UnknownSectorError, match="oświata"):
        card_for_sector("oświata")


@pytest.mark.parametrize("title", list(SEED_CARDS))
def test_every_bullet_is_word_for_word_in_the_seed(seed: str, title: str) -> None:
    card = next(c for c in all_cards() if c.title == title)
    assert card.benefits, "a card without benefits"
    for benefit in card.benefits:
        assert benefit == normalise(benefit), f"stray whitespace in {benefit!r}"
        assert f"− {benefit}" in seed, f"not a bullet of the seed: {benefit!r}"
    for item in card.includes:
        assert item in seed, f"not in the seed: {item!r}"
    if card.includes_intro:
        assert card.includes_intro in seed
    for section in card.sections:
        if section.heading:
            assert section.heading in seed


def test_no_bullet_of_the_seed_is_left_out(seed_text: str) -> None:
    by_title = {c.title: c for c in all_cards()}
    items: list[str] = []
    for title in SEED_CARDS:  # in the seed's order
        card = by_title[title]
        # The NGO card lists its institutions in its heading, not as bullets.
        items += [*([] if card.key == "ngo" else card.includes), *card.benefits]
    starts = [
        normalise(line.strip()[1:])
        for line in seed_text.splitlines()
        if line.strip().startswith(BULLETS)
    ]
    # Every bullet line of the seed begins one item of the data, in the same order.
    assert len(starts) == len(items) == 264
    for start, item in zip(starts, items, strict=True):
        assert item.startswith(start), (start, item)


def test_family_card_keeps_the_consent_bullet() -> None:
    family = family_card()
    assert family.key == FAMILY_KEY
    assert family.title == "DLA OSOBY / RODZINY"
    assert any(
        "wszystkie kluczowe decyzje podejmowane będą wyłącznie za zgodą osoby lub rodziny" in b
        for b in family.benefits
    )


def test_authors_wording_is_kept_as_is() -> None:
    # The seed's own typos stay (it is a quotation, not an edit).
    education = card_for_sector("education")
    assert education is not None
    assert any("placówkach pozaświatowych" in b for b in education.benefits)
    assert "ROWIĄZYWANIA" in education.group_heading
    # A compound broken across lines is joined without a space.
    assert any("opiekuńczo-wychowawczych w rodzinach" in b for b in education.benefits)


def test_cards_are_immutable_and_loaded_once() -> None:
    card = family_card()
    assert card is family_card()
    with pytest.raises(dataclasses.FrozenInstanceError):
        card.title = "x"  # type: ignore[misc]
    assert isinstance(card.sections, tuple)
    assert isinstance(card.benefits, tuple)


def test_data_is_not_loaded_at_import_time() -> None:
    code = (
        "import partners.domain.benefit_cards as m\n"
        "assert m._catalogue.cache_info().currsize == 0\n"
        "m.family_card()\n"
        "assert m._catalogue.cache_info().currsize == 1\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
