"""The cases API's request and response models (OpenAPI), with Polish validation messages.

Validators never echo the value they reject (a PESEL must not come back in a problem detail).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, HttpUrl

from cases.domain import model, pesel
from shared import clock
from shared.contracts.partners import Sector

ShortText = Annotated[str, Field(min_length=1, max_length=300)]
LongText = Annotated[str, Field(min_length=1, max_length=20000)]


def _pesel(value: str) -> str:
    try:
        return pesel.validate(value)
    except pesel.InvalidPesel as exc:
        raise ValueError(str(exc)) from None


def _year(value: int) -> int:
    if not 1900 <= value <= clock.today().year:
        raise ValueError("Rok urodzenia spoza zakresu.")
    return value


Pesel = Annotated[str, AfterValidator(_pesel)]
YearOfBirth = Annotated[int, AfterValidator(_year)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Created(BaseModel):
    id: uuid.UUID


# --- cases and the family ---------------------------------------------------------------------


class FamilyMemberIn(Strict):
    first_name: ShortText
    last_name: ShortText
    year_of_birth: YearOfBirth | None = None
    relation: ShortText | None = Field(default=None, description="np. matka, syn, osoba samotna")
    phone: Annotated[str, Field(min_length=3, max_length=40)] | None = None
    email: (
        Annotated[str, Field(min_length=3, max_length=200, pattern=r"^[^@\s]+@[^@\s]+$")] | None
    ) = None
    address: ShortText | None = None
    pesel: Pesel | None = Field(
        default=None,
        description="PESEL (opcjonalnie): sprawdzana cyfra kontrolna i data; przechowywany "
        "zaszyfrowany, wyszukiwany po skrócie z kluczem",
    )


class FamilyMemberPatch(Strict):
    """Only the fields sent change; null clears an optional one (names cannot be cleared)."""

    first_name: ShortText | None = None
    last_name: ShortText | None = None
    year_of_birth: YearOfBirth | None = None
    relation: ShortText | None = None
    phone: Annotated[str, Field(min_length=3, max_length=40)] | None = None
    email: (
        Annotated[str, Field(min_length=3, max_length=200, pattern=r"^[^@\s]+@[^@\s]+$")] | None
    ) = None
    address: ShortText | None = None
    pesel: Pesel | None = Field(
        default=None, description="Nowy PESEL (sprawdzany, szyfrowany) albo null, by go usunąć"
    )

    def changes(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.model_fields_set}


class CaseCreate(Strict):
    tenant: Annotated[str, Field(pattern=r"^\d{4}(\d{3})?$")] | None = Field(
        default=None, description="Gmina (TERYT); domyślnie gmina zalogowanego"
    )
    family: list[FamilyMemberIn] = Field(min_length=1, max_length=20)


class CaseStatePatch(Strict):
    state: model.CaseState


class CaseClose(Strict):
    reason: model.CloseReason
    note: LongText | None = None


class CaseReassign(Strict):
    manager_subject: Annotated[str, Field(min_length=1, max_length=200)] = Field(
        description="Identyfikator (Keycloak `sub`) pracownika socjalnego, który przejmuje sprawę"
    )
    manager_username: ShortText = Field(description="Jego nazwa użytkownika")
    reason_code: model.ReassignReason = Field(description="Powód przekazania")
    reason: LongText | None = Field(default=None, description="Opis (zostaje w usłudze)")


class CaseReassigned(BaseModel):
    case_id: uuid.UUID
    manager_username: str


class ReassignmentOut(BaseModel):
    id: uuid.UUID
    at: datetime
    from_username: str
    to_username: str
    reason_code: model.ReassignReason
    reason_name: str
    reason: str | None
    by_username: str
    by_relation: str


class FamilyMemberOut(BaseModel):
    id: uuid.UUID
    first_name: str
    last_name: str
    year_of_birth: int | None
    relation: str | None
    phone: str | None
    email: str | None
    address: str | None
    has_pesel: bool
    pesel: str | None = Field(default=None, description="Only for the case manager")


class RedactionOut(BaseModel):
    """A place of the case's free text that may still hold a removed person's data (ADR 0017)."""

    id: uuid.UUID
    place: str = Field(description="table.column of the free text")
    place_name: str
    row_id: uuid.UUID
    reason: str = Field(description="shared | common_word | inflected")
    reason_name: str
    fragments: list[str] = Field(description="Words that may be the removed person")
    excerpts: list[str] = Field(description="The texts of the place that hold one of them")
    found_at: datetime


class RedactionResolved(BaseModel):
    replaced: int = Field(description="Occurrences replaced by the marker")


class TeamMemberOut(BaseModel):
    id: uuid.UUID | None
    institution_id: uuid.UUID | None
    institution_name: str | None = None
    sector: str | None
    state: str
    function: str | None
    username: str | None
    invited_at: datetime | None
    joined_at: datetime | None
    left_at: datetime | None
    left_reason: model.LeftReason | None = Field(
        default=None,
        description="consent_ended: no valid consent covers the institution any more (it may be "
        "invited again: POST …/team/{member_id}/reinvite); case_closed",
    )


class ActionOut(BaseModel):
    id: str
    title: str
    responsible: dict[str, Any]
    due_on: date | None
    status: str


class GoalOut(BaseModel):
    id: str
    title: str
    actions: list[ActionOut]


class PlanOut(BaseModel):
    version: int
    created_by: str
    created_at: datetime
    goals: list[GoalOut]


class TransitionOut(BaseModel):
    from_state: str | None = Field(alias="from")
    to: str
    at: datetime
    by: str
    party: str
    reason_code: str | None = None
    reason: str | None = None
    outcome_code: str | None = None

    model_config = ConfigDict(populate_by_name=True)


class ReferralMoveOut(BaseModel):
    to: model.ReferralState
    needs: Literal["reason", "outcome"] | None = Field(
        description="Czego wymaga ta zmiana: kodu powodu (reason_code), rezultatu (outcome_code)"
        " albo niczego"
    )


class ReferralOut(BaseModel):
    id: uuid.UUID
    case_id: uuid.UUID
    service_id: uuid.UUID
    service_title: str | None
    institution_id: uuid.UUID
    sector: str | None
    state: model.ReferralState
    state_name: str
    note: str | None
    capacity_status: str | None = Field(description="Dostępność usługi w chwili wysłania")
    waiting_days: int | None
    created_at: datetime
    requested_at: datetime | None
    updated_at: datetime | None
    reason_code: str | None
    reason: str | None
    outcome_code: str | None
    outcome: str | None
    history: list[TransitionOut]
    moves: list[ReferralMoveOut] = Field(
        description="Zmiany stanu, których wywołujący może teraz dokonać (stan docelowy i czego"
        " wymaga); reguły zostają w usłudze",
    )


class CaseOut(BaseModel):
    id: uuid.UUID
    tenant: str
    state: model.CaseState
    state_name: str
    opened_at: datetime
    closed_at: datetime | None
    close_reason: str | None
    manager_username: str
    relation: str = Field(description="case_manager | team_member | receiving_partner")
    data_kinds: list[model.DataKind] = Field(description="Rodzaje danych dostępne dla Ciebie")
    family: list[FamilyMemberOut] | None = None
    team: list[TeamMemberOut]
    plan: PlanOut | None = None
    referrals: list[ReferralOut] | None = None


class CaseSummary(BaseModel):
    id: uuid.UUID
    tenant: str
    state: model.CaseState
    opened_at: datetime
    relation: str


# --- consent ----------------------------------------------------------------------------------


class ConsentScope(Strict):
    institution_ids: list[uuid.UUID] = Field(default_factory=list, max_length=100)
    sectors: list[Sector] = Field(default_factory=list)
    data_kinds: list[model.DataKind] = Field(default_factory=list)


class ConsentCreate(Strict):
    given_by_member_id: uuid.UUID = Field(description="Kto z rodziny wyraził zgodę")
    method: model.ConsentMethod
    given_at: AwareDatetime | None = Field(default=None, description="Domyślnie teraz")
    valid_until: AwareDatetime | None = None
    scope: ConsentScope


class ConsentWithdraw(Strict):
    note: LongText | None = None


class ConsentOut(BaseModel):
    id: uuid.UUID
    given_by_member_id: uuid.UUID
    given_at: datetime
    method: model.ConsentMethod
    institution_ids: list[uuid.UUID]
    sectors: list[str]
    data_kinds: list[model.DataKind]
    valid_until: datetime | None
    withdrawn_at: datetime | None
    recorded_by: str
    status: Literal["valid", "expired", "withdrawn", "not_yet_valid"]


class CoveredInstitutionOut(BaseModel):
    id: uuid.UUID
    name: str
    sector: str
    data_kinds: list[model.DataKind] = Field(description="Co ważne zgody udostępniają instytucji")


class ConsentCoverageOut(BaseModel):
    """What the family's consents cover now: the page offers these, the service still decides."""

    has_valid_consent: bool
    institutions: list[CoveredInstitutionOut] = Field(
        description="Instytucje rejestru objęte ważną zgodą (wprost lub przez sektor): te można"
        " zaprosić do zespołu"
    )


# --- team -------------------------------------------------------------------------------------


class TeamInvite(Strict):
    institution_id: uuid.UUID
    function: ShortText | None = Field(default=None, description="np. pedagog szkolny")
    username: ShortText | None = Field(default=None, description="Konkretna osoba (opcjonalnie)")


class InvitationOut(BaseModel):
    id: uuid.UUID
    case_id: uuid.UUID
    tenant: str
    function: str | None
    invited_at: datetime
    invited_by: str


# --- diagnosis --------------------------------------------------------------------------------


class DiagnosisEntryIn(Strict):
    area: model.DiagnosisArea
    perspective: model.Perspective
    text: LongText


class DiagnosisEntryOut(BaseModel):
    id: uuid.UUID
    text: str
    author_username: str
    author_institution_id: uuid.UUID | None
    recorded_at: datetime


class DiagnosisAreaOut(BaseModel):
    area: model.DiagnosisArea
    area_name: str
    family_view: list[DiagnosisEntryOut]
    specialist_views: list[DiagnosisEntryOut]


# --- plan -------------------------------------------------------------------------------------


class Responsible(Strict):
    kind: Literal["family", "member", "case_manager"]
    member_id: uuid.UUID | None = None


class ActionIn(Strict):
    id: str | None = None
    title: ShortText
    responsible: Responsible
    due_on: date | None = None
    status: model.ActionStatus = model.ActionStatus.PLANNED


class GoalIn(Strict):
    id: str | None = None
    title: ShortText
    actions: list[ActionIn] = Field(default_factory=list, max_length=100)


class PlanIn(Strict):
    goals: list[GoalIn] = Field(min_length=1, max_length=50)

    def as_goals(self) -> list[dict[str, Any]]:
        return [
            {
                "id": g.id or uuid.uuid4().hex[:12],
                "title": g.title,
                "actions": [
                    {
                        "id": a.id or uuid.uuid4().hex[:12],
                        "title": a.title,
                        "responsible": a.responsible.model_dump(mode="json"),
                        "due_on": a.due_on.isoformat() if a.due_on else None,
                        "status": a.status.value,
                    }
                    for a in g.actions
                ],
            }
            for g in self.goals
        ]


# --- monitoring reviews -----------------------------------------------------------------------


class GoalReviewIn(Strict):
    goal_id: ShortText = Field(description="Identyfikator celu z aktualnej wersji planu")
    status: model.GoalProgress
    note: LongText | None = None


class ReviewIn(Strict):
    reviewed_on: date = Field(description="Dzień przeglądu (nie z przyszłości)")
    goals: list[GoalReviewIn] = Field(min_length=1, max_length=50)
    family_assessment: LongText | None = Field(
        default=None, description="Ocena rodziny, jej własnymi słowami"
    )
    notes: LongText | None = None
    next_review_on: date | None = Field(default=None, description="Termin następnego przeglądu")


class GoalReviewOut(BaseModel):
    goal_id: str
    title: str | None = Field(description="Tytuł celu w ocenianej wersji planu")
    status: model.GoalProgress
    status_name: str
    note: str | None = None


class ReviewOut(BaseModel):
    id: uuid.UUID
    plan_version: int
    reviewed_on: date
    goals: list[GoalReviewOut]
    family_assessment: str | None
    notes: str | None
    next_review_on: date | None
    recorded_by: str
    recorded_at: datetime


# --- referrals --------------------------------------------------------------------------------


class ReferralCreate(Strict):
    service_id: uuid.UUID
    note: LongText | None = Field(default=None, description="Dla instytucji przyjmującej")
    draft: bool = Field(default=False, description="Zapisz jako projekt, bez wysyłania")


class ReferralMove(Strict):
    state: model.ReferralState
    reason_code: model.ReasonCode | None = Field(
        default=None, description="Wymagany przy: rejected, cancelled, on-hold, failed"
    )
    reason: LongText | None = None
    outcome_code: model.OutcomeCode | None = Field(default=None, description="Wymagany: completed")
    outcome: LongText | None = None


class OfferingOut(BaseModel):
    service_id: uuid.UUID
    institution_id: uuid.UUID
    provider_sector: str
    title: str
    area: str
    category: str
    status: str
    tenants_served: list[str]
    capacity_status: str
    capacity_name: str
    waiting_days: int | None
    cost: str
    referral_required: bool


# --- meetings ---------------------------------------------------------------------------------


class ParticipantIn(Strict):
    kind: Literal["family", "member", "case_manager"]
    member_id: uuid.UUID | None = None
    family_member_id: uuid.UUID | None = None


class MeetingCreate(Strict):
    kind: model.MeetingKind = model.MeetingKind.MEETING
    starts_at: AwareDatetime
    place: ShortText | None = None
    online_url: HttpUrl | None = None
    participants: list[ParticipantIn] = Field(min_length=1, max_length=50)
    agenda: list[ShortText] = Field(default_factory=list, max_length=50)


class DecisionIn(Strict):
    text: LongText
    family_consent: Literal["given", "refused"] = Field(
        description="Czy rodzina zgodziła się na tę decyzję"
    )


class MeetingHeldIn(Strict):
    held_at: AwareDatetime
    notes: LongText | None = None
    decisions: list[DecisionIn] = Field(default_factory=list, max_length=50)


class MeetingOut(BaseModel):
    id: uuid.UUID
    kind: model.MeetingKind
    status: model.MeetingStatus
    starts_at: datetime
    place: str | None
    online_url: str | None
    participants: list[dict[str, Any]]
    agenda: list[str]
    notes: str | None
    held_at: datetime | None
    decisions: list[dict[str, Any]]


# --- access log -------------------------------------------------------------------------------


class AccessLogEntryOut(BaseModel):
    at: datetime
    actor_username: str
    actor_name: str | None
    actor_roles: str
    relation: str
    institution_id: uuid.UUID | None
    institution_name: str | None
    action: str = Field(description="read | change | disclose (to a partner system)")
    outcome: str = Field(description="allowed | refused")
    what: str
    purpose: str
    chain_pos: int = Field(description="Position in the case's hash chain (ADR 0029)")


class AccessReportLineOut(BaseModel):
    """One sitting of one person (or partner system): entries less than 30 minutes apart."""

    first_at: datetime
    last_at: datetime
    who: str = Field(description="The person's name; for a disclosure, the receiving system")
    relation: str
    institution_id: uuid.UUID | None
    institution_name: str | None
    action: str = Field(description="read | change | disclose")
    outcome: str = Field(description="allowed | refused")
    what: list[str] = Field(description="What was read, changed or disclosed, in order")
    purposes: list[str]
    entries: int
