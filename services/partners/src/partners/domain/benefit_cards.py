"""Benefit cards (*karty korzyści*) of Annex 1: why cooperating pays off, per sector and family.

The content lives in ``benefit_cards.json`` next to this module, transcribed word for word from the
seed (only PDF-extraction artefacts were repaired). It is loaded once, lazily, on first use.

One card is for the person / family (key ``"family"``); every other card belongs to one of the
platform's sector codes and may also serve further codes listed in its ``also_for``. A sector code
that the annex has no card for (``social_assistance``, the Leader's own sector) gets ``None`` from
:func:`card_for_sector`; :func:`missing_card_reason` says why, in Polish.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

FAMILY_KEY = "family"

# The platform's fixed sector codes (the same as ``shared.contracts.partners.Sector``).
SECTOR_CODES: frozenset[str] = frozenset(
    {
        "education",
        "health",
        "justice",
        "police",
        "ngo",
        "social_economy",
        "labour_market",
        "family_support",
        "business",
        "local_government",
        "social_assistance",
    }
)

_DATA_FILE = "benefit_cards.json"


class UnknownSectorError(ValueError):
    """Raised for a sector code that is not one of :data:`SECTOR_CODES`."""

    def __init__(self, sector: str) -> None:
        self.sector = sector
        super().__init__(
            f"sector: nieznany kod sektora {sector!r}; dozwolone: {', '.join(sorted(SECTOR_CODES))}"
        )


@dataclass(frozen=True, slots=True)
class BenefitSection:
    """A group of benefits; ``heading`` is ``None`` when the card has no sub-heading there."""

    heading: str | None
    benefits: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class BenefitCard:
    """One card of Annex 1, in the seed's own Polish wording."""

    key: str
    """``"family"`` or the sector code the card was written for."""
    title: str
    """The card's heading as in the seed, e.g. ``"RESORT EDUKACJI"``."""
    sector_name_pl: str
    """A readable Polish name of the sector, e.g. ``"Resort edukacji"``."""
    group_heading: str
    """The heading above the card in the annex (family card vs. partner cards)."""
    includes_intro: str | None
    """The seed's lead-in to the list of institutions (e.g. ``"M.in.:"``), if it has one."""
    includes: tuple[str, ...]
    """Kinds of institutions the sector includes, as listed in the seed (may be empty)."""
    sections: tuple[BenefitSection, ...]
    also_for: tuple[str, ...] = ()
    """Further sector codes this card also covers."""

    @property
    def sectors(self) -> tuple[str, ...]:
        """Every sector code the card covers (empty for the family card)."""
        own = () if self.key == FAMILY_KEY else (self.key,)
        return own + self.also_for

    @property
    def benefits(self) -> tuple[str, ...]:
        """All benefits of the card, across its sections, in order."""
        return tuple(b for section in self.sections for b in section.benefits)


@dataclass(frozen=True, slots=True)
class _Catalogue:
    source: str
    family: BenefitCard
    by_sector: dict[str, BenefitCard]
    missing: dict[str, str]


def _str_list(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError(f"{_DATA_FILE}: {where} must be a list of non-empty strings")
    return tuple(value)


def _opt_str(value: Any, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{_DATA_FILE}: {where} must be a non-empty string or null")
    return value


def _req_str(value: Any, where: str) -> str:
    text = _opt_str(value, where)
    if text is None:
        raise ValueError(f"{_DATA_FILE}: {where} is required")
    return text


def _parse_card(raw: Any, index: int) -> BenefitCard:
    where = f"cards[{index}]"
    if not isinstance(raw, dict):
        raise ValueError(f"{_DATA_FILE}: {where} must be an object")
    sections_raw = raw.get("sections")
    if not isinstance(sections_raw, list) or not sections_raw:
        raise ValueError(f"{_DATA_FILE}: {where}.sections must be a non-empty list")
    sections: list[BenefitSection] = []
    for j, sec in enumerate(sections_raw):
        if not isinstance(sec, dict):
            raise ValueError(f"{_DATA_FILE}: {where}.sections[{j}] must be an object")
        benefits = _str_list(sec.get("benefits"), f"{where}.sections[{j}].benefits")
        if not benefits:
            raise ValueError(f"{_DATA_FILE}: {where}.sections[{j}].benefits is empty")
        sections.append(
            BenefitSection(
                heading=_opt_str(sec.get("heading"), f"{where}.sections[{j}].heading"),
                benefits=benefits,
            )
        )
    return BenefitCard(
        key=_req_str(raw.get("key"), f"{where}.key"),
        title=_req_str(raw.get("title"), f"{where}.title"),
        sector_name_pl=_req_str(raw.get("sector_name_pl"), f"{where}.sector_name_pl"),
        group_heading=_req_str(raw.get("group_heading"), f"{where}.group_heading"),
        includes_intro=_opt_str(raw.get("includes_intro"), f"{where}.includes_intro"),
        includes=_str_list(raw.get("includes", []), f"{where}.includes"),
        sections=tuple(sections),
        also_for=_str_list(raw.get("also_for", []), f"{where}.also_for"),
    )


def _parse(data: Any) -> _Catalogue:
    if not isinstance(data, dict) or not isinstance(data.get("cards"), list):
        raise ValueError(f"{_DATA_FILE}: expected an object with a 'cards' list")
    family: BenefitCard | None = None
    by_sector: dict[str, BenefitCard] = {}
    for i, raw in enumerate(data["cards"]):
        card = _parse_card(raw, i)
        if card.key == FAMILY_KEY:
            if family is not None or card.also_for:
                raise ValueError(f"{_DATA_FILE}: exactly one family card, covering no sector")
            family = card
            continue
        for code in card.sectors:
            if code not in SECTOR_CODES:
                raise ValueError(f"{_DATA_FILE}: cards[{i}] names unknown sector {code!r}")
            if code in by_sector:
                raise ValueError(f"{_DATA_FILE}: sector {code!r} has more than one card")
            by_sector[code] = card
    if family is None:
        raise ValueError(f"{_DATA_FILE}: the family card is missing")

    missing_raw = data.get("sectors_without_card", {})
    if not isinstance(missing_raw, dict):
        raise ValueError(f"{_DATA_FILE}: sectors_without_card must be an object")
    missing = {
        str(code): _req_str(reason, f"sectors_without_card.{code}")
        for code, reason in missing_raw.items()
    }
    expected_missing = SECTOR_CODES - by_sector.keys()
    if set(missing) != expected_missing:
        raise ValueError(
            f"{_DATA_FILE}: sectors_without_card must list exactly the codes without a card: "
            f"{sorted(expected_missing)}"
        )
    return _Catalogue(
        source=_req_str(data.get("source"), "source"),
        family=family,
        by_sector=by_sector,
        missing=missing,
    )


@cache
def _catalogue() -> _Catalogue:
    text = resources.files(__package__ or "partners.domain").joinpath(_DATA_FILE).read_text("utf-8")
    return _parse(json.loads(text))


def _check_sector(sector: str) -> None:
    if sector not in SECTOR_CODES:
        raise UnknownSectorError(sector)


def family_card() -> BenefitCard:
    """The card for the person / family (*DLA OSOBY / RODZINY*)."""
    return _catalogue().family


def card_for_sector(sector: str) -> BenefitCard | None:
    """The card for a sector code, or ``None`` when Annex 1 has no card for that sector.

    Raises :class:`UnknownSectorError` for a code that is not a sector code at all.
    """
    _check_sector(sector)
    return _catalogue().by_sector.get(sector)


def sectors_with_cards() -> frozenset[str]:
    """Sector codes that have a benefit card."""
    return frozenset(_catalogue().by_sector)


def sectors_without_card() -> frozenset[str]:
    """Sector codes that Annex 1 has no benefit card for."""
    return frozenset(_catalogue().missing)


def missing_card_reason(sector: str) -> str | None:
    """Why a sector has no card (in Polish), or ``None`` when it has one."""
    _check_sector(sector)
    return _catalogue().missing.get(sector)


def source() -> str:
    """Where the cards come from (for a footnote in rendered documents)."""
    return _catalogue().source
