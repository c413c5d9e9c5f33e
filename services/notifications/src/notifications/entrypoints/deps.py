"""Dependencies of the notifications API: the session, the service's workers, who is calling."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from notifications.adapters.people import remember_user
from notifications.context import Context
from shared.auth import Principal, Role
from shared.auth.deps import CurrentPrincipal
from shared.errors import Forbidden
from shared.runtime import Runtime

_bearer = HTTPBearer(auto_error=False)


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    async with _runtime(request).sessions() as session:
        yield session


def _context(request: Request) -> Context:
    context: Context = request.app.state.notifications
    return context


Session = Annotated[AsyncSession, Depends(_session)]
Ctx = Annotated[Context, Depends(_context)]


@dataclass(frozen=True)
class Me:
    principal: Principal
    email: str | None

    @property
    def user_id(self) -> str:
        return self.principal.subject


async def _me(
    request: Request,
    principal: CurrentPrincipal,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Me:
    """The signed-in person, remembered with their roles, municipalities and e-mail, so that
    notices about their municipality or institution can reach them."""
    email: str | None = None
    if credentials is not None:
        claims = await request.app.state.token_verifier.verify(credentials.credentials)
        raw = claims.get("email")
        email = str(raw) if raw else None
    async with _runtime(request).sessions() as session, session.begin():
        await remember_user(
            session,
            user_id=principal.subject,
            username=principal.username,
            email=email,
            roles=sorted(principal.roles),
            tenants=sorted(principal.tenants),
            institution_id=principal.institution_id,
        )
    return Me(principal, email)


SignedIn = Annotated[Me, Depends(_me)]


def institution_scope(principal: Principal) -> uuid.UUID | None:
    """Whose endpoints and deliveries the caller sees: its institution's, or all (administrator)."""
    if Role.REGIONAL_ADMIN in principal.roles:
        return None
    if principal.institution_id is None or not principal.has_role(
        Role.PARTNER_STAFF, Role.PARTNER_EDITOR
    ):
        raise Forbidden("Webhooki są dostępne dla systemów i pracowników instytucji partnerskich.")
    return principal.institution_id
