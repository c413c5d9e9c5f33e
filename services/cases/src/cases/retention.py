"""The retention schedule of the cases service, applied (ADR 0018).

    python -m cases.retention [run] [--dry-run]
    python -m cases.retention due
    python -m cases.retention approve --reference REF --by LOGIN (--all-due | CASE_ID ...)

`run` (also daily inside the service) does three things:

1. marks every closed case whose period has ended as due for disposal (`case_retention`): the
   period (RETENTION_CASE_YEARS, default 10 for category B10) counts from 1 January of the
   year after the case closed, in Poland's calendar;
2. disposes of every due case whose disposal was approved: its access-log chain through
   `access_log_dispose` (which records the removal), then the case with its family, PESELs,
   consents, team, diagnosis, plan, reviews, referrals, meetings and reassignments, and one
   `cases.case.disposed` event through the outbox — one transaction per case;
3. prunes the inbox: consumed event ids older than RETENTION_INBOX_DAYS (the outbox's
   published rows are purged by the relay after a day, ADR 0003).

A due case is never deleted without an approval: `due` prints the list to send to the state
archive (case ids, municipality, year of closure — no personal data), and `approve` records its
consent ("zgoda archiwum państwowego na brakowanie"): the reference of its letter, who recorded
it, when. `--dry-run` runs every step in one transaction and rolls it back: it reports what a run
would do and changes nothing. The job logs and prints counts only.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from cases.adapters.orm import outbox
from cases.config import CasesSettings
from shared import clock
from shared.contracts import CloudEvent
from shared.contracts import cases as contract
from shared.db.engine import create_engine
from shared.messaging.outbox import add_to_outbox
from shared.messaging.retention import prune_inbox

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Schedule:
    case_years: int = 10
    category: str = "B10"
    inbox_days: int = 430

    @classmethod
    def of(cls, settings: CasesSettings) -> Schedule:
        return cls(
            settings.retention_case_years,
            settings.retention_category,
            settings.retention_inbox_days,
        )

    def due_on(self, closed_year: int) -> date:
        """The first day a case closed in `closed_year` may be disposed of: its period counts
        from 1 January of the next year."""
        return date(closed_year + 1 + self.case_years, 1, 1)


@dataclass(frozen=True)
class Report:
    marked: int
    disposed: int
    access_entries: int
    inbox: int
    awaiting_approval: int
    dry_run: bool

    def __str__(self) -> str:
        head = "dry run, nothing changed: " if self.dry_run else ""
        return (
            f"{head}{self.marked} cases marked due for disposal, {self.disposed} disposed of "
            f"({self.access_entries} access-log entries), {self.awaiting_approval} due awaiting "
            f"approval, {self.inbox} inbox ids pruned"
        )


_CLOSED_YEAR = "extract(year FROM c.closed_at AT TIME ZONE 'Europe/Warsaw')::int"

_MARK = text(
    f"""
    INSERT INTO case_retention (case_id, tenant, category, closed_year, due_on, marked_at)
    SELECT c.id, c.tenant, :category, {_CLOSED_YEAR},
           make_date({_CLOSED_YEAR} + 1 + :years, 1, 1), :now
      FROM cases c
     WHERE c.state = 'closed' AND c.closed_at IS NOT NULL
       AND {_CLOSED_YEAR} + 1 + :years <= :year
       AND NOT EXISTS (SELECT 1 FROM case_retention r WHERE r.case_id = c.id)
    """
)
_APPROVED = text(
    "SELECT case_id, tenant, category FROM case_retention"
    " WHERE approved_at IS NOT NULL AND due_on <= :today ORDER BY case_id"
)
_AWAITING = text(
    "SELECT count(*) FROM case_retention WHERE approved_at IS NULL AND due_on <= :today"
)
_DISPOSE_LOG = text("SELECT access_log_dispose(:case_id)")
# Children first: consents name family members.
_CASE_TABLES = (
    "consents",
    "family_members",
    "team_members",
    "diagnosis_entries",
    "plan_versions",
    "monitoring_reviews",
    "referrals",
    "meetings",
    "case_reassignments",
    "case_retention",
)
_PRUNE_INBOX = text("DELETE FROM inbox WHERE processed_at < now() - make_interval(days => :days)")


@contextlib.asynccontextmanager
async def _unit(conn: AsyncConnection, dry_run: bool) -> AsyncIterator[None]:
    """A unit of work: its own transaction, or (dry run) a savepoint in the outer one."""
    if dry_run:
        async with conn.begin_nested():
            yield
    else:
        async with conn.begin():
            yield


async def _dispose(
    conn: AsyncConnection, case_id: uuid.UUID, tenant: str, category: str, now: datetime
) -> int:
    entries = int((await conn.execute(_DISPOSE_LOG, {"case_id": case_id})).scalar_one())
    for table in _CASE_TABLES:
        await conn.execute(text(f"DELETE FROM {table} WHERE case_id = :c"), {"c": case_id})
    await conn.execute(text("DELETE FROM cases WHERE id = :c"), {"c": case_id})
    event = CloudEvent.wrap(
        contract.CaseDisposed(case_id=case_id, disposed_at=now, category=category),
        source=contract.SOURCE,
        tenant=tenant,
        subject=str(case_id),
    )
    await add_to_outbox(conn, outbox, [event])
    return entries


async def _steps(
    conn: AsyncConnection, schedule: Schedule, today: date, now: datetime, dry_run: bool
) -> Report:
    async with _unit(conn, dry_run):
        marked = (
            await conn.execute(
                _MARK,
                {
                    "category": schedule.category,
                    "years": schedule.case_years,
                    "year": today.year,
                    "now": now,
                },
            )
        ).rowcount
    async with _unit(conn, dry_run):
        approved = (await conn.execute(_APPROVED, {"today": today})).all()
    disposed = entries = 0
    for case_id, tenant, category in approved:
        async with _unit(conn, dry_run):
            entries += await _dispose(conn, case_id, tenant, category, now)
            disposed += 1
    async with _unit(conn, dry_run):
        awaiting = int((await conn.execute(_AWAITING, {"today": today})).scalar_one())
        inbox = await prune_inbox(conn, schedule.inbox_days)
    return Report(marked, disposed, entries, inbox, awaiting, dry_run)


async def apply(
    engine: AsyncEngine,
    schedule: Schedule,
    *,
    today: date | None = None,
    now: datetime | None = None,
    dry_run: bool = False,
) -> Report:
    """Apply the schedule on the business clock's `today` / `now` (ADR 0015) unless given."""
    today = today or clock.today()
    now = now or clock.now()
    async with engine.connect() as conn:
        if dry_run:
            outer = await conn.begin()
            try:
                report = await _steps(conn, schedule, today, now, dry_run=True)
            finally:
                await outer.rollback()
        else:
            report = await _steps(conn, schedule, today, now, dry_run=False)
    log.info(
        "retention applied",
        extra={
            "dry_run": dry_run,
            "marked": report.marked,
            "disposed": report.disposed,
            "access_entries": report.access_entries,
            "awaiting_approval": report.awaiting_approval,
            "inbox_pruned": report.inbox,
        },
    )
    return report


@dataclass(frozen=True)
class Due:
    case_id: uuid.UUID
    tenant: str
    category: str
    closed_year: int
    due_on: date
    approval_ref: str | None


async def due(engine: AsyncEngine) -> list[Due]:
    """The cases marked due for disposal: the list for the state archive."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT case_id, tenant, category, closed_year, due_on, approval_ref"
                " FROM case_retention ORDER BY tenant, closed_year, case_id"
            )
        )
        return [Due(*row) for row in rows]


async def approve(
    engine: AsyncEngine,
    *,
    reference: str,
    by: str,
    case_ids: Sequence[uuid.UUID] | None = None,
    now: datetime | None = None,
) -> int:
    """Record the state archive's consent to dispose of the given due cases (or all due ones
    not yet approved); returns how many were approved."""
    if not reference.strip():
        raise ValueError("the reference of the archive's consent is required")
    if not by.strip():
        raise ValueError("who records the approval is required")
    now = now or clock.now()
    chosen = "" if case_ids is None else " AND case_id = ANY(:ids)"
    async with engine.begin() as conn:
        result = await conn.execute(
            text(
                "UPDATE case_retention SET approval_ref = :ref, approved_by = :by,"
                " approved_at = :now WHERE approved_at IS NULL" + chosen
            ),
            {"ref": reference.strip(), "by": by.strip(), "now": now, "ids": list(case_ids or [])},
        )
        return result.rowcount


async def run_periodically(engine: AsyncEngine, schedule: Schedule, interval_s: float) -> None:
    """The daily loop inside the service (first run one interval after the start)."""
    while True:
        await asyncio.sleep(interval_s)
        await apply(engine, schedule)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m cases.retention", description=__doc__)
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    commands = parser.add_subparsers(dest="command")
    run = commands.add_parser("run", help="apply the schedule (default)")
    run.add_argument("--dry-run", action="store_true", help="report only, change nothing")
    parser.add_argument("--dry-run", action="store_true", help="report only, change nothing")
    commands.add_parser("due", help="list the cases due for disposal")
    approval = commands.add_parser("approve", help="record the archive's consent")
    approval.add_argument("--reference", required=True, help="the archive's letter, e.g. its sign")
    approval.add_argument("--by", required=True, help="login of who records it")
    approval.add_argument("--all-due", action="store_true", help="every due case not approved")
    approval.add_argument("case_ids", nargs="*", type=uuid.UUID)
    return parser


async def _main(args: argparse.Namespace, settings: CasesSettings) -> int:
    clock.install(clock.clock_starting_at(settings.clock_start))
    engine = create_engine(settings.database_url, pool_size=1)
    try:
        if args.command == "due":
            rows = await due(engine)
            for d in rows:
                state = f"approved ({d.approval_ref})" if d.approval_ref else "awaiting approval"
                print(
                    f"{d.case_id}\t{d.tenant}\t{d.category}\t{d.closed_year}\t{d.due_on}\t{state}"
                )
            print(f"{len(rows)} cases due for disposal")
            return 0
        if args.command == "approve":
            if bool(args.all_due) == bool(args.case_ids):
                print("give either --all-due or case ids", file=sys.stderr)
                return 2
            count = await approve(
                engine,
                reference=args.reference,
                by=args.by,
                case_ids=None if args.all_due else args.case_ids,
            )
            print(f"{count} cases approved for disposal")
            return 0
        print(await apply(engine, Schedule.of(settings), dry_run=args.dry_run))
        return 0
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    return asyncio.run(_main(args, CasesSettings()))


if __name__ == "__main__":
    sys.exit(main())
