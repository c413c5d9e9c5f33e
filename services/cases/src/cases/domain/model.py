"""A case of one family in one municipality, and what hangs on it: the family record, consents,
the team, the diagnosis, the support plan, referrals and meetings.

Plain Python. Aggregates record what happened in `events`; the unit of work collects them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Literal

from cases.domain import events as ev
from shared import consent as shared_consent
from shared.clock import WARSAW
from shared.contracts.partners import SECTOR_NAMES
from shared.errors import Conflict, FieldError, Forbidden, InvalidInput


class Aggregate:
    events: list[ev.DomainEvent]

    def record(self, event: ev.DomainEvent) -> None:
        if not hasattr(self, "events"):
            self.events = []
        self.events.append(event)


class CaseState(StrEnum):
    INTAKE = "intake"
    DIAGNOSIS = "diagnosis"
    PLANNING = "planning"
    SUPPORT = "support"
    MONITORING = "monitoring"
    CLOSED = "closed"


CASE_STATE_NAMES_PL = {
    CaseState.INTAKE: "przyjęcie",
    CaseState.DIAGNOSIS: "diagnoza",
    CaseState.PLANNING: "planowanie",
    CaseState.SUPPORT: "realizacja wsparcia",
    CaseState.MONITORING: "monitorowanie",
    CaseState.CLOSED: "zamknięta",
}


class CloseReason(StrEnum):
    GOALS_ACHIEVED = "goals_achieved"
    FAMILY_WITHDREW = "family_withdrew"
    MOVED_AWAY = "moved_away"
    TRANSFERRED = "transferred"
    NO_COOPERATION = "no_cooperation"
    OTHER = "other"


class ReassignReason(StrEnum):
    """Why a case passes to another case manager (the free text, if any, stays in the service)."""

    ABSENCE = "absence"  # leave, illness
    STAFF_CHANGE = "staff_change"  # the case manager changed jobs or left
    WORKLOAD = "workload"
    CONFLICT_OF_INTEREST = "conflict_of_interest"
    FAMILY_REQUEST = "family_request"
    OTHER = "other"


REASSIGN_REASON_NAMES_PL = {
    ReassignReason.ABSENCE: "nieobecność prowadzącego",
    ReassignReason.STAFF_CHANGE: "zmiana kadrowa",
    ReassignReason.WORKLOAD: "wyrównanie obciążenia pracą",
    ReassignReason.CONFLICT_OF_INTEREST: "konflikt interesów",
    ReassignReason.FAMILY_REQUEST: "prośba rodziny",
    ReassignReason.OTHER: "inny powód",
}


class DataKind(StrEnum):
    """The kinds of case data a consent may share with a partner institution."""

    DIAGNOSIS = "diagnosis"
    PLAN = "plan"
    REFERRALS = "referrals"
    MEETINGS = "meetings"
    CONTACT = "contact"


DATA_KIND_NAMES_PL = {
    DataKind.DIAGNOSIS: "diagnoza sytuacji rodziny",
    DataKind.PLAN: "plan wsparcia (cele i działania)",
    DataKind.REFERRALS: "skierowania do usług",
    DataKind.MEETINGS: "spotkania zespołu i ich ustalenia",
    DataKind.CONTACT: "imiona, nazwiska i dane kontaktowe",
}


class ConsentMethod(StrEnum):
    PAPER = "paper"
    VERBAL = "verbal"
    ELECTRONIC = "electronic"


CONSENT_METHOD_NAMES_PL = {
    ConsentMethod.PAPER: "podpisana na papierze",
    ConsentMethod.VERBAL: "wyrażona ustnie (odnotowana)",
    ConsentMethod.ELECTRONIC: "wyrażona elektronicznie",
}


# Sectors as the partners registry names them (consent scopes may name whole sectors), in lower
# case for the middle of a sentence; named once, in the contract (ADR 0082).
SECTOR_NAMES_PL: dict[str, str] = {k: v.lower() for k, v in SECTOR_NAMES["pl"].items()}


class DiagnosisArea(StrEnum):
    LIVING_CONDITIONS = "living_conditions"
    CARE_AND_UPBRINGING = "care_and_upbringing"
    HEALTH = "health"
    WORK = "work"
    FAMILY_RELATIONS = "family_relations"


DIAGNOSIS_AREA_NAMES_PL = {
    DiagnosisArea.LIVING_CONDITIONS: "warunki bytowe",
    DiagnosisArea.CARE_AND_UPBRINGING: "opieka i wychowanie",
    DiagnosisArea.HEALTH: "zdrowie",
    DiagnosisArea.WORK: "praca",
    DiagnosisArea.FAMILY_RELATIONS: "relacje rodzinne",
}


# --- the case -------------------------------------------------------------------------------


@dataclass(eq=False)
class Case(Aggregate):
    id: uuid.UUID
    tenant: str
    manager_subject: str
    manager_username: str
    opened_at: datetime
    state: CaseState = CaseState.INTAKE
    closed_at: datetime | None = None
    close_reason: CloseReason | None = None
    close_note: str | None = None
    family_size: int = 0

    @classmethod
    def open(cls, **values: Any) -> Case:
        case = cls(**values)
        case.record(ev.CaseOpened(case.id))
        return case

    def check_open(self) -> None:
        if self.state == CaseState.CLOSED:
            raise Conflict("Sprawa jest zamknięta; nie można jej już zmieniać.")

    def move_to(self, state: CaseState) -> None:
        self.check_open()
        if state == CaseState.CLOSED:
            raise InvalidInput.field(
                "state", "Sprawę zamyka się osobną operacją, z podaniem powodu.", "use_close"
            )
        self.state = state

    def close(self, reason: CloseReason, note: str | None, now: datetime) -> None:
        self.check_open()
        self.state = CaseState.CLOSED
        self.closed_at = now
        self.close_reason = reason
        self.close_note = note
        self.record(ev.CaseClosed(self.id))

    def reassign(
        self,
        *,
        to_subject: str,
        to_username: str,
        reason_code: ReassignReason,
        reason: str | None,
        by_username: str,
        by_relation: str,
        at: datetime,
    ) -> CaseReassignment:
        """Hand the case over to another case manager; the previous one loses access at once
        (the consent policy recognises the case manager by the token subject alone). A closed
        case may be handed over too: its access log must stay producible for the family."""
        if to_subject == self.manager_subject:
            raise InvalidInput.field(
                "manager_subject", "Ta osoba już prowadzi tę sprawę.", "same_manager"
            )
        handover = CaseReassignment(
            id=uuid.uuid4(),
            case_id=self.id,
            tenant=self.tenant,
            at=at,
            from_subject=self.manager_subject,
            from_username=self.manager_username,
            to_subject=to_subject,
            to_username=to_username,
            reason_code=reason_code,
            reason=reason,
            by_username=by_username,
            by_relation=by_relation,
        )
        self.manager_subject = to_subject
        self.manager_username = to_username
        self.record(
            ev.CaseReassigned(self.id, handover.from_subject, reason_code.value, by_relation, at)
        )
        return handover


@dataclass(eq=False)
class CaseReassignment:
    """One handover of a case from one case manager to another, kept as the case's history."""

    id: uuid.UUID
    case_id: uuid.UUID
    tenant: str
    at: datetime
    from_subject: str
    from_username: str
    to_subject: str
    to_username: str
    reason_code: ReassignReason
    reason: str | None
    by_username: str
    by_relation: str


@dataclass(eq=False)
class FamilyMember:
    """A person of the family: only what the work needs. The PESEL is held encrypted, with a
    keyed hash to find it; the domain never sees it in clear after intake."""

    id: uuid.UUID
    case_id: uuid.UUID
    tenant: str
    first_name: str
    last_name: str
    year_of_birth: int | None = None
    relation: str | None = None
    phone: str | None = None
    email: str | None = None
    address: str | None = None
    pesel_encrypted: bytes | None = None
    pesel_hash: str | None = None
    removed_at: datetime | None = None
    pesel_key_id: str | None = None
    pesel_hash_key_id: str | None = None

    EDITABLE = frozenset(
        {"first_name", "last_name", "year_of_birth", "relation", "phone", "email", "address"}
    )
    REQUIRED = frozenset({"first_name", "last_name"})

    @property
    def removed(self) -> bool:
        return self.removed_at is not None

    def edit(self, changes: dict[str, Any]) -> None:
        """Change the person's details (already validated for shape); names cannot be emptied."""
        errors = [
            FieldError(name, "To pole jest wymagane.", "missing")
            for name in sorted(self.REQUIRED)
            if name in changes and changes[name] is None
        ]
        if errors:
            raise InvalidInput(*errors)
        for name, value in changes.items():
            if name not in self.EDITABLE:
                raise InvalidInput.field(name, "Tego pola nie można zmienić.", "not_editable")
            setattr(self, name, value)

    def set_pesel(
        self,
        encrypted: bytes | None,
        key_id: str | None,
        lookup_hash: str | None,
        hash_key_id: str | None,
    ) -> None:
        self.pesel_encrypted, self.pesel_key_id = encrypted, key_id
        self.pesel_hash, self.pesel_hash_key_id = lookup_hash, hash_key_id

    def check_removable(
        self, family: list[FamilyMember], consents: list[Consent], now: datetime
    ) -> bool:
        """Whether the person may leave the family record, and whether the record must be kept
        (True) because a consent names them as its giver. Refuses the last person and anyone
        whose consent is in force: that consent is withdrawn first (and, if the family still
        wants the sharing, a new one given by another person is recorded before)."""
        if not any(p.id != self.id and not p.removed for p in family):
            raise Conflict("Nie można usunąć ostatniej osoby z rodziny.")
        given = [x for x in consents if x.given_by_member_id == self.id]
        if any(x.valid_at(now) for x in given):
            raise Conflict(
                "Ta osoba wyraziła obowiązującą zgodę. Najpierw odnotuj wycofanie tej zgody "
                "(a jeśli rodzina chce dalszej współpracy, najpierw nową zgodę innej osoby)."
            )
        return bool(given)

    def remove(self, now: datetime) -> None:
        """Leave the record but keep the names for the consents this person gave (their history
        must stay readable); contact details and the PESEL are erased."""
        self.removed_at = now
        self.phone = self.email = self.address = None
        self.set_pesel(None, None, None, None)


# --- consent --------------------------------------------------------------------------------


@dataclass(eq=False)
class Consent(Aggregate):
    id: uuid.UUID
    case_id: uuid.UUID
    tenant: str
    given_by_member_id: uuid.UUID
    given_at: datetime
    method: ConsentMethod
    institution_ids: list[uuid.UUID]
    sectors: list[str]
    data_kinds: list[DataKind]
    recorded_by: str
    recorded_at: datetime
    valid_until: datetime | None = None
    withdrawn_at: datetime | None = None
    withdrawn_by: str | None = None
    withdrawal_note: str | None = None
    # When the expiry's consequences were applied to the team and the referrals (the sweep,
    # ADR 0037); None until then, and for consents withdrawn (applied with the withdrawal).
    expiry_applied_at: datetime | None = None

    @classmethod
    def give(cls, **values: Any) -> Consent:
        consent = cls(**values)
        errors: list[FieldError] = []
        if not consent.institution_ids and not consent.sectors:
            errors.append(
                FieldError(
                    "scope.institution_ids",
                    "Zgoda musi wskazywać co najmniej jedną instytucję albo sektor.",
                    "empty_scope",
                )
            )
        if not consent.data_kinds:
            errors.append(
                FieldError(
                    "scope.data_kinds",
                    "Zgoda musi wskazywać co najmniej jeden rodzaj danych.",
                    "empty_scope",
                )
            )
        if consent.valid_until is not None and consent.valid_until <= consent.given_at:
            errors.append(
                FieldError(
                    "valid_until", "Zgoda musi być ważna po dacie jej wyrażenia.", "before_given"
                )
            )
        if errors:
            raise InvalidInput(*errors)
        consent.record(ev.ConsentGiven(consent.id))
        return consent

    def valid_at(self, now: datetime) -> bool:
        return shared_consent.valid_at(self, now)

    def covers(self, institution_id: uuid.UUID, sector: str | None) -> bool:
        return shared_consent.covers(self, institution_id, sector)

    def withdraw(self, *, at: datetime, by: str, note: str | None) -> None:
        if self.withdrawn_at is not None:
            raise Conflict("Ta zgoda została już wycofana.")
        self.withdrawn_at = at
        self.withdrawn_by = by
        self.withdrawal_note = note
        self.record(ev.ConsentWithdrawn(self.id))


# --- the team -------------------------------------------------------------------------------


class MemberState(StrEnum):
    INVITED = "invited"
    ACTIVE = "active"
    DECLINED = "declined"
    LEFT = "left"


class LeftReason(StrEnum):
    """Why a member left the team (None: they left, or the case manager removed them)."""

    CONSENT_ENDED = "consent_ended"  # no valid consent covers their institution any more
    CASE_CLOSED = "case_closed"


@dataclass(eq=False)
class TeamMember(Aggregate):
    """A specialist of a partner institution in the case's team (the case manager belongs
    always and is not listed here)."""

    id: uuid.UUID
    case_id: uuid.UUID
    tenant: str
    institution_id: uuid.UUID
    sector: str | None
    state: MemberState
    invited_at: datetime
    invited_by: str
    function: str | None = None
    invited_username: str | None = None
    user_subject: str | None = None
    username: str | None = None
    joined_at: datetime | None = None
    left_at: datetime | None = None
    left_reason: LeftReason | None = None

    def accept(self, *, subject: str, username: str, now: datetime) -> None:
        if self.state != MemberState.INVITED:
            raise Conflict(f"Zaproszenie ma stan „{self.state}” i nie można go przyjąć.")
        if self.invited_username and self.invited_username != username:
            raise Conflict("Zaproszenie jest skierowane do innej osoby z tej instytucji.")
        self.state = MemberState.ACTIVE
        self.user_subject = subject
        self.username = username
        self.joined_at = now
        self.record(ev.MemberJoined(self.id))

    def decline(self) -> None:
        if self.state != MemberState.INVITED:
            raise Conflict(f"Zaproszenie ma stan „{self.state}” i nie można go odrzucić.")
        self.state = MemberState.DECLINED

    def leave(self, now: datetime, reason: LeftReason | None = None) -> None:
        if self.state not in (MemberState.ACTIVE, MemberState.INVITED):
            raise Conflict(f"Członek zespołu ma stan „{self.state}”.")
        was_active = self.state == MemberState.ACTIVE
        self.state = MemberState.LEFT
        self.left_at = now
        self.left_reason = reason
        if was_active:
            self.record(ev.MemberLeft(self.id))

    @property
    def in_team(self) -> bool:
        return self.state in (MemberState.ACTIVE, MemberState.INVITED)


# --- diagnosis --------------------------------------------------------------------------------


class Perspective(StrEnum):
    FAMILY = "family"
    SPECIALIST = "specialist"


@dataclass(eq=False)
class DiagnosisEntry:
    id: uuid.UUID
    case_id: uuid.UUID
    tenant: str
    area: DiagnosisArea
    perspective: Perspective
    text: str
    author_username: str
    recorded_at: datetime
    author_institution_id: uuid.UUID | None = None


# --- support plan -----------------------------------------------------------------------------


class ActionStatus(StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    DROPPED = "dropped"


@dataclass(eq=False)
class PlanVersion(Aggregate):
    """One version of the support plan; every change is a new version, the old ones are kept.

    `goals` is a list of {"id", "title", "actions": [{"id", "title", "responsible":
    {"kind": "family" | "member" | "case_manager", "member_id"}, "due_on", "status"}]}.
    """

    id: uuid.UUID
    case_id: uuid.UUID
    tenant: str
    version: int
    goals: list[dict[str, Any]]
    created_by: str
    created_at: datetime

    @classmethod
    def draw_up(
        cls,
        *,
        case: Case,
        version: int,
        goals: list[dict[str, Any]],
        active_members: set[uuid.UUID],
        created_by: str,
        now: datetime,
    ) -> PlanVersion:
        case.check_open()
        errors: list[FieldError] = []
        opened_on = case.opened_at.astimezone(WARSAW).date()  # dates are Polish ones
        for g, goal in enumerate(goals):
            for a, action in enumerate(goal.get("actions", [])):
                where = f"goals.{g}.actions.{a}"
                due = action.get("due_on")
                if due is not None and date.fromisoformat(str(due)) < opened_on:
                    errors.append(
                        FieldError(
                            f"{where}.due_on",
                            "Termin działania nie może być wcześniejszy niż otwarcie sprawy.",
                            "before_case_opened",
                        )
                    )
                responsible = action.get("responsible") or {}
                if responsible.get("kind") == "member":
                    member = responsible.get("member_id")
                    if member is None or uuid.UUID(str(member)) not in active_members:
                        errors.append(
                            FieldError(
                                f"{where}.responsible.member_id",
                                "Odpowiedzialnym może być tylko aktywny członek zespołu.",
                                "not_a_member",
                            )
                        )
        if errors:
            raise InvalidInput(*errors)
        plan = cls(
            id=uuid.uuid4(),
            case_id=case.id,
            tenant=case.tenant,
            version=version,
            goals=goals,
            created_by=created_by,
            created_at=now,
        )
        plan.record(ev.PlanUpdated(case.id, version))
        return plan

    def actions(self) -> list[dict[str, Any]]:
        return [a for g in self.goals for a in g.get("actions", [])]


# --- monitoring reviews -----------------------------------------------------------------------


class GoalProgress(StrEnum):
    PROGRESSED = "progressed"
    REACHED = "reached"
    NOT_REACHED = "not_reached"


GOAL_PROGRESS_NAMES_PL = {
    GoalProgress.PROGRESSED: "postęp",
    GoalProgress.REACHED: "cel osiągnięty",
    GoalProgress.NOT_REACHED: "cel nieosiągnięty",
}


@dataclass(eq=False)
class MonitoringReview(Aggregate):
    """A periodic review of the support plan with the family: how each goal of the current plan
    version stands, the family's own assessment, and when to look again.

    `goals` is a list of {"goal_id", "status": "progressed" | "reached" | "not_reached", "note"}.
    """

    id: uuid.UUID
    case_id: uuid.UUID
    tenant: str
    plan_version: int
    reviewed_on: date
    goals: list[dict[str, Any]]
    recorded_by: str
    recorded_at: datetime
    family_assessment: str | None = None
    notes: str | None = None
    next_review_on: date | None = None

    @classmethod
    def conduct(
        cls,
        *,
        case: Case,
        plan: PlanVersion | None,
        reviewed_on: date,
        goals: list[dict[str, Any]],
        family_assessment: str | None,
        notes: str | None,
        next_review_on: date | None,
        recorded_by: str,
        now: datetime,
    ) -> MonitoringReview:
        case.check_open()
        if plan is None:
            raise InvalidInput.field(
                "goals", "Sprawa nie ma jeszcze planu wsparcia do oceny.", "no_plan"
            )
        errors: list[FieldError] = []
        if reviewed_on < case.opened_at.astimezone(WARSAW).date():
            errors.append(
                FieldError(
                    "reviewed_on",
                    "Przegląd nie może być wcześniejszy niż otwarcie sprawy.",
                    "before_case_opened",
                )
            )
        elif reviewed_on > now.astimezone(WARSAW).date():
            errors.append(
                FieldError("reviewed_on", "Data przeglądu nie może być z przyszłości.", "in_future")
            )
        known = {str(g.get("id")) for g in plan.goals}
        seen: set[str] = set()
        for i, goal in enumerate(goals):
            goal_id = str(goal.get("goal_id"))
            if goal_id not in known:
                errors.append(
                    FieldError(
                        f"goals.{i}.goal_id",
                        "Nie ma takiego celu w aktualnym planie wsparcia.",
                        "unknown_goal",
                    )
                )
            elif goal_id in seen:
                errors.append(
                    FieldError(f"goals.{i}.goal_id", "Ten cel oceniono już wyżej.", "duplicate")
                )
            seen.add(goal_id)
        if next_review_on is not None and next_review_on <= reviewed_on:
            errors.append(
                FieldError(
                    "next_review_on",
                    "Następny przegląd musi być później niż ten.",
                    "not_after_review",
                )
            )
        if errors:
            raise InvalidInput(*errors)
        review = cls(
            id=uuid.uuid4(),
            case_id=case.id,
            tenant=case.tenant,
            plan_version=plan.version,
            reviewed_on=reviewed_on,
            goals=goals,
            recorded_by=recorded_by,
            recorded_at=now,
            family_assessment=family_assessment,
            notes=notes,
            next_review_on=next_review_on,
        )
        review.record(ev.ReviewRecorded(review.id))
        return review

    def count(self, status: GoalProgress) -> int:
        return sum(1 for g in self.goals if g.get("status") == status.value)


def goals_reached(plan: PlanVersion, reviews: list[MonitoringReview]) -> int:
    """How many goals of this plan version the latest review that assessed each calls reached."""
    latest: dict[str, str] = {}
    for review in sorted(reviews, key=lambda r: (r.reviewed_on, r.recorded_at)):
        for goal in review.goals:
            latest[str(goal.get("goal_id"))] = str(goal.get("status"))
    return sum(1 for g in plan.goals if latest.get(str(g.get("id"))) == GoalProgress.REACHED.value)


# --- referrals --------------------------------------------------------------------------------


class ReferralState(StrEnum):
    DRAFT = "draft"
    REQUESTED = "requested"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    IN_PROGRESS = "in-progress"
    ON_HOLD = "on-hold"
    COMPLETED = "completed"
    FAILED = "failed"
    # Ended because the family's consent no longer covers the receiving institution (withdrawn
    # or expired); reached by no person, only by the consent's end (ADR 0037).
    WITHDRAWN_CONSENT = "withdrawn-consent"


REFERRAL_STATE_NAMES_PL = {
    ReferralState.DRAFT: "projekt",
    ReferralState.REQUESTED: "wysłane",
    ReferralState.ACCEPTED: "przyjęte",
    ReferralState.REJECTED: "odrzucone",
    ReferralState.CANCELLED: "anulowane",
    ReferralState.IN_PROGRESS: "w realizacji",
    ReferralState.ON_HOLD: "wstrzymane",
    ReferralState.COMPLETED: "zakończone",
    ReferralState.FAILED: "nieudane",
    ReferralState.WITHDRAWN_CONSENT: "wycofane — brak zgody",
}


class Party(StrEnum):
    SENDER = "sender"  # the case manager
    RECEIVER = "receiver"  # partner staff of the offering's institution
    CONSENT = "consent"  # no person: the family's consent ended (withdrawn or expired)


class ReasonCode(StrEnum):
    NOT_ELIGIBLE = "not_eligible"
    NO_CAPACITY = "no_capacity"
    FAMILY_DECLINED = "family_declined"
    FAMILY_UNREACHABLE = "family_unreachable"
    SERVICE_UNAVAILABLE = "service_unavailable"
    DUPLICATE = "duplicate"
    OTHER = "other"
    # Only for `withdrawn-consent`, set by the consent's end itself (ADR 0037).
    CONSENT_WITHDRAWN = "consent_withdrawn"
    CONSENT_EXPIRED = "consent_expired"


CONSENT_REASONS = frozenset({ReasonCode.CONSENT_WITHDRAWN, ReasonCode.CONSENT_EXPIRED})


class OutcomeCode(StrEnum):
    GOAL_ACHIEVED = "goal_achieved"
    PARTIALLY_ACHIEVED = "partially_achieved"
    NOT_ACHIEVED = "not_achieved"
    OTHER = "other"


_S, _R, _C = Party.SENDER, Party.RECEIVER, Party.CONSENT
_BOTH = frozenset({_S, _R})
_CONSENT = frozenset({_C})
RS = ReferralState

# The HL7 Gravity (FHIR SDOH) referral task: from each state, the states it may go to and who
# may take it there. The receiving partner accepts, rejects, progresses and completes; either
# side may cancel; a draft belongs to the sender alone. Every open state ends in
# `withdrawn-consent` when the family's consent stops covering the receiving institution — by the
# consent's end only, never by a person (ADR 0037).
REFERRAL_TRANSITIONS: dict[ReferralState, dict[ReferralState, frozenset[Party]]] = {
    RS.DRAFT: {
        RS.REQUESTED: frozenset({_S}),
        RS.CANCELLED: frozenset({_S}),
        RS.WITHDRAWN_CONSENT: _CONSENT,
    },
    RS.REQUESTED: {
        RS.ACCEPTED: frozenset({_R}),
        RS.REJECTED: frozenset({_R}),
        RS.CANCELLED: _BOTH,
        RS.WITHDRAWN_CONSENT: _CONSENT,
    },
    RS.ACCEPTED: {
        RS.IN_PROGRESS: frozenset({_R}),
        RS.ON_HOLD: frozenset({_R}),
        RS.COMPLETED: frozenset({_R}),
        RS.FAILED: frozenset({_R}),
        RS.CANCELLED: _BOTH,
        RS.WITHDRAWN_CONSENT: _CONSENT,
    },
    RS.IN_PROGRESS: {
        RS.ON_HOLD: frozenset({_R}),
        RS.COMPLETED: frozenset({_R}),
        RS.FAILED: frozenset({_R}),
        RS.CANCELLED: _BOTH,
        RS.WITHDRAWN_CONSENT: _CONSENT,
    },
    RS.ON_HOLD: {
        RS.IN_PROGRESS: frozenset({_R}),
        RS.COMPLETED: frozenset({_R}),
        RS.FAILED: frozenset({_R}),
        RS.CANCELLED: _BOTH,
        RS.WITHDRAWN_CONSENT: _CONSENT,
    },
    RS.REJECTED: {},
    RS.CANCELLED: {},
    RS.COMPLETED: {},
    RS.FAILED: {},
    RS.WITHDRAWN_CONSENT: {},
}

REASON_REQUIRED = frozenset(
    {RS.REJECTED, RS.CANCELLED, RS.ON_HOLD, RS.FAILED, RS.WITHDRAWN_CONSENT}
)


def referral_moves(state: ReferralState, party: Party | None) -> list[ReferralState]:
    """The states `party` may move a referral to from `state`, in the table's order (what a page
    offers; `move` decides)."""
    if party is None:
        return []
    return [to for to, parties in REFERRAL_TRANSITIONS[state].items() if party in parties]


def referral_move_needs(to: ReferralState) -> Literal["reason", "outcome"] | None:
    """What a move to `to` must be given: a reason code, an outcome code, or nothing."""
    if to in REASON_REQUIRED:
        return "reason"
    return "outcome" if to == RS.COMPLETED else None


@dataclass(eq=False)
class Referral(Aggregate):
    id: uuid.UUID
    case_id: uuid.UUID
    tenant: str
    service_id: uuid.UUID
    institution_id: uuid.UUID
    sector: str | None
    state: ReferralState
    created_by: str
    created_at: datetime
    note: str | None = None
    capacity_status: str | None = None
    waiting_days: int | None = None
    requested_at: datetime | None = None
    updated_at: datetime | None = None
    reason_code: ReasonCode | None = None
    reason: str | None = None
    outcome_code: OutcomeCode | None = None
    outcome: str | None = None
    history: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def create(cls, *, send: bool, by: str, role: str, **values: Any) -> Referral:
        referral = cls(state=RS.DRAFT, **values)
        referral.history = [
            {"from": None, "to": RS.DRAFT.value, "at": referral.created_at.isoformat(),
             "by": by, "party": Party.SENDER.value, "role": role}
        ]  # fmt: skip
        if send:
            referral.move(RS.REQUESTED, party=Party.SENDER, by=by, role=role,
                          now=referral.created_at)  # fmt: skip
        return referral

    def move(
        self,
        to: ReferralState,
        *,
        party: Party,
        by: str,
        role: str,
        now: datetime,
        reason_code: ReasonCode | None = None,
        reason: str | None = None,
        outcome_code: OutcomeCode | None = None,
        outcome: str | None = None,
        institution_id: uuid.UUID | None = None,
    ) -> None:
        allowed = REFERRAL_TRANSITIONS[self.state]
        if to not in allowed:
            raise Conflict(f"Skierowanie w stanie „{self.state}” nie może przejść do stanu „{to}”.")
        if party not in allowed[to]:
            if allowed[to] == _CONSENT:
                raise Forbidden(
                    "Ten stan skierowanie osiąga samo, gdy zgoda rodziny przestaje obowiązywać."
                )
            raise Forbidden(
                "Tej zmiany stanu skierowania dokonuje "
                + ("instytucja przyjmująca." if Party.RECEIVER in allowed[to] else "kierujący.")
            )
        if to in REASON_REQUIRED and reason_code is None:
            raise InvalidInput.field(
                "reason_code", "Ta zmiana stanu wymaga podania powodu.", "missing"
            )
        if reason_code in CONSENT_REASONS and party != Party.CONSENT:
            raise InvalidInput.field(
                "reason_code",
                "Ten powód nadaje system, gdy zgoda rodziny przestaje obowiązywać.",
                "reserved",
            )
        if to == RS.COMPLETED and outcome_code is None:
            raise InvalidInput.field(
                "outcome_code", "Zakończenie skierowania wymaga podania jego rezultatu.", "missing"
            )
        previous = self.state
        self.state = to
        self.updated_at = now
        if to == RS.REQUESTED:
            self.requested_at = now
        if to in REASON_REQUIRED:
            self.reason_code = reason_code
            self.reason = reason
        if to == RS.COMPLETED:
            self.outcome_code = outcome_code
            self.outcome = outcome
        self.history = [
            *self.history,
            {
                "from": previous.value,
                "to": to.value,
                "at": now.isoformat(),
                "by": by,
                "party": party.value,
                "role": role,
                "institution_id": str(institution_id) if institution_id else None,
                "reason_code": reason_code.value if reason_code and to in REASON_REQUIRED else None,
                "reason": reason if to in REASON_REQUIRED else None,
                "outcome_code": outcome_code.value if outcome_code and to == RS.COMPLETED else None,
            },
        ]
        self.record(ev.ReferralMoved(self.id, previous.value, to.value, now))


def end_what_consent_no_longer_covers(
    *,
    consents: list[Consent],
    team: list[TeamMember],
    referrals: list[Referral],
    now: datetime,
    reason: ReasonCode,
) -> tuple[list[TeamMember], list[Referral]]:
    """After a consent was withdrawn or expired: the team members (active or invited) whose
    institution no consent valid `now` covers leave the team, and every open referral whose
    receiving institution no valid consent grants `referrals` ends in `withdrawn-consent` — the
    shared decision (`shared.consent.granted_kinds`), as the API applies it to reads. Returns
    what changed; applying it again changes nothing."""
    left = []
    for member in team:
        if member.in_team and not shared_consent.granted_kinds(
            consents, member.institution_id, member.sector, now
        ):
            member.leave(now, LeftReason.CONSENT_ENDED)
            left.append(member)
    ended = []
    for referral in referrals:
        if RS.WITHDRAWN_CONSENT not in REFERRAL_TRANSITIONS[referral.state]:
            continue  # already final
        granted = shared_consent.granted_kinds(
            consents, referral.institution_id, referral.sector, now
        )
        if shared_consent.REFERRALS not in granted:
            referral.move(
                RS.WITHDRAWN_CONSENT, party=Party.CONSENT, by="system", role=Party.CONSENT.value,
                now=now, reason_code=reason,
            )  # fmt: skip
            ended.append(referral)
    return left, ended


# --- meetings ---------------------------------------------------------------------------------


class MeetingKind(StrEnum):
    MEETING = "meeting"
    CONSULTATION = "consultation"  # the short consultation before a team meeting


class MeetingStatus(StrEnum):
    SCHEDULED = "scheduled"
    HELD = "held"


@dataclass(eq=False)
class Meeting(Aggregate):
    """A team meeting or a pre-meeting consultation. `participants` is a list of {"kind":
    "family" | "member" | "case_manager", "member_id", "family_member_id"}; `decisions` a list of
    {"text", "family_consent": "given" | "refused", "noted_by"}."""

    id: uuid.UUID
    case_id: uuid.UUID
    tenant: str
    kind: MeetingKind
    starts_at: datetime
    participants: list[dict[str, Any]]
    agenda: list[str]
    scheduled_by: str
    place: str | None = None
    online_url: str | None = None
    status: MeetingStatus = MeetingStatus.SCHEDULED
    notes: str | None = None
    held_at: datetime | None = None
    decisions: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def schedule(cls, *, active_members: set[uuid.UUID], **values: Any) -> Meeting:
        meeting = cls(**values)
        errors: list[FieldError] = []
        if not meeting.place and not meeting.online_url:
            errors.append(
                FieldError(
                    "place", "Podaj miejsce spotkania albo link do wideokonferencji.", "missing"
                )
            )
        for i, p in enumerate(meeting.participants):
            member = p.get("member_id")
            if p.get("kind") == "member" and (
                member is None or uuid.UUID(str(member)) not in active_members
            ):
                errors.append(
                    FieldError(
                        f"participants.{i}.member_id",
                        "Uczestnikiem może być tylko aktywny członek zespołu.",
                        "not_a_member",
                    )
                )
        if errors:
            raise InvalidInput(*errors)
        meeting.record(ev.MeetingScheduled(meeting.id))
        return meeting

    def hold(
        self, *, held_at: datetime, notes: str | None, decisions: list[dict[str, Any]]
    ) -> None:
        if self.status != MeetingStatus.SCHEDULED:
            raise Conflict("To spotkanie zostało już odnotowane jako odbyte.")
        self.status = MeetingStatus.HELD
        self.held_at = held_at
        self.notes = notes
        self.decisions = decisions
        self.record(ev.MeetingHeld(self.id))

    @property
    def family_participates(self) -> bool:
        return any(p.get("kind") == "family" for p in self.participants)
