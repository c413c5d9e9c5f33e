"""The async engine (asyncpg) with tracing, and the session factory."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from shared.db.reconnect import drop_closed_at_checkout, retry_first_statement_on_disconnect
from shared.observability.tracing import instrument_engine


def create_engine(
    url: str,
    *,
    pool_size: int = 10,
    echo: bool = False,
    pre_ping: bool = True,
    autocommit: bool = False,
) -> AsyncEngine:
    """An engine for `postgresql+asyncpg://` URLs; a plain `postgresql://` URL is converted.

    `pre_ping=False, autocommit=True` suits a hot read path: no ping and no BEGIN/ROLLBACK round
    trips around each query. A connection the server closed while it lay in the pool is replaced
    at checkout, and the first statement after a checkout that meets one dead unnoticed runs
    once more on a fresh one (ADR 0014).
    """
    options: dict[str, object] = {"isolation_level": "AUTOCOMMIT"} if autocommit else {}
    engine = create_async_engine(
        asyncpg_url(url),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_recycle=1800,
        echo=echo,
        **options,
    )
    drop_closed_at_checkout(engine)  # before the idle ping: a known-dead one needs no ping
    if pre_ping:
        ping_when_idle(engine)
    retry_first_statement_on_disconnect(engine)
    instrument_engine(engine)
    return engine


# A connection given back less than this long ago is handed out without a ping (ADR 0007).
PING_AFTER_IDLE_SECONDS = 1.0


def ping_when_idle(engine: AsyncEngine, idle_seconds: float = PING_AFTER_IDLE_SECONDS) -> None:
    """Ping a pooled connection at checkout only when it has been idle for `idle_seconds`.

    SQLAlchemy's `pool_pre_ping` pings at every checkout; for asyncpg that is three round trips
    (BEGIN, an empty statement, ROLLBACK) before every unit of work, as many as a small change's
    own. A connection that finished a statement less than a second ago can only be broken if the
    server went away within that second, and then a new connection fails too: the ping is kept
    where it catches something — connections idle long enough to have been cut by a restart, a
    failover or a network timeout. A broken one is replaced by a fresh one (DisconnectionError
    makes the pool retry the checkout), as with `pool_pre_ping`.
    """
    pool = engine.sync_engine.pool

    @event.listens_for(pool, "checkin")
    def _checked_in(dbapi_connection: Any, record: Any) -> None:
        record.info["checked_in_at"] = time.monotonic()

    @event.listens_for(pool, "checkout")
    def _checkout(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        checked_in_at = record.info.get("checked_in_at")
        if checked_in_at is None or time.monotonic() - checked_in_at < idle_seconds:
            return  # just opened, or in use a moment ago
        try:
            dbapi_connection.ping()
        except Exception as exc:
            raise DisconnectionError("pooled connection is broken") from exc


def create_read_engine(url: str, *, pool_size: int) -> AsyncEngine:
    """The engine of reads that need no transaction (ADR 0007): autocommit, no pre-ping."""
    return create_engine(url, pool_size=pool_size, pre_ping=False, autocommit=True)


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def asyncpg_url(url: str) -> str:
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    raise ValueError(f"not a PostgreSQL URL: {url.split('@')[-1]}")


def plain_url(url: str) -> str:
    """The libpq form of a URL (for asyncpg.connect and LISTEN connections)."""
    return "postgresql://" + asyncpg_url(url)[len("postgresql+asyncpg://") :]
