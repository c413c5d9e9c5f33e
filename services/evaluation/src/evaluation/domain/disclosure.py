"""Small-cell suppression: the one place where figures about cases and referrals are made safe.

A figure about families (a count of cases or referrals, a rate or a time computed from them) is
carried through the read side as a `Count`, `Rate` or `Stat`, never as a bare number. `disclose`
turns one cell into a printable value: a count of 1 or 2 becomes "< 3"; a rate or a median
computed from fewer than three cases or referrals, or a share whose numerator or remainder is 1
or 2 (it would give the small count away), becomes "—" (a share is not a count: "< 3" would read
as "less than 3 %"). `Report.disclosed()` applies it to every cell of a report together with the
complementary suppression of `evaluation.domain.suppression` (ADR 0047), which hides more counts
("#") and the shares computed from hidden counts, so that no output — the JSON views and the CSV,
XLSX and PDF exports — shows a figure from which a small count can be worked out.
"""

from __future__ import annotations

from dataclasses import dataclass

THRESHOLD = 3
SUPPRESSED = f"< {THRESHOLD}"  # a count of 1 or 2
COMPLEMENTARY = "#"  # a count hidden so that a count of 1 or 2 cannot be computed from the rest
NOT_SHOWN = "—"  # a share or statistic of fewer than 3, or computed from a hidden count
MARKERS: dict[str, str] = {
    SUPPRESSED: f"liczba mniejsza niż {THRESHOLD} (1 lub 2)",
    COMPLEMENTARY: f"liczba ukryta, aby z pozostałych nie dało się obliczyć liczby mniejszej "
    f"niż {THRESHOLD}",
    NOT_SHOWN: f"odsetek lub czas ukryty: liczony z mniej niż {THRESHOLD} spraw lub skierowań "
    "albo z liczby ukrytej",
}

Value = int | float | str | None


@dataclass(frozen=True)
class Count:
    """How many cases, referrals, withdrawals… (about families)."""

    n: int


@dataclass(frozen=True)
class Rate:
    """A share in per cent, numerator / denominator, both counts about families."""

    numerator: int
    denominator: int


@dataclass(frozen=True)
class Stat:
    """A statistic (median, 90th percentile, mean) over `n` cases or referrals."""

    value: float | None
    n: int


Sensitive = Count | Rate | Stat
Cell = Value | Sensitive


def disclose(cell: Cell) -> Value:
    """The value that may be shown for a cell."""
    match cell:
        case Count(n=n):
            return SUPPRESSED if 0 < n < THRESHOLD else n
        case Rate(numerator=num, denominator=den):
            if den == 0:
                return None
            # A share of few, or one that gives away a small numerator or remainder, is hidden.
            if den < THRESHOLD or 0 < num < THRESHOLD or 0 < den - num < THRESHOLD:
                return NOT_SHOWN
            return round(100.0 * num / den, 1)
        case Stat(value=value, n=n):
            if n == 0 or value is None:
                return None
            if n < THRESHOLD:
                return NOT_SHOWN
            return round(value, 1)
    return cell
