"""The async engine (asyncpg) with tracing, and the session factory."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

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
    trips around each query (a connection broken by a database restart then fails one read and is
    dropped from the pool).
    """
    options: dict[str, object] = {"isolation_level": "AUTOCOMMIT"} if autocommit else {}
    engine = create_async_engine(
        asyncpg_url(url),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=pre_ping,
        pool_recycle=1800,
        echo=echo,
        **options,
    )
    instrument_engine(engine)
    return engine


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
