"""Linked views: no count follows from the cells of several views set side by side (ADR 0048).

Complementary suppression within one view (ADR 0047) is undone across views: the region's table
of municipalities hides a municipality's figure that the municipality's own view shows; a quarter
shows the sum of its three months; two reports show the same count. So:

- every count has one *canonical* cell, that of the view that owns it (a municipality's figure
  in the region's table of municipalities is the municipality's own figure; a trend row is the
  summary of its period's own view), and carries the same marker wherever it is shown;
- protection is decided at the finest published level — a municipality's month, and its
  monitoring view — by the suppression within that view (ADR 0047); every coarser count (a
  municipality's quarter or year, the region's month, quarter, year or monitoring) is the sum of
  counts of the finest level and is shown only where all of them are shown (`coarse`), so that
  the coarser views tell nothing the finest do not;
- the union of the linked views' cells, with their lines and the lines between them (the region
  is the sum of its municipalities, a quarter of its months), then holds no determined small
  count: the integration test runs `suppression.audit` over it.

Pure: the reports are built, and the markers gathered, by `evaluation.views`.
"""

from __future__ import annotations

from collections.abc import Sequence

from evaluation.domain.disclosure import THRESHOLD
from evaluation.domain.suppression import Kind

REGION = "region"
MONITORING = "monitoring"
# The trend's columns are the summaries' figures of the period of their row (and the region's
# table of municipalities: its columns 1 and 2 are the municipality's opened and sent).
TREND_COLUMNS: dict[int, tuple[str, str]] = {
    1: ("cases_summary", "opened"),
    2: ("referrals_summary", "sent"),
    3: ("referrals_summary", "accepted"),
    4: ("referrals_summary", "completed"),
}


def coarse(value: int, parts: Sequence[Kind | None]) -> Kind | None:
    """The marker of a count of a coarser view (a quarter or a year of a municipality, the
    region), from the markers its parts have in the finest views (the municipality's months, or
    its monitoring view): shown only where every part is shown, and then it is their sum — no
    figure a reader did not have already; otherwise "#", which says only what a hidden part
    says already (not zero). A small count always has a hidden part; it is "#" too, since
    "< 3" would bound the parts' sum (1 + 1 = 2)."""
    if any(kind is not None for kind in parts) or 0 < value < THRESHOLD:
        return "complementary"
    return None
