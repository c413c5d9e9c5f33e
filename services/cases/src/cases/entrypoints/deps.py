"""Dependencies of the cases API: the unit of work, the caller as an Actor, the purpose of access.

The purpose of every read or change of case data is recorded in the access log. Callers give it
in the `X-Purpose` header or the `purpose` query parameter; each endpoint has a default.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Header, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession

from cases.adapters.crypto import PeselVault
from cases.adapters.reads import CaseReadUnitOfWork
from cases.adapters.uow import SqlUnitOfWork
from cases.domain.policy import Actor
from cases.service.commands import DEFAULT_PURPOSE, EXPORT_PURPOSE
from cases.service.handlers import actor_of
from cases.service.publishing import translate
from shared.auth.deps import CurrentPrincipal
from shared.runtime import Runtime


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    async with _runtime(request).sessions() as session:
        yield session


def _uow(request: Request) -> SqlUnitOfWork:
    """Reads (GET) run on the autocommit engine: they change nothing but the access log, one
    INSERT that stands alone, so no BEGIN/COMMIT round trips are needed around them (ADR 0007).
    The entry is written before the answer leaves, as inside a transaction."""
    runtime = _runtime(request)
    if request.method in ("GET", "HEAD") and runtime.read_sessions is not None:
        return SqlUnitOfWork(runtime.read_sessions, translate)
    return SqlUnitOfWork(runtime.sessions, translate)


def _case_read_uow(request: Request) -> CaseReadUnitOfWork:
    """The case view's lean unit of work on the autocommit engine (ADR 0028)."""
    runtime = _runtime(request)
    vault: PeselVault = request.app.state.pesel_vault
    return CaseReadUnitOfWork(runtime.read_engine or runtime.engine, vault)


def _vault(request: Request) -> PeselVault:
    vault: PeselVault = request.app.state.pesel_vault
    return vault


def _actor(principal: CurrentPrincipal) -> Actor:
    return actor_of(principal)


def _purpose(
    purpose: Annotated[
        str | None,
        Query(min_length=3, max_length=200, description="Cel dostępu (zapisywany w rejestrze)"),
    ] = None,
    x_purpose: Annotated[str | None, Header(min_length=3, max_length=200)] = None,
) -> str:
    return purpose or x_purpose or DEFAULT_PURPOSE


def _export_purpose(
    purpose: Annotated[
        str | None,
        Query(min_length=3, max_length=200, description="Cel dostępu (zapisywany w rejestrze)"),
    ] = None,
    x_purpose: Annotated[str | None, Header(min_length=3, max_length=200)] = None,
) -> str:
    """The purpose of the family's export (ADR 0016): the family's copy, unless told otherwise."""
    return purpose or x_purpose or EXPORT_PURPOSE


Session = Annotated[AsyncSession, Depends(_session)]
UoW = Annotated[SqlUnitOfWork, Depends(_uow)]
CaseReadUoW = Annotated[CaseReadUnitOfWork, Depends(_case_read_uow)]
Vault = Annotated[PeselVault, Depends(_vault)]
CurrentActor = Annotated[Actor, Depends(_actor)]
Purpose = Annotated[str, Depends(_purpose)]
ExportPurpose = Annotated[str, Depends(_export_purpose)]
