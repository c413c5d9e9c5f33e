"""The retention schedule of the notifications service, applied (ADR 0018).

    python -m notifications.retention [--dry-run]

Also run daily inside the service. Deletes, each past its period (the settings
`retention_*`, defaults in `NotificationsSettings`):

- in-app notices, read or not, by their creation on the business clock (ADR 0015);
- e-mails sent or given up on (pending ones are never deleted);
- finished webhook deliveries (delivered, dead, cancelled) with their attempts;
- the event journal the feed serves, except events with a delivery still pending;
- disclosures, through `disclosures_prune` (append-only otherwise, ADR 0029), from 1 January of
  the year after the disclosure — the case's own access log keeps its copy until the case is
  disposed of;
- consumed event ids in the inbox.

Technical stamps (e-mails, deliveries, the journal, disclosures, the inbox) are compared with the
database's time, as they were written with it. `--dry-run` runs it all in a transaction that is
rolled back. Counts only are printed and logged.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from notifications.config import NotificationsSettings
from shared import clock
from shared.db.engine import create_engine
from shared.messaging.retention import prune_inbox

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Schedule:
    notices_days: int = 365
    emails_days: int = 30
    deliveries_days: int = 90
    events_days: int = 400
    disclosures_years: int = 10
    inbox_days: int = 430

    @classmethod
    def of(cls, settings: NotificationsSettings) -> Schedule:
        return cls(**{f.name: getattr(settings, f"retention_{f.name}") for f in fields(cls)})


@dataclass(frozen=True)
class Report:
    notices: int
    emails: int
    deliveries: int
    events: int
    disclosures: int
    inbox: int
    dry_run: bool

    def __str__(self) -> str:
        head = "dry run, nothing changed: " if self.dry_run else ""
        return (
            f"{head}deleted {self.notices} notices, {self.emails} e-mails, {self.deliveries} "
            f"deliveries, {self.events} journal events, {self.disclosures} disclosures, "
            f"{self.inbox} inbox ids"
        )


_FINISHED = "status <> 'pending'"
_STEPS = {
    "notices": "DELETE FROM notices WHERE created_at"
    " < CAST(:now AS timestamptz) - make_interval(days => :notices_days)",
    "emails": f"DELETE FROM emails WHERE {_FINISHED}"
    " AND created_at < now() - make_interval(days => :emails_days)",
    "deliveries": f"DELETE FROM deliveries WHERE {_FINISHED}"
    " AND created_at < now() - make_interval(days => :deliveries_days)",
    "events": f"""
        WITH old AS (
            SELECT seq FROM events e
             WHERE received_at < now() - make_interval(days => :events_days)
               AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_seq = e.seq
                                AND d.status = 'pending')
        ), gone AS (
            DELETE FROM deliveries WHERE event_seq IN (SELECT seq FROM old) AND {_FINISHED}
        )
        DELETE FROM events WHERE seq IN (SELECT seq FROM old)
    """,
}


async def _steps(conn: AsyncConnection, schedule: Schedule, now: datetime) -> dict[str, int]:
    params = {"now": now, **{f.name: getattr(schedule, f.name) for f in fields(schedule)}}
    counts = {}
    for name, sql in _STEPS.items():
        counts[name] = (await conn.execute(text(sql), params)).rowcount
    counts["inbox"] = await prune_inbox(conn, schedule.inbox_days)
    counts["disclosures"] = int(
        (
            await conn.execute(
                text("SELECT disclosures_prune(:years)"), {"years": schedule.disclosures_years}
            )
        ).scalar_one()
    )
    return counts


async def apply(
    engine: AsyncEngine, schedule: Schedule, *, now: datetime | None = None, dry_run: bool = False
) -> Report:
    now = now or clock.now()
    async with engine.connect() as conn:
        tx = await conn.begin()
        try:
            counts = await _steps(conn, schedule, now)
        except BaseException:
            await tx.rollback()
            raise
        if dry_run:
            await tx.rollback()
        else:
            await tx.commit()
    report = Report(**counts, dry_run=dry_run)
    log.info("retention applied", extra={"dry_run": dry_run, **counts})
    return report


async def run_periodically(engine: AsyncEngine, schedule: Schedule, interval_s: float) -> None:
    """The daily loop inside the service (first run one interval after the start)."""
    while True:
        await asyncio.sleep(interval_s)
        await apply(engine, schedule)


async def _main(dry_run: bool, settings: NotificationsSettings) -> int:
    clock.install(clock.clock_starting_at(settings.clock_start))
    engine = create_engine(settings.database_url, pool_size=1)
    try:
        print(await apply(engine, Schedule.of(settings), dry_run=dry_run))
        return 0
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m notifications.retention",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--dry-run", action="store_true", help="report only, change nothing")
    args = parser.parse_args(argv)
    return asyncio.run(_main(args.dry_run, NotificationsSettings()))


if __name__ == "__main__":
    sys.exit(main())
