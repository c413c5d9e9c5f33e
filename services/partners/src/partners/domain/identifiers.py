"""Polish registry identifiers and their check digits: REGON, NIP, KRS; TERYT codes; postal codes.

Each validator returns the normalised value or raises ValueError with a Polish message.
"""

from __future__ import annotations

import re

_REGON9_WEIGHTS = (8, 9, 2, 3, 4, 5, 6, 7)
_REGON14_WEIGHTS = (2, 4, 8, 5, 0, 9, 7, 3, 6, 1, 2, 4, 8)
_NIP_WEIGHTS = (6, 5, 7, 2, 3, 4, 5, 6, 7)


def _digits(value: str, allowed_separators: str = " -") -> str:
    return "".join(ch for ch in value.strip() if ch not in allowed_separators)


def _mod11_check(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights, strict=False)) % 11 % 10


def regon(value: str) -> str:
    """REGON: 9 digits (an entity) or 14 digits (a local unit), both with a mod-11 check digit."""
    v = _digits(value)
    if not v.isdigit() or len(v) not in (9, 14):
        raise ValueError("REGON musi mieć 9 albo 14 cyfr.")
    if _mod11_check(v[:8], _REGON9_WEIGHTS) != int(v[8]):
        raise ValueError("REGON ma nieprawidłową cyfrę kontrolną.")
    if len(v) == 14 and _mod11_check(v[:13], _REGON14_WEIGHTS) != int(v[13]):
        raise ValueError("REGON ma nieprawidłową cyfrę kontrolną.")
    return v


def nip(value: str) -> str:
    """NIP: 10 digits; the last is the mod-11 check digit, and a remainder of 10 is never issued."""
    v = _digits(value.upper().removeprefix("PL"))
    if not v.isdigit() or len(v) != 10:
        raise ValueError("NIP musi mieć 10 cyfr.")
    remainder = sum(int(d) * w for d, w in zip(v[:9], _NIP_WEIGHTS, strict=True)) % 11
    if remainder == 10 or remainder != int(v[9]):
        raise ValueError("NIP ma nieprawidłową cyfrę kontrolną.")
    return v


def krs(value: str) -> str:
    """KRS number: 10 digits, zero-padded. The KRS register assigns numbers sequentially and they
    carry no check digit, so only the form can be checked."""
    v = _digits(value)
    if not v.isdigit() or not 1 <= len(v) <= 10 or int(v) == 0:
        raise ValueError("Numer KRS to do 10 cyfr (np. 0000123456).")
    return v.zfill(10)


_TERYT = re.compile(r"^\d{4}(\d{3})?$")


def teryt(value: str) -> str:
    """TERYT code of a municipality (7 digits: 6 + kind of gmina) or a district (4 digits)."""
    v = value.strip()
    if not _TERYT.match(v):
        raise ValueError("Kod TERYT gminy ma 7 cyfr, powiatu 4 cyfry.")
    if len(v) == 7 and v[6] not in "1234589":
        raise ValueError("Ostatnia cyfra kodu TERYT gminy oznacza jej rodzaj (1–5, 8, 9).")
    return v


_POSTAL = re.compile(r"^\d{2}-\d{3}$")


def postal_code(value: str) -> str:
    v = value.strip()
    if len(v) == 5 and v.isdigit():
        v = f"{v[:2]}-{v[2:]}"
    if not _POSTAL.match(v):
        raise ValueError("Kod pocztowy ma postać 00-000.")
    return v
