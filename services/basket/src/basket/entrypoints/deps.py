"""Dependencies of the basket API: the session, the unit of work, settings, who may write."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from basket.adapters.uow import SqlUnitOfWork
from basket.config import BasketSettings
from basket.service.publishing import translate
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


async def _read_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session for reads only (the runtime's read engine, ADR 0007): autocommit, no pre-ping."""
    sessions: async_sessionmaker[AsyncSession] = request.app.state.read_sessions
    async with sessions() as session:
        yield session


async def _read_connection(request: Request) -> AsyncIterator[AsyncConnection]:
    """A bare connection of the read engine, for the search (the hot path: no ORM session)."""
    engine: AsyncEngine = request.app.state.read_engine
    async with engine.connect() as conn:
        yield conn


def _uow(request: Request) -> SqlUnitOfWork:
    return SqlUnitOfWork(_runtime(request).sessions, translate)


def _settings(request: Request) -> BasketSettings:
    settings = _runtime(request).settings
    assert isinstance(settings, BasketSettings)
    return settings


Session = Annotated[AsyncSession, Depends(_session)]
ReadSession = Annotated[AsyncSession, Depends(_read_session)]
ReadConnection = Annotated[AsyncConnection, Depends(_read_connection)]
UoW = Annotated[SqlUnitOfWork, Depends(_uow)]
Settings = Annotated[BasketSettings, Depends(_settings)]
Reader = CurrentPrincipal
Editor = Annotated[
    Principal, require_role(Role.COORDINATOR, Role.PARTNER_EDITOR, Role.REGIONAL_ADMIN)
]


def resolve_tenant(principal: Principal, requested: str | None) -> str:
    """The municipality a write goes to: the one asked for, or the caller's only one."""
    if requested:
        return requested
    if len(principal.tenants) == 1:
        return next(iter(principal.tenants))
    raise InvalidInput.field("tenant", "Wskaż gminę (kod TERYT).", "missing")
