"""Which institutions may hear about a case: those its family's consent covers at that moment.

A partner system is never told more than its staff could read: a case event reaches an institution
only while a consent of the family names it (or its whole sector) and has not expired or been
withdrawn; the municipality check (the event's tenant among the system's) is applied on top.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Scope:
    """One institution or one sector named in a consent's scope."""

    consent_id: uuid.UUID
    institution_id: uuid.UUID | None
    sector: str | None
    valid_until: datetime | None
    withdrawn_at: datetime | None

    def in_force(self, at: datetime) -> bool:
        if self.withdrawn_at is not None and self.withdrawn_at <= at:
            return False
        return self.valid_until is None or at < self.valid_until

    def covers(self, institution_id: uuid.UUID, sector: str | None) -> bool:
        if self.institution_id is not None:
            return self.institution_id == institution_id
        return sector is not None and self.sector == sector


def entitled(
    scopes: Iterable[Scope], candidates: Mapping[uuid.UUID, str | None], at: datetime
) -> set[uuid.UUID]:
    """The candidates (institution id → sector) some scope in force at `at` covers."""
    live = [s for s in scopes if s.in_force(at)]
    return {i for i, sector in candidates.items() if any(s.covers(i, sector) for s in live)}


def withdrawn(
    scopes: Iterable[Scope],
    consent_id: uuid.UUID,
    institution_ids: Iterable[uuid.UUID],
    sectors: Iterable[str],
    at: datetime,
) -> list[Scope]:
    """The scopes after a withdrawal: of the consent, those naming one of the institutions or
    sectors (all of them when neither is given) end at `at`."""
    ids, secs = set(institution_ids), set(sectors)
    everything = not ids and not secs
    out: list[Scope] = []
    for s in scopes:
        hit = s.consent_id == consent_id and (
            everything
            or (s.institution_id is not None and s.institution_id in ids)
            or (s.sector is not None and s.sector in secs)
        )
        out.append(Scope(s.consent_id, s.institution_id, s.sector, s.valid_until, at) if hit else s)
    return out
