"""The consent decision every channel shares (ADR 0036): which kinds of a case's data a partner
institution may have, at a moment, under the family's consents — and with it its relation to the
case. Plain Python: the cases service calls it for every API read, the notifications service for
every event, notice, webhook attempt, e-mail and live update, each from its own copy of the facts
(the cases database; the notifications read model fed by the case events).

A consent shares its kinds of data with the institutions it names and with every institution of a
sector it names, from `given_at` until `valid_until` (exclusive) or its withdrawal.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

DIAGNOSIS, PLAN, REFERRALS = "diagnosis", "plan", "referrals"
MEETINGS, CONTACT = "meetings", "contact"
DATA_KINDS: tuple[str, ...] = (DIAGNOSIS, PLAN, REFERRALS, MEETINGS, CONTACT)

TEAM_MEMBER = "team_member"
RECEIVING_PARTNER = "receiving_partner"  # an institution a referral was sent to, outside the team


class ConsentScope(Protocol):
    """What the decision needs of a consent (the cases aggregate and the notifications read
    model both offer it)."""

    @property
    def institution_ids(self) -> Collection[uuid.UUID]: ...

    @property
    def sectors(self) -> Collection[str]: ...

    @property
    def data_kinds(self) -> Collection[str]: ...

    @property
    def given_at(self) -> datetime: ...

    @property
    def valid_until(self) -> datetime | None: ...

    @property
    def withdrawn_at(self) -> datetime | None: ...


def valid_at(consent: ConsentScope, now: datetime) -> bool:
    """Given, not expired, not withdrawn at `now`."""
    if consent.withdrawn_at is not None and consent.withdrawn_at <= now:
        return False
    if consent.valid_until is not None and consent.valid_until <= now:
        return False
    return consent.given_at <= now


def covers(consent: ConsentScope, institution_id: uuid.UUID, sector: str | None) -> bool:
    """The consent names the institution, or the sector it belongs to."""
    return institution_id in consent.institution_ids or (
        sector is not None and sector in consent.sectors
    )


def granted_kinds(
    consents: Iterable[ConsentScope], institution_id: uuid.UUID, sector: str | None, now: datetime
) -> frozenset[str]:
    """The kinds of data the consents valid at `now` share with this institution."""
    kinds: set[str] = set()
    for consent in consents:
        if valid_at(consent, now) and covers(consent, institution_id, sector):
            kinds.update(str(k) for k in consent.data_kinds)
    return frozenset(kinds)


@dataclass(frozen=True)
class PartnerAccess:
    """A partner's relation to a case and the kinds of its data it may see."""

    relation: str  # TEAM_MEMBER | RECEIVING_PARTNER
    kinds: frozenset[str]

    def allows(self, kind: str | None) -> bool:
        return kind is None or kind in self.kinds

    @property
    def sees_team(self) -> bool:
        """Only team members see who else is in the team."""
        return self.relation == TEAM_MEMBER


def partner_access(
    granted: frozenset[str], *, case_closed: bool, in_team: bool, receiving: bool
) -> PartnerAccess | None:
    """A partner's access from the kinds its consents grant: an active team member sees them
    all; the receiving institution of a referral outside the team sees its referrals if
    `referrals` is granted; nobody else, and nobody once the case is closed (None: the case does
    not exist for them)."""
    if case_closed or not granted:
        return None
    if in_team:
        return PartnerAccess(TEAM_MEMBER, granted)
    if receiving and REFERRALS in granted:
        return PartnerAccess(RECEIVING_PARTNER, frozenset({REFERRALS}))
    return None
