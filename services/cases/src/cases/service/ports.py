"""What the handlers need from the outside world (implemented in adapters, faked in unit tests)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, Self, TypeVar

from cases.domain import model, redaction

T = TypeVar("T")


class Repository(Protocol[T]):
    async def get(self, id: uuid.UUID) -> T | None: ...

    async def add(self, item: T) -> None: ...


class OfCase(Repository[T], Protocol):
    async def of_case(self, case_id: uuid.UUID) -> Sequence[T]: ...


class CaseRepository(Repository[model.Case], Protocol):
    async def snapshot(
        self, case_id: uuid.UUID
    ) -> tuple[model.Case, list[model.Consent], list[model.TeamMember]] | None: ...

    async def lock(self, case_id: uuid.UUID) -> None: ...


class ConsentRepository(OfCase[model.Consent], Protocol):
    async def cases_with_expiry_pending(self, now: datetime, limit: int) -> list[uuid.UUID]: ...


class TeamRepository(OfCase[model.TeamMember], Protocol):
    pass


class PlanRepository(Protocol):
    async def latest(self, case_id: uuid.UUID) -> model.PlanVersion | None: ...

    async def of_case(self, case_id: uuid.UUID) -> Sequence[model.PlanVersion]: ...

    async def add(self, item: model.PlanVersion) -> None: ...


class ReferralRepository(OfCase[model.Referral], Protocol):
    async def receiving_institutions(self, case_id: uuid.UUID) -> set[uuid.UUID]: ...

    async def cases_sent_to(self, institution_id: uuid.UUID) -> list[uuid.UUID]: ...


class FamilyRepository(OfCase[model.FamilyMember], Protocol):
    async def delete(self, item: model.FamilyMember) -> None: ...

    async def cases_with_pesel(
        self, tenants: frozenset[str], hashes: list[tuple[str, str]]
    ) -> list[uuid.UUID]: ...


@dataclass(frozen=True)
class ScrubOutcome:
    replaced: int  # occurrences of the person's data replaced by the marker
    flagged: int  # places left for the case manager to redact


@dataclass(frozen=True)
class PendingRedaction:
    id: uuid.UUID
    place: str  # table.column
    row_id: uuid.UUID
    reason: str  # shared | common_word | inflected
    fragments: list[str]  # the words that may be the removed person
    excerpts: list[str]  # the texts of the place that hold one
    found_at: datetime


class Redactions(Protocol):
    """A removed person's data taken out of the case's free text (ADR 0017)."""

    async def scrub(
        self,
        case: model.Case,
        person: redaction.Person,
        others: Sequence[redaction.Person],
        skip: uuid.UUID | None,
        at: datetime,
    ) -> ScrubOutcome: ...

    async def pending(self, case_id: uuid.UUID) -> list[PendingRedaction]: ...

    async def resolve(
        self, case_id: uuid.UUID, redaction_id: uuid.UUID, *, apply: bool, by: str, at: datetime
    ) -> int | None: ...


@dataclass(frozen=True)
class Institution:
    id: uuid.UUID
    name: str
    sector: str
    tenants_served: list[str]


@dataclass(frozen=True)
class Offering:
    service_id: uuid.UUID
    institution_id: uuid.UUID
    provider_sector: str
    title: str
    status: str
    tenants_served: list[str]
    capacity_status: str
    waiting_days: int | None


class Directory(Protocol):
    """The read models of other services' facts: institutions (partners) and offerings (basket)."""

    async def institution(self, id: uuid.UUID) -> Institution | None: ...

    async def sectors(self, ids: Sequence[uuid.UUID]) -> Mapping[uuid.UUID, str | None]: ...

    async def offering(self, service_id: uuid.UUID) -> Offering | None: ...


@dataclass(frozen=True)
class AccessEntry:
    case_id: uuid.UUID
    tenant: str
    at: datetime
    actor_subject: str
    actor_username: str
    actor_roles: str
    relation: str
    institution_id: uuid.UUID | None
    action: str  # read | change | disclose
    what: str
    purpose: str
    actor_name: str | None = None  # the person's name, for the family's report
    outcome: str = "allowed"  # allowed | refused (ADR 0029)


class AccessLog(Protocol):
    async def record(self, entry: AccessEntry) -> None: ...


@dataclass(frozen=True)
class SealedPesel:
    """A PESEL as it is stored: ciphertext and lookup hash, each with the id of its key."""

    ciphertext: bytes
    key_id: str
    lookup_hash: str
    hash_key_id: str


class Vault(Protocol):
    def seal(self, pesel: str) -> SealedPesel: ...

    def decrypt(self, blob: bytes, key_id: str | None = None) -> str | None: ...

    def lookup_hashes(self, pesel: str) -> list[tuple[str, str]]: ...


class CaseSnapshots(Protocol):
    async def snapshot(
        self, case_id: uuid.UUID
    ) -> tuple[model.Case, list[model.Consent], list[model.TeamMember]] | None: ...


class ReceivingInstitutions(Protocol):
    async def receiving_institutions(self, case_id: uuid.UUID) -> set[uuid.UUID]: ...


class Sectors(Protocol):
    async def sectors(self, ids: Sequence[uuid.UUID]) -> Mapping[uuid.UUID, str | None]: ...


class ReadUnitOfWork(Protocol):
    """What a read of case data needs: the consent policy's inputs and the access log. The full
    unit of work is one; the case view's lean one (adapters.reads) has only these."""

    @property
    def cases(self) -> CaseSnapshots: ...

    @property
    def referrals(self) -> ReceivingInstitutions: ...

    @property
    def directory(self) -> Sectors: ...

    @property
    def access_log(self) -> AccessLog: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(self, *args: object) -> None: ...

    async def commit(self) -> None: ...


class UnitOfWork(Protocol):
    @property
    def cases(self) -> CaseRepository: ...

    @property
    def family(self) -> FamilyRepository: ...

    @property
    def consents(self) -> ConsentRepository: ...

    @property
    def team(self) -> TeamRepository: ...

    @property
    def diagnosis(self) -> OfCase[model.DiagnosisEntry]: ...

    @property
    def plans(self) -> PlanRepository: ...

    @property
    def reviews(self) -> OfCase[model.MonitoringReview]: ...

    @property
    def referrals(self) -> ReferralRepository: ...

    @property
    def meetings(self) -> OfCase[model.Meeting]: ...

    @property
    def reassignments(self) -> OfCase[model.CaseReassignment]: ...

    @property
    def directory(self) -> Directory: ...

    @property
    def redactions(self) -> Redactions: ...

    @property
    def access_log(self) -> AccessLog: ...

    @property
    def session(self) -> Any:
        """Handed to read views by the entrypoints."""

    async def __aenter__(self) -> Self: ...

    async def __aexit__(self, *args: object) -> None: ...

    async def commit(self) -> None: ...
