"""Dependencies of the evaluation API: the session (reads), the unit of work (the survey
commands), and whose figures a caller may see."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from evaluation.adapters.uow import SqlUnitOfWork
from shared.auth import Principal, Role
from shared.auth.deps import require_role
from shared.db.uow import no_events
from shared.errors import Forbidden, InvalidInput
from shared.runtime import Runtime

# Coordinators and directors see their municipality; analysts and regional staff every one.
READER_ROLES = (Role.COORDINATOR, Role.DIRECTOR, Role.ANALYST, Role.REGIONAL_ADMIN)


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    async with runtime_of(request).sessions() as session:
        yield session


def _uow(request: Request) -> SqlUnitOfWork:
    return SqlUnitOfWork(runtime_of(request).sessions, no_events)


Session = Annotated[AsyncSession, Depends(_session)]
UoW = Annotated[SqlUnitOfWork, Depends(_uow)]
Reader = Annotated[Principal, require_role(*READER_ROLES)]
SurveyAuthor = Annotated[Principal, require_role(Role.COORDINATOR, Role.REGIONAL_ADMIN)]
Admin = Annotated[Principal, require_role(Role.REGIONAL_ADMIN)]


def scope_for(principal: Principal, tenant: str | None) -> str | None:
    """The municipality whose figures to show, or None for the region (regional roles only)."""
    if tenant:
        if not principal.can_read_tenant(tenant):
            raise Forbidden("Nie masz dostępu do danych tej gminy.")
        return tenant
    if principal.is_regional:
        return None
    if len(principal.tenants) == 1:
        return next(iter(principal.tenants))
    raise InvalidInput.field("tenant", "Wskaż gminę (kod TERYT).", "missing")
