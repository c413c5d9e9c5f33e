"""PESEL, the Polish national identification number: check digit and the encoded date of birth."""

from __future__ import annotations

import datetime

WEIGHTS = (1, 3, 7, 9, 1, 3, 7, 9, 1, 3)

# The month field encodes the century: +80 for 1800s, +0 for 1900s, +20, +40, +60 for 2000-2200s.
_CENTURY = {0: 1900, 20: 2000, 40: 2100, 60: 2200, 80: 1800}


class InvalidPesel(ValueError):
    """Raised with a message that never contains the number itself."""


def birth_date(pesel: str) -> datetime.date:
    year, month, day = int(pesel[0:2]), int(pesel[2:4]), int(pesel[4:6])
    offset = (month - 1) // 20 * 20
    century = _CENTURY[offset]
    return datetime.date(century + year, month - offset, day)


def validate(value: str) -> str:
    """The PESEL, normalised; raises InvalidPesel (without echoing the value) when it is wrong."""
    pesel = value.strip()
    if len(pesel) != 11 or not pesel.isdigit():
        raise InvalidPesel("PESEL musi mieć 11 cyfr.")
    checksum = sum(int(d) * w for d, w in zip(pesel[:10], WEIGHTS, strict=True))
    if (10 - checksum % 10) % 10 != int(pesel[10]):
        raise InvalidPesel("Nieprawidłowa cyfra kontrolna numeru PESEL.")
    try:
        birth_date(pesel)
    except ValueError as exc:
        raise InvalidPesel("Numer PESEL zawiera nieprawidłową datę urodzenia.") from exc
    return pesel


def with_check_digit(first_ten: str) -> str:
    """Complete ten digits with their check digit (for fixtures and demo data)."""
    checksum = sum(int(d) * w for d, w in zip(first_ten, WEIGHTS, strict=True))
    return first_ten + str((10 - checksum % 10) % 10)
