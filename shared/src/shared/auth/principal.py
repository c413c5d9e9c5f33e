"""Who is calling: a person signed in through Keycloak, or a partner system (client credentials)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from shared.auth.roles import CLAIM_INSTITUTION, CLAIM_TENANTS, REGIONAL_ROLES, Role

_TERYT = re.compile(r"^\d{4}(\d{3})?$")


@dataclass(frozen=True)
class Principal:
    subject: str
    username: str
    roles: frozenset[Role]
    tenants: frozenset[str] = field(default_factory=frozenset)
    institution_id: uuid.UUID | None = None
    client_id: str | None = None
    service_account: bool = False
    display_name: str | None = None
    email: str | None = None  # the token's `email` claim, when it has one

    def has_role(self, *roles: Role) -> bool:
        return any(r in self.roles for r in roles)

    @property
    def is_regional(self) -> bool:
        return bool(self.roles & REGIONAL_ROLES)

    def can_read_tenant(self, tenant: str) -> bool:
        return self.is_regional or tenant in self.tenants

    def can_write_tenant(self, tenant: str) -> bool:
        """Regional staff read across tenants; writes stay with the municipality's own staff
        (the regional administrator excepted)."""
        return tenant in self.tenants or Role.REGIONAL_ADMIN in self.roles

    def readable_tenants(self) -> frozenset[str] | None:
        """The tenants whose data this principal may read; None means every tenant."""
        return None if self.is_regional else self.tenants

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any]) -> Principal:
        raw_roles: Iterable[Any] = (claims.get("realm_access") or {}).get("roles") or []
        known = {r.value for r in Role}
        roles = frozenset(Role(r) for r in raw_roles if r in known)
        raw_tenants = claims.get(CLAIM_TENANTS) or []
        if isinstance(raw_tenants, str):
            raw_tenants = [raw_tenants]
        tenants = frozenset(
            t.rsplit("/", 1)[-1] for t in raw_tenants if _TERYT.match(str(t).rsplit("/", 1)[-1])
        )
        institution: uuid.UUID | None = None
        raw_institution = claims.get(CLAIM_INSTITUTION)
        if raw_institution:
            try:
                institution = uuid.UUID(str(raw_institution))
            except ValueError:
                institution = None
        username = str(claims.get("preferred_username") or claims.get("sub") or "")
        return cls(
            subject=str(claims.get("sub") or username),
            username=username,
            roles=roles,
            tenants=tenants,
            institution_id=institution,
            client_id=claims.get("azp"),
            service_account=username.startswith("service-account-") or "client_id" in claims,
            display_name=claims.get("name"),
            email=str(claims["email"]) if claims.get("email") else None,
        )
