"""Small-cell suppression: the one place where figures about cases and referrals are made safe.

A figure about families (a count of cases or referrals, a rate or a time computed from them) is
carried through the read side as a `Count`, `Rate` or `Stat`, never as a bare number. `disclose`
is the only function that turns those into printable values, and every output — the JSON views
and the CSV, XLSX and PDF exports — goes through it: a count of 1 or 2 becomes "< 3", and a rate
or a median computed from fewer than three cases or referrals is hidden the same way, and so is a
share whose numerator or remainder is 1 or 2 (it would give the small count away).
"""

from __future__ import annotations

from dataclasses import dataclass

THRESHOLD = 3
SUPPRESSED = f"< {THRESHOLD}"

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
                return SUPPRESSED
            return round(100.0 * num / den, 1)
        case Stat(value=value, n=n):
            if n == 0 or value is None:
                return None
            if n < THRESHOLD:
                return SUPPRESSED
            return round(value, 1)
    return cell
