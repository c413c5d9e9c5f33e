"""Dependencies of the partners API: the session, the unit of work, who may write."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from partners.adapters.uow import SqlUnitOfWork
from partners.service.publishing import translate
from shared.auth import Principal, Role
from shared.auth.deps import CurrentPrincipal, require_role
from shared.errors import InvalidInput
from shared.runtime import Runtime


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    async with _runtime(request).sessions() as session:
        yield session


def _uow(request: Request) -> SqlUnitOfWork:
    return SqlUnitOfWork(_runtime(request).sessions, translate)


Session = Annotated[AsyncSession, Depends(_session)]
UoW = Annotated[SqlUnitOfWork, Depends(_uow)]
Reader = CurrentPrincipal
Writer = Annotated[Principal, require_role(Role.COORDINATOR, Role.REGIONAL_ADMIN)]


def resolve_tenant(principal: Principal, requested: str | None) -> str:
    """The municipality a write goes to: the one asked for, or the caller's only one."""
    if requested:
        return requested
    if len(principal.tenants) == 1:
        return next(iter(principal.tenants))
    raise InvalidInput.field("tenant", "Wskaż gminę (kod TERYT).", "missing")


def default_tenant(principal: Principal, requested: str | None) -> str | None:
    if requested:
        return requested
    return next(iter(principal.tenants)) if len(principal.tenants) == 1 else None
