"""The partner registry and the partnership of a municipality: aggregates and their rules.

Plain Python. Each aggregate records what happened in `events`; the unit of work collects them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from partners.domain import events as ev
from shared.contracts.partners import SECTOR_NAMES
from shared.errors import Conflict, FieldError, InvalidInput


class Sector(StrEnum):
    EDUCATION = "education"
    HEALTH = "health"
    JUSTICE = "justice"
    POLICE = "police"
    NGO = "ngo"
    SOCIAL_ECONOMY = "social_economy"
    LABOUR_MARKET = "labour_market"
    FAMILY_SUPPORT = "family_support"
    BUSINESS = "business"
    LOCAL_GOVERNMENT = "local_government"
    SOCIAL_ASSISTANCE = "social_assistance"


# Named once, in the contract (ADR 0082).
SECTOR_NAMES_PL: dict[Sector, str] = {Sector(k): v for k, v in SECTOR_NAMES["pl"].items()}

# The sectors the seeds ask every partnership to reach.
RECOMMENDED_SECTORS: tuple[Sector, ...] = (
    Sector.EDUCATION,
    Sector.LABOUR_MARKET,
    Sector.JUSTICE,
    Sector.POLICE,
    Sector.HEALTH,
)

MIN_COORDINATORS = 2


class Aggregate:
    events: list[ev.DomainEvent]
    EDITABLE: tuple[str, ...] = ()

    def record(self, event: ev.DomainEvent) -> None:
        if not hasattr(self, "events"):
            self.events = []
        self.events.append(event)

    def _apply_changes(self, changes: dict[str, Any]) -> tuple[str, ...]:
        """Set the editable fields that really change; return their names."""
        changed = tuple(
            k for k, v in changes.items() if k in self.EDITABLE and getattr(self, k) != v
        )
        for key in changed:
            setattr(self, key, changes[key])
        return changed


@dataclass(eq=False)
class Institution(Aggregate):
    id: uuid.UUID
    tenant: str  # the municipality whose coordinator registered it and keeps it
    name: str
    sector: Sector
    tenants_served: list[str]
    legal_form: str | None = None
    regon: str | None = None
    nip: str | None = None
    krs: str | None = None
    street: str | None = None
    postal_code: str | None = None
    city: str | None = None
    email: str | None = None
    phone: str | None = None
    website: str | None = None
    description: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    EDITABLE = (
        "name",
        "sector",
        "tenants_served",
        "legal_form",
        "regon",
        "nip",
        "krs",
        "street",
        "postal_code",
        "city",
        "email",
        "phone",
        "website",
        "description",
    )

    @classmethod
    def register(cls, **values: Any) -> Institution:
        institution = cls(**values)
        institution._check_served()
        institution.record(ev.InstitutionRegistered(institution.id))
        return institution

    def _check_served(self) -> None:
        if self.tenant not in self.tenants_served:
            self.tenants_served = [self.tenant, *self.tenants_served]

    def update(self, changes: dict[str, Any]) -> tuple[str, ...]:
        changed = self._apply_changes(changes)
        self._check_served()
        if changed:
            self.record(ev.InstitutionUpdated(self.id, changed))
        return changed


@dataclass(eq=False)
class Partnership(Aggregate):
    id: uuid.UUID
    tenant: str
    name: str
    leader_institution_id: uuid.UUID
    municipality_name: str
    goals: str | None = None
    principles: str | None = None
    meeting_frequency: str | None = None
    formal_act_kind: str | None = None  # e.g. uchwała rady gminy, porozumienie, zarządzenie
    formal_act_reference: str | None = None
    formal_act_date: date | None = None
    established_on: date | None = None

    EDITABLE = (
        "name",
        "leader_institution_id",
        "municipality_name",
        "goals",
        "principles",
        "meeting_frequency",
        "formal_act_kind",
        "formal_act_reference",
        "formal_act_date",
        "established_on",
    )

    @classmethod
    def establish(cls, **values: Any) -> Partnership:
        partnership = cls(**values)
        partnership.record(ev.PartnershipEstablished(partnership.id))
        return partnership

    def update(self, changes: dict[str, Any]) -> tuple[str, ...]:
        changed = self._apply_changes(changes)
        if changed:
            self.record(ev.PartnershipUpdated(self.id, changed))
        return changed


class MembershipState(StrEnum):
    INVITED = "invited"
    INFORMAL = "informal"
    DECLARED = "declared"
    SUSPENDED = "suspended"
    LEFT = "left"


MEMBERSHIP_STATE_NAMES_PL = {
    MembershipState.INVITED: "zaproszona",
    MembershipState.INFORMAL: "uczestnik nieformalny",
    MembershipState.DECLARED: "deklaracja przystąpienia",
    MembershipState.SUSPENDED: "zawieszona",
    MembershipState.LEFT: "wystąpiła",
}

# Informal participation is a first-class state: an institution may work in the partnership
# without a written declaration, and move between the two as it wishes.
TRANSITIONS: dict[MembershipState, frozenset[MembershipState]] = {
    MembershipState.INVITED: frozenset(
        {MembershipState.INFORMAL, MembershipState.DECLARED, MembershipState.LEFT}
    ),
    MembershipState.INFORMAL: frozenset(
        {MembershipState.DECLARED, MembershipState.SUSPENDED, MembershipState.LEFT}
    ),
    MembershipState.DECLARED: frozenset(
        {MembershipState.INFORMAL, MembershipState.SUSPENDED, MembershipState.LEFT}
    ),
    MembershipState.SUSPENDED: frozenset(
        {MembershipState.INFORMAL, MembershipState.DECLARED, MembershipState.LEFT}
    ),
    MembershipState.LEFT: frozenset({MembershipState.INVITED}),
}

ACTIVE_STATES = frozenset({MembershipState.INFORMAL, MembershipState.DECLARED})


@dataclass(frozen=True)
class MembershipChange:
    previous_state: MembershipState | None
    state: MembershipState
    effective_on: date
    reason: str | None
    declaration_reference: str | None
    changed_by: str
    changed_at: datetime


@dataclass(eq=False)
class Membership(Aggregate):
    id: uuid.UUID
    tenant: str
    partnership_id: uuid.UUID
    institution_id: uuid.UUID
    state: MembershipState
    since: date
    declaration_reference: str | None = None
    declaration_date: date | None = None
    history: list[MembershipChange] = field(default_factory=list)

    @classmethod
    def start(
        cls,
        *,
        id: uuid.UUID,
        tenant: str,
        partnership_id: uuid.UUID,
        institution_id: uuid.UUID,
        state: MembershipState,
        effective_on: date,
        changed_by: str,
        now: datetime,
        declaration_reference: str | None = None,
        declaration_date: date | None = None,
        reason: str | None = None,
    ) -> Membership:
        if state not in (
            MembershipState.INVITED,
            MembershipState.INFORMAL,
            MembershipState.DECLARED,
        ):
            raise InvalidInput.field(
                "state",
                "Członkostwo zaczyna się od zaproszenia, udziału nieformalnego "
                "albo deklaracji przystąpienia.",
                "illegal_initial_state",
            )
        membership = cls(
            id=id,
            tenant=tenant,
            partnership_id=partnership_id,
            institution_id=institution_id,
            state=state,
            since=effective_on,
        )
        membership._apply(
            None,
            state,
            effective_on,
            reason,
            declaration_reference,
            declaration_date,
            changed_by,
            now,
        )
        return membership

    def change_state(
        self,
        new_state: MembershipState,
        *,
        effective_on: date,
        changed_by: str,
        now: datetime,
        reason: str | None = None,
        declaration_reference: str | None = None,
        declaration_date: date | None = None,
    ) -> None:
        if new_state == self.state or new_state not in TRANSITIONS[self.state]:
            allowed = ", ".join(sorted(TRANSITIONS[self.state]))
            raise InvalidInput.field(
                "state",
                f"Niedozwolona zmiana stanu członkostwa: {self.state} → {new_state}. "
                f"Dozwolone: {allowed}.",
                "illegal_transition",
            )
        if self.history and effective_on < self.history[-1].effective_on:
            raise InvalidInput.field(
                "effective_on",
                "Data zmiany nie może być wcześniejsza niż data poprzedniej zmiany.",
                "before_previous_change",
            )
        self._apply(
            self.state,
            new_state,
            effective_on,
            reason,
            declaration_reference,
            declaration_date,
            changed_by,
            now,
        )

    def _apply(
        self,
        previous: MembershipState | None,
        new_state: MembershipState,
        effective_on: date,
        reason: str | None,
        declaration_reference: str | None,
        declaration_date: date | None,
        changed_by: str,
        now: datetime,
    ) -> None:
        errors: list[FieldError] = []
        if new_state == MembershipState.DECLARED:
            if not declaration_reference:
                errors.append(
                    FieldError(
                        "declaration_reference",
                        "Deklaracja przystąpienia wymaga sygnatury lub numeru dokumentu.",
                        "missing",
                    )
                )
        elif declaration_reference:
            errors.append(
                FieldError(
                    "declaration_reference",
                    "Sygnaturę deklaracji podaje się tylko przy deklaracji przystąpienia.",
                    "not_applicable",
                )
            )
        if new_state in (MembershipState.SUSPENDED, MembershipState.LEFT) and not reason:
            errors.append(
                FieldError("reason", "Podaj powód zawieszenia lub wystąpienia.", "missing")
            )
        if errors:
            raise InvalidInput(*errors)
        if new_state == MembershipState.DECLARED:
            self.declaration_reference = declaration_reference
            self.declaration_date = declaration_date or effective_on
        self.state = new_state
        self.history = [
            *self.history,
            MembershipChange(
                previous,
                new_state,
                effective_on,
                reason,
                declaration_reference,
                changed_by,
                now,
            ),
        ]
        self.record(ev.MembershipChanged(self.id, previous, new_state, effective_on))

    @property
    def active(self) -> bool:
        return self.state in ACTIVE_STATES


@dataclass(eq=False)
class ContactPerson(Aggregate):
    id: uuid.UUID
    tenant: str
    institution_id: uuid.UUID
    name: str
    position: str | None = None
    email: str | None = None
    phone: str | None = None
    user_id: str | None = None
    active: bool = True

    EDITABLE = ("name", "position", "email", "phone", "user_id", "active")

    def update(self, changes: dict[str, Any]) -> tuple[str, ...]:
        changed = self._apply_changes(changes)
        if changed:
            self.record(ev.ContactPersonChanged(self.id))
        return changed


@dataclass(eq=False)
class Coordinator:
    id: uuid.UUID
    tenant: str
    partnership_id: uuid.UUID
    name: str
    email: str | None = None
    phone: str | None = None
    user_id: str | None = None
    institution_id: uuid.UUID | None = None
    since: date | None = None
    until: date | None = None

    @property
    def active(self) -> bool:
        return self.until is None


class MeetingStatus(StrEnum):
    SCHEDULED = "scheduled"
    HELD = "held"
    CANCELLED = "cancelled"


@dataclass(eq=False)
class Meeting(Aggregate):
    id: uuid.UUID
    tenant: str
    partnership_id: uuid.UUID
    starts_at: datetime
    title: str
    status: MeetingStatus = MeetingStatus.SCHEDULED
    ends_at: datetime | None = None
    place: str | None = None
    online_url: str | None = None
    host_institution_id: uuid.UUID | None = None
    chair_institution_id: uuid.UUID | None = None
    chair_name: str | None = None
    agenda: list[str] = field(default_factory=list)
    attendance: list[dict[str, Any]] = field(default_factory=list)
    minutes: str | None = None
    decisions: list[str] = field(default_factory=list)
    held_at: datetime | None = None
    cancel_reason: str | None = None

    @classmethod
    def schedule(cls, **values: Any) -> Meeting:
        meeting = cls(**values)
        errors: list[FieldError] = []
        if meeting.ends_at is not None and meeting.ends_at <= meeting.starts_at:
            errors.append(
                FieldError("ends_at", "Koniec spotkania musi być po jego początku.", "before_start")
            )
        if not meeting.place and not meeting.online_url:
            errors.append(
                FieldError(
                    "place", "Podaj miejsce spotkania albo link do wideokonferencji.", "missing"
                )
            )
        if errors:
            raise InvalidInput(*errors)
        meeting.record(ev.MeetingScheduled(meeting.id))
        return meeting

    def record_held(
        self,
        *,
        held_at: datetime,
        attendance: Sequence[dict[str, Any]],
        minutes: str | None,
        decisions: Iterable[str],
        member_ids: set[uuid.UUID],
    ) -> None:
        if self.status != MeetingStatus.SCHEDULED:
            raise Conflict(f"Spotkanie ma status „{self.status}” i nie można go już odbyć.")
        unknown = [
            a["institution_id"]
            for a in attendance
            if uuid.UUID(str(a["institution_id"])) not in member_ids
        ]
        if unknown:
            raise InvalidInput.field(
                "attendance",
                "Na liście obecności są instytucje spoza partnerstwa: "
                + ", ".join(map(str, unknown)),
                "not_a_member",
            )
        self.status = MeetingStatus.HELD
        self.held_at = held_at
        self.attendance = [dict(a) for a in attendance]
        self.minutes = minutes
        self.decisions = list(decisions)
        self.record(ev.MeetingHeld(self.id, held_at))

    def cancel(self, reason: str) -> None:
        if self.status != MeetingStatus.SCHEDULED:
            raise Conflict(f"Spotkanie ma status „{self.status}” i nie można go odwołać.")
        self.status = MeetingStatus.CANCELLED
        self.cancel_reason = reason
        self.record(ev.MeetingCancelled(self.id, reason))


def propose_host(
    members: Sequence[tuple[uuid.UUID, str]],
    hosted: dict[uuid.UUID, tuple[int, datetime | None]],
) -> uuid.UUID | None:
    """The rotating host: among active members, the one who hosted least; ties go to whoever
    hosted longest ago (never first), then by name so the proposal is stable."""
    if not members:
        return None

    def key(member: tuple[uuid.UUID, str]) -> tuple[int, float, str]:
        count, last = hosted.get(member[0], (0, None))
        return (count, last.timestamp() if last else float("-inf"), member[1])

    return min(members, key=key)[0]
