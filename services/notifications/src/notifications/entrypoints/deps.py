"""Dependencies of the notifications API: the session (reads), the unit of work (changes), the
service's workers, who is calling."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from notifications.adapters.uow import SqlUnitOfWork
from notifications.context import Context
from notifications.service import handlers
from notifications.service.ports import Profile
from shared.auth import Principal, Role
from shared.auth.deps import CurrentPrincipal
from shared.db.uow import no_events
from shared.errors import Forbidden
from shared.runtime import Runtime


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


def _uow(request: Request) -> SqlUnitOfWork:
    return SqlUnitOfWork(_runtime(request).sessions, no_events)


UoW = Annotated[SqlUnitOfWork, Depends(_uow)]


@dataclass(frozen=True)
class Me:
    principal: Principal
    email: str | None

    @property
    def user_id(self) -> str:
        return self.principal.subject


async def _me(request: Request, principal: CurrentPrincipal) -> Me:
    """The signed-in person, remembered with their roles, municipalities and e-mail, so that
    notices about their municipality or institution can reach them. The token was verified once,
    for the principal; the profile is written only when new or changed (ADR 0080), as one
    statement on the read engine (it is its own transaction)."""
    profile = Profile(
        user_id=principal.subject,
        username=principal.username,
        email=principal.email,
        roles=tuple(sorted(principal.roles)),
        tenants=tuple(sorted(principal.tenants)),
        institution_id=principal.institution_id,
    )
    runtime = _runtime(request)
    sessions = runtime.read_sessions or runtime.sessions
    await handlers.remember(profile, uow=SqlUnitOfWork(sessions, no_events))
    return Me(principal, principal.email)


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
