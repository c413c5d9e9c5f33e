"""A dependency that is down is answered 503 with `Retry-After`, not 500 (ADR 0014).

Only errors that say "the database (or the network to it) is not there right now" count: the
connection was refused, reset or closed, the pool gave none in time, PostgreSQL is starting up or
shutting down, or it has no connection slot left. Every other database error (an integrity
violation, a syntax error, a serialisation failure) stays what it was: a bug or a 4xx.
"""

from __future__ import annotations

import errno
import logging
from collections.abc import Iterator

import asyncpg
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa_exc

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
TITLE = "Usługa chwilowo niedostępna"
DETAIL = "Baza danych jest chwilowo niedostępna. Spróbuj ponownie za chwilę."
SLUG = "unavailable"

# asyncpg errors that mean the server is not (or no longer) serving this connection.
_ASYNCPG_OUTAGES: tuple[type[BaseException], ...] = (
    asyncpg.PostgresConnectionError,  # class 08: connection does not exist / failure / rejected
    asyncpg.CannotConnectNowError,  # 57P03: the server is starting up or shutting down
    asyncpg.AdminShutdownError,  # 57P01: terminated by a fast shutdown or pg_terminate_backend
    asyncpg.CrashShutdownError,  # 57P02
    asyncpg.TooManyConnectionsError,  # 53300: no connection slot left, for now
)
_NETWORK_ERRNOS = {
    errno.ECONNREFUSED,
    errno.ECONNRESET,
    errno.ECONNABORTED,
    errno.EPIPE,
    errno.EHOSTUNREACH,
    errno.ENETUNREACH,
    errno.ETIMEDOUT,
}
# The classes whose handler decides; a handler re-raises what is not an outage, so it reaches
# the 500 handler exactly as before.
HANDLED: tuple[type[Exception], ...] = (
    sa_exc.DBAPIError,
    sa_exc.TimeoutError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    OSError,
)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo += [current.__cause__, current.__context__]
        orig = getattr(current, "orig", None)  # SQLAlchemy's wrapped DBAPI error
        if isinstance(orig, BaseException):
            todo.append(orig)


def _is_outage_itself(exc: BaseException) -> bool:
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, sa_exc.TimeoutError):  # QueuePool: no connection within pool_timeout
        return True
    if isinstance(exc, _ASYNCPG_OUTAGES):
        return True
    if isinstance(exc, asyncpg.InterfaceError) and "connection is closed" in str(exc):
        return True
    if isinstance(exc, ConnectionError):  # refused, reset, aborted, broken pipe
        return True
    return isinstance(exc, OSError) and exc.errno in _NETWORK_ERRNOS


def is_outage(exc: BaseException) -> bool:
    """Whether `exc` (or an error it was raised from) says the database is unreachable now."""
    return any(_is_outage_itself(e) for e in _chain(exc))


def outage_response(request: Request) -> JSONResponse:
    from shared.errors.problems import problem_response

    return problem_response(
        request,
        503,
        slug=SLUG,
        title=TITLE,
        detail=DETAIL,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def install_outage_handlers(app: FastAPI) -> None:
    """Answer outages 503; everything else these handlers see goes on to the 500 handler."""

    async def on_maybe_outage(request: Request, exc: Exception) -> JSONResponse:
        if not is_outage(exc):
            raise exc
        log.warning(
            "database unavailable",
            extra={"path": request.url.path, "error": type(exc).__name__},
        )
        return outage_response(request)

    for cls in HANDLED:
        app.add_exception_handler(cls, on_maybe_outage)
