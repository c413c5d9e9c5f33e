"""Retention of the inbox every service keeps (ADR 0018).

A consumed event's id stays in the inbox for RETENTION_INBOX_DAYS (default 430: the streams keep
events 400 days, ADR 0049, so a consumer re-created from the start of a stream still finds every
id it applied, plus a month's margin), then it is deleted. Published outbox rows are purged by the
relay after a day (ADR 0003); unpublished ones are never deleted.

`prune_inbox` is called by the retention jobs of cases and notifications, and daily by the runtime
of every other service; `python -m shared.messaging.retention [--dry-run]` runs it once against
DATABASE_URL. Counts only are printed and logged.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shared.config import ServiceSettings
from shared.db.engine import create_engine

log = logging.getLogger(__name__)

# The inbox's stamp is a technical time written by the database (ADR 0015): compared with its now.
_PRUNE = text("DELETE FROM inbox WHERE processed_at < now() - make_interval(days => :days)")


async def prune_inbox(conn: AsyncConnection, days: int) -> int:
    """Delete the inbox's ids older than `days` in the caller's transaction; returns how many."""
    if days < 1:
        raise ValueError("the inbox keeps its ids at least a day")
    return (await conn.execute(_PRUNE, {"days": days})).rowcount


async def apply(engine: AsyncEngine, days: int, *, dry_run: bool = False) -> int:
    async with engine.connect() as conn:
        tx = await conn.begin()
        try:
            count = await prune_inbox(conn, days)
        except BaseException:
            await tx.rollback()
            raise
        await (tx.rollback() if dry_run else tx.commit())
    log.info("inbox pruned", extra={"dry_run": dry_run, "inbox_pruned": count})
    return count


async def run_periodically(engine: AsyncEngine, days: int, interval_s: float) -> None:
    """The daily loop inside a service (first run one interval after the start)."""
    while True:
        await asyncio.sleep(interval_s)
        await apply(engine, days)


async def _main(dry_run: bool, settings: ServiceSettings) -> int:
    engine = create_engine(settings.database_url, pool_size=1)
    try:
        count = await apply(engine, settings.retention_inbox_days, dry_run=dry_run)
    finally:
        await engine.dispose()
    head = "dry run, nothing changed: " if dry_run else ""
    print(f"{head}{count} inbox ids pruned")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m shared.messaging.retention", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--dry-run", action="store_true", help="report only, change nothing")
    args = parser.parse_args(argv)
    return asyncio.run(_main(args.dry_run, ServiceSettings()))


if __name__ == "__main__":
    sys.exit(main())
