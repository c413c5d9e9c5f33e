"""What the service layer needs from storage (implemented in adapters): while taking in an event,
and — through a unit of work — for the API's commands."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, Self

from notifications.domain.entitlement import CaseFacts, Scope
from shared.contracts import CloudEvent, EventData

if TYPE_CHECKING:
    from notifications.service.webhooks import EndpointRepository


@dataclass(frozen=True)
class Person:
    """Someone to tell: a signed-in user (user_id), a contact person (e-mail), or both."""

    user_id: str | None
    email: str | None
    daily_digest: bool = False
    preferences: dict[tuple[str, str], bool] = field(default_factory=dict)
    # Who they are, for the consent decision on case notices (ADR 0036): their institution and
    # its sector (within the case's municipality), their roles; `manager`: the case's manager.
    institution_id: uuid.UUID | None = None
    sector: str | None = None
    roles: frozenset[str] = frozenset()
    tenants: frozenset[str] = frozenset()
    manager: bool = False

    def wants(self, kind: str, channel: str) -> bool:
        return self.preferences.get((kind, channel), True)


@dataclass(frozen=True)
class NoticeTarget:
    """What a case notice's link opens: the case (or one of its referrals) and the kind of data
    it stands for; the inbox shows the notice only while the person may still open it."""

    case_id: uuid.UUID
    data_kind: str | None = None
    referral_id: uuid.UUID | None = None


class Store(Protocol):
    async def record_event(
        self, event: CloudEvent, case_id: uuid.UUID | None, restricted_to: uuid.UUID | None
    ) -> int | None: ...

    async def update_read_models(self, event: CloudEvent, data: EventData) -> None: ...

    async def scopes(self, case_id: uuid.UUID) -> list[Scope]: ...

    async def add_consent(self, event: CloudEvent, data: EventData) -> None: ...

    async def withdraw(
        self,
        consent_id: uuid.UUID,
        institution_ids: list[uuid.UUID],
        sectors: list[str],
        at: datetime,
    ) -> None: ...

    async def candidates(
        self, case_id: uuid.UUID, tenant: str | None, extra: list[uuid.UUID]
    ) -> dict[uuid.UUID, str | None]: ...

    async def add_audience(
        self, seq: int, case_id: uuid.UUID, institutions: set[uuid.UUID]
    ) -> None: ...

    async def case_facts(self, case_id: uuid.UUID) -> CaseFacts:
        """The read model of the case: its consents, team, referrals, manager, closing."""

    async def create_deliveries(
        self,
        seq: int,
        event: CloudEvent,
        audience: set[uuid.UUID] | None,
        restricted_to: uuid.UUID | None,
    ) -> int: ...

    async def people(
        self, tenant: str | None, institutions: list[uuid.UUID], coordinators: bool
    ) -> list[Person]:
        """Staff (signed-in users) and contact persons of the institutions; the municipality's
        coordinators if `coordinators`."""

    async def case_staff(
        self,
        case_id: uuid.UUID,
        *,
        manager: bool,
        team: bool,
        institutions: set[uuid.UUID] | None,
        at: datetime,
    ) -> list[Person]:
        """The case's current manager (`manager`) and its team members at `at` (`team`), known
        by their subject; members only of `institutions`, or every member when it is None."""

    async def member_user_id(self, member_id: uuid.UUID) -> str | None:
        """The subject of the specialist a team member row stands for (None: unknown)."""

    async def add_notice(
        self,
        user_id: str,
        dedupe_key: str,
        kind: str,
        title: str,
        link: str | None,
        target: NoticeTarget | None = None,
    ) -> None: ...

    async def queue_email(
        self, dedupe_key: str, recipient: str, subject: str, body: str
    ) -> None: ...


@dataclass(frozen=True)
class Profile:
    """A signed-in person as their token describes them: what notices about their municipality or
    institution, and e-mails, need to reach them."""

    user_id: str
    username: str
    email: str | None
    roles: tuple[str, ...]
    tenants: tuple[str, ...]
    institution_id: uuid.UUID | None


class People(Protocol):
    async def remember(self, profile: Profile) -> bool: ...

    async def set_preferences(
        self, user_id: str, channels: list[tuple[str, str, bool]], daily_digest: bool | None
    ) -> None: ...

    async def mark_read(self, user_id: str, notice_id: int | None) -> int: ...


class Disclosures(Protocol):
    async def record_feed(
        self, institution_id: uuid.UUID, client_id: str | None, seqs: Sequence[int]
    ) -> int: ...


class UnitOfWork(Protocol):
    @property
    def endpoints(self) -> EndpointRepository: ...

    @property
    def people(self) -> People: ...

    @property
    def disclosures(self) -> Disclosures: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(self, *args: object) -> None: ...

    async def commit(self) -> None: ...
