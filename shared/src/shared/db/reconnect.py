"""Dead pooled connections after a database restart (ADR 0014): replaced at checkout when known
dead, and the first statement after a checkout that finds one dead runs again once on a fresh
connection. Neither costs a round trip while the database is up.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)

# Set at checkout, cleared by the first statement: only that one may have met a connection that
# died while it lay in the pool. Later statements ran on a connection that had just answered.
_UNTRIED = "untried_since_checkout"


def drop_closed_at_checkout(engine: AsyncEngine) -> None:
    """A pooled connection whose socket the event loop already saw closed (the server restarted
    or terminated it while it lay in the pool) is replaced at checkout: DisconnectionError makes
    the pool open a fresh one. A flag read, no round trip; before it, the first statement on such
    a connection failed with `InterfaceError: connection is closed`."""

    @event.listens_for(engine.sync_engine.pool, "checkout")
    def _checkout(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        if dbapi_connection.driver_connection.is_closed():
            raise DisconnectionError("pooled connection was closed by the server")
        record.info[_UNTRIED] = True


def retry_first_statement_on_disconnect(engine: AsyncEngine) -> None:
    """Run the first statement after a checkout once more, on a fresh connection, if it failed
    because the connection was dead: only that one can meet a connection that died in the pool
    unnoticed; a later one ran on a connection that had just answered, so its failure is the
    server going away now, answered 503 (shared.errors.outages).

    Safe on both engines: in autocommit the statement stands alone and nothing of the request
    was done before it; in a transaction it is the transaction's first, so whatever of it the
    dead connection carried (at most BEGIN and this statement) was never committed and dies with
    the connection, and the unit of work continues on the new one from its start. COMMIT is
    never retried (it does not come through here), nor any statement after the first.
    """
    dialect = engine.sync_engine.dialect

    def run(fn: Any, cursor: Any, statement: str, context: Any, *args: Any) -> bool:
        connection = context.root_connection
        try:
            untried = connection.info.pop(_UNTRIED, False)
        except NotImplementedError:  # the dialect's first-connect checks: no pool record yet
            return False
        if not untried:
            return False  # not the first statement: the dialect runs it as usual
        try:
            fn(cursor, statement, *args, context)
        except dialect.loaded_dbapi.Error as exc:
            if not dialect.is_disconnect(exc, connection.connection.dbapi_connection, cursor):
                raise
            log.warning("pooled connection was dead; running the statement on a new one")
            # What the pool does when a checkout finds a connection broken, for this one: the
            # record reconnects (with the dialect's codecs) under the same checked-out proxy, so
            # the Connection and any Session on it go on as if nothing happened.
            fairy = connection.connection
            fairy._connection_record.invalidate(exc)
            fairy.dbapi_connection = fairy._connection_record.get_connection()
            context.cursor = cursor = fairy.cursor()
            fn(cursor, statement, *args, context)
        return True

    @event.listens_for(engine.sync_engine, "do_execute")
    def _execute(cursor: Any, statement: str, parameters: Any, context: Any) -> bool:
        return run(dialect.do_execute, cursor, statement, context, parameters)

    @event.listens_for(engine.sync_engine, "do_executemany")
    def _executemany(cursor: Any, statement: str, parameters: Any, context: Any) -> bool:
        return run(dialect.do_executemany, cursor, statement, context, parameters)

    @event.listens_for(engine.sync_engine, "do_execute_no_params")
    def _execute_no_params(cursor: Any, statement: str, context: Any) -> bool:
        return run(dialect.do_execute_no_params, cursor, statement, context)
