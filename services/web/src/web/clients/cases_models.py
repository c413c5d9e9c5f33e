"""The answers of the cases service the web reads, as typed models (issue 14 §1, ADR 0082).

Each model names the schema of the service's OpenAPI document it reads (`SCHEMA`), and holds only
the fields the web uses; `test_client_contracts.py` checks every field against that schema (name,
JSON type, required) so a change of the service that the web would not follow fails the build.
The models carry what a page must offer — the moves a caller may make on a referral, the consent
coverage of a case — as the service computes it: the web applies no rule of its own.

Templates read them as they read dicts (Jinja falls back from `r["x"]` to `r.x`).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field


class ServiceModel(BaseModel):
    """An answer of a service, read-only; fields the web does not use are ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)
    SCHEMA: ClassVar[str]

    def get(self, name: str, default: object = None) -> object:
        """As on the dicts these replace (`r.get("x")` in routes and templates)."""
        value = getattr(self, name, default)
        return default if value is None else value

    def __getitem__(self, name: str) -> object:
        return getattr(self, name)


class ReferralMove(ServiceModel):
    SCHEMA = "ReferralMoveOut"
    to: str
    needs: Literal["reason", "outcome"] | None


class Transition(ServiceModel):
    SCHEMA = "TransitionOut"
    from_state: str | None = Field(alias="from")
    to: str
    at: datetime
    by: str
    party: str
    reason_code: str | None = None
    outcome_code: str | None = None

    def __getitem__(self, name: str) -> object:
        return self.from_state if name == "from" else getattr(self, name)


class Referral(ServiceModel):
    SCHEMA = "ReferralOut"
    id: uuid.UUID
    case_id: uuid.UUID
    service_title: str | None
    state: str
    note: str | None
    capacity_status: str | None
    waiting_days: int | None
    created_at: datetime
    requested_at: datetime | None
    updated_at: datetime | None
    reason_code: str | None
    reason: str | None
    outcome_code: str | None
    outcome: str | None
    history: list[Transition]
    moves: list[ReferralMove]  # the moves the caller may make now


class CoveredInstitution(ServiceModel):
    SCHEMA = "CoveredInstitutionOut"
    id: uuid.UUID
    name: str
    sector: str
    data_kinds: list[str]


class ConsentCoverage(ServiceModel):
    SCHEMA = "ConsentCoverageOut"
    has_valid_consent: bool
    institutions: list[CoveredInstitution]


# What the web reads where: (method, path of the service's OpenAPI document) -> the model of the
# answer (a list of it when the service answers with an array). Checked by the contract test.
ANSWERS: dict[tuple[str, str], tuple[type[ServiceModel], bool]] = {
    ("GET", "/v1/cases/{case_id}/referrals"): (Referral, True),
    ("GET", "/v1/referrals/incoming"): (Referral, True),
    ("GET", "/v1/cases/{case_id}/consents/coverage"): (ConsentCoverage, False),
}
