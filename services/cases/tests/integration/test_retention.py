"""The retention schedule applied (ADR 0018): a case closed long enough ago is marked due for
disposal, disposed of only after the state archive's consent is recorded, with its whole access-log
chain, which the verification then counts as removed; a case closed recently and an open case are
kept; a dry run changes nothing; a second run changes nothing more."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from cases.adapters.access_chain import case_digest
from cases.retention import Report, Schedule, apply
from shared import clock
from shared.clock import FixedClock

from .test_access_log_chain import verify_command

CASE_TABLES = (
    "consents",
    "family_members",
    "team_members",
    "diagnosis_entries",
    "plan_versions",
    "referrals",
    "meetings",
    "access_log",
    "case_retention",
)


def retention_command(
    c, *args: str, clock_start: datetime | None = None, module: str = "cases.retention"
):
    url = c.runtime.engine.url.render_as_string(hide_password=False)
    env = {**os.environ, "DATABASE_URL": url}
    if clock_start is not None:
        env["CLOCK_START"] = clock_start.isoformat()
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


async def scalar(c, sql: str, **params: object) -> object:
    async with c.runtime.engine.connect() as conn:
        return (await conn.execute(text(sql), params)).scalar_one()


async def rows_of(c, case_id: str) -> dict[str, int]:
    counts = {
        "cases": int(await scalar(c, "SELECT count(*) FROM cases WHERE id = :case", case=case_id))
    }
    for table in CASE_TABLES:
        counts[table] = int(
            await scalar(c, f"SELECT count(*) FROM {table} WHERE case_id = :case", case=case_id)
        )
    return counts


async def snapshot(c, *case_ids: str) -> dict[str, object]:
    """Everything a run could change."""
    return {
        "rows": {case_id: await rows_of(c, case_id) for case_id in case_ids},
        "retention": await scalar(
            c, "SELECT count(*) || '/' || count(approved_at) FROM case_retention"
        ),
        "disposals": await scalar(c, "SELECT count(*) FROM access_log_disposals"),
        "inbox": await scalar(c, "SELECT count(*) FROM inbox"),
        "outbox": await scalar(
            c, "SELECT count(*) FROM outbox WHERE subject = 'cases.case.disposed'"
        ),
    }


async def run_on(moved: datetime, c, *, dry_run: bool = False) -> Report:
    """The job on a clock moved to `moved` (ADR 0015), as the service's loop would run it."""
    previous = clock.current()
    clock.install(FixedClock(moved))
    try:
        return await apply(c.runtime.engine, Schedule(), dry_run=dry_run)
    finally:
        clock.install(previous)


async def close(c, case_id: str) -> None:
    response = await c.post("manager-a", f"/v1/cases/{case_id}/close", {"reason": "goals_achieved"})
    assert response.status_code == 200, response.text


async def test_a_case_closed_long_ago_is_disposed_of_after_the_archives_consent(cases):
    c = cases
    old, _people, _consent = await c.team_case()
    diagnosis = await c.post(
        "manager-a",
        f"/v1/cases/{old}/diagnosis",
        {"area": "health", "perspective": "family", "text": c.DIAGNOSIS_TEXT},
    )
    assert diagnosis.status_code == 201, diagnosis.text
    await c.put("manager-a", f"/v1/cases/{old}/plan", {"goals": [{"title": "Cel"}]})
    await c.get("partner-a", f"/v1/cases/{old}")
    await close(c, old)
    recent, _ = await c.open_case()
    await close(c, recent)
    still_open, _ = await c.open_case()
    # The first case closed two years before the others.
    async with c.runtime.engine.begin() as conn:
        await conn.execute(
            text("UPDATE cases SET closed_at = closed_at - interval '2 years' WHERE id = :c"),
            {"c": old},
        )
        # An event id consumed long ago and one consumed now.
        await conn.execute(
            text(
                "INSERT INTO inbox (consumer, event_id, subject, processed_at) VALUES"
                " ('test', :a, 'test.old', now() - interval '500 days'),"
                " ('test', :b, 'test.new', now())"
            ),
            {"a": uuid.uuid4(), "b": uuid.uuid4()},
        )
    closed_year = int(
        await scalar(
            c,
            "SELECT extract(year FROM closed_at AT TIME ZONE 'Europe/Warsaw')::int"
            " FROM cases WHERE id = :case",
            case=old,
        )
    )
    # B10: ten years from 1 January of the year after closure; the clock moved to its first day.
    due = Schedule().due_on(closed_year)
    assert due.year == closed_year + 11
    assert (due.month, due.day) == (1, 1)
    moved = datetime(due.year, 1, 1, 9, 0, tzinfo=UTC)
    cases_ = (old, recent, still_open)
    before = await snapshot(c, *cases_)
    old_entries = before["rows"][old]["access_log"]  # type: ignore[index]
    assert old_entries > 5

    # A day earlier nothing is due.
    early = await run_on(moved - timedelta(days=1), c, dry_run=True)
    assert (early.marked, early.disposed) == (0, 0)

    # A dry run reports and changes nothing.
    dry = await run_on(moved, c, dry_run=True)
    assert (dry.marked, dry.disposed, dry.inbox, dry.awaiting_approval) == (1, 0, 1, 1)
    assert await snapshot(c, *cases_) == before

    # The inbox's own command (the other services' runtimes prune it daily) reports the same.
    shared = retention_command(c, "--dry-run", module="shared.messaging.retention")
    assert shared.returncode == 0, shared.stderr
    assert "dry run, nothing changed: 1 inbox ids pruned" in shared.stdout
    assert await snapshot(c, *cases_) == before

    # The run marks the old case due, prunes the old inbox id, and deletes nothing without consent.
    first = await run_on(moved, c)
    assert (first.marked, first.disposed, first.inbox, first.awaiting_approval) == (1, 0, 1, 1)
    after_mark = await snapshot(c, *cases_)
    assert after_mark["rows"] == {
        **before["rows"],  # type: ignore[dict-item]
        old: {**before["rows"][old], "case_retention": 1},  # type: ignore[index]
    }
    assert after_mark["retention"] == "1/0"
    assert after_mark["inbox"] == before["inbox"] - 1  # type: ignore[operator]

    # Without an approval, the log's disposal function refuses; so does a direct delete.
    with pytest.raises(DBAPIError, match="no recorded approval"):
        async with c.runtime.engine.begin() as conn:
            await conn.execute(text("SELECT access_log_dispose(:c)"), {"c": old})
    async with c.runtime.engine.connect() as conn:
        await conn.execute(text(f"SET cases.access_log_disposal = '{old}'"))
        with pytest.raises(DBAPIError, match=r"only by access_log_dispose|permission denied"):
            await conn.execute(text("DELETE FROM access_log WHERE case_id = :c"), {"c": old})
        await conn.rollback()
        await conn.execute(text("RESET cases.access_log_disposal"))
        await conn.commit()

    # The list for the archive, then its consent recorded.
    listed = retention_command(c, "due")
    assert listed.returncode == 0, listed.stderr
    assert f"{old}\t1219053\tB10\t{closed_year}\t{due}\tawaiting approval" in listed.stdout
    assert str(recent) not in listed.stdout
    assert str(still_open) not in listed.stdout
    refused = retention_command(c, "approve", "--reference", "", "--by", "archiwista", "--all-due")
    assert refused.returncode != 0
    approved = retention_command(
        c, "approve", "--reference", "ZN.6341.12.2037", "--by", "archiwista", "--all-due"
    )
    assert approved.returncode == 0, approved.stderr
    assert "1 cases approved" in approved.stdout

    # A dry run of the disposal changes nothing, printed by the command on the moved clock.
    approved_state = await snapshot(c, *cases_)
    printed = retention_command(c, "--dry-run", clock_start=moved)
    assert printed.returncode == 0, printed.stderr
    assert "dry run, nothing changed: 0 cases marked due for disposal, 1 disposed of" in (
        printed.stdout
    )
    assert await snapshot(c, *cases_) == approved_state

    # The disposal: the old case with everything of it, its chain recorded as removed.
    second = await run_on(moved, c)
    assert (second.marked, second.disposed, second.access_entries) == (0, 1, old_entries)
    assert second.awaiting_approval == 0
    disposed = await snapshot(c, *cases_)
    assert disposed["rows"][old] == dict.fromkeys(before["rows"][old], 0)  # type: ignore[index]
    assert disposed["rows"][recent] == before["rows"][recent]  # type: ignore[index]
    assert disposed["rows"][still_open] == before["rows"][still_open]  # type: ignore[index]
    assert disposed["disposals"] == 1
    assert disposed["outbox"] == 1
    record = await scalar(
        c, "SELECT case_digest || ':' || entries || ':' || approval_ref FROM access_log_disposals"
    )
    assert record == f"{case_digest(uuid.UUID(old))}:{old_entries}:ZN.6341.12.2037"
    async with c.runtime.engine.connect() as conn:
        body = (
            await conn.execute(
                text("SELECT body FROM outbox WHERE subject = 'cases.case.disposed'")
            )
        ).scalar_one()
    event = json.loads(bytes(body))
    assert event["data"] == {
        "case_id": old,
        "disposed_at": moved.isoformat().replace("+00:00", "Z"),
        "category": "B10",
    }
    assert event["tenant"] == "1219053"

    # The verification passes and tells the removed chain from the kept ones.
    verified = verify_command(c)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "chains intact" in verified.stdout
    assert f"1 chains ({old_entries} entries) removed with their disposed cases" in verified.stdout

    # The case is gone for its readers, and no new chain starts for it.
    assert (await c.get("manager-a", f"/v1/cases/{old}")).status_code == 404
    assert (await rows_of(c, old))["access_log"] == 0
    with pytest.raises(DBAPIError, match="was disposed of"):
        async with c.runtime.engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO access_log (case_id, tenant, at, actor_subject, actor_username,"
                    " actor_roles, relation, action, what, purpose, outcome) VALUES (:c, '1219053',"
                    " now(), 's', 'u', 'r', 'none', 'read', 'case', 'x', 'allowed')"
                ),
                {"c": old},
            )
    # The disposals record cannot be changed.
    with pytest.raises(DBAPIError, match=r"append-only|permission denied"):
        async with c.runtime.engine.begin() as conn:
            await conn.execute(text("DELETE FROM access_log_disposals"))

    # Idempotent: another run on the same day, or a year later, changes nothing more.
    again = await run_on(moved, c)
    assert (again.marked, again.disposed, again.inbox) == (0, 0, 0)
    assert await snapshot(c, *cases_) == disposed
    later = await run_on(moved.replace(year=moved.year + 1) - timedelta(days=1), c)
    assert (later.marked, later.disposed) == (0, 0)
    assert await snapshot(c, *cases_) == disposed
    assert verify_command(c).returncode == 0


async def test_entries_left_of_a_disposed_case_break_the_verification(cases, databases):
    """A chain recorded as removed whose entries are still there (the owner put them back, or the
    removal was partial) is tampering, not a disposal."""
    c = cases
    case_id, _ = await c.open_case()
    # Only the table's owner can disable its trigger: the test plays the owner (ADR 0019).
    app_url = c.runtime.engine.url.render_as_string(hide_password=False)
    owner = create_async_engine(
        make_url(databases.owner_url(app_url)).set(drivername="postgresql+asyncpg")
    )
    async with owner.begin() as conn:
        await conn.execute(
            text(
                "ALTER TABLE access_log_disposals DISABLE TRIGGER access_log_disposals_append_only"
            )
        )
        await conn.execute(
            text(
                "INSERT INTO access_log_disposals (case_digest, entries, approval_ref)"
                " VALUES (:d, 1, 'x')"
            ),
            {"d": case_digest(uuid.UUID(case_id))},
        )
        await conn.execute(
            text("ALTER TABLE access_log_disposals ENABLE TRIGGER access_log_disposals_append_only")
        )
    await owner.dispose()
    result = verify_command(c)
    assert result.returncode == 1
    assert f"BROKEN at case {case_id}, entry 1" in result.stdout
    assert "recorded as removed" in result.stdout
