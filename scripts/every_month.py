"""Run tests once per month of the year, each time on a clock set to a day of that month
(CUS_TEST_NOW, ADR 0015), and print one line of figures per run.

    scripts/every-month                      # the date-sensitive tests (DATE_SENSITIVE below)
    scripts/every-month services/cases/tests/unit -k review
    scripts/every-month --months 1,2,12 --lock /tmp/cpu.lock

The days are chosen to catch what a date computed in the wrong place gets wrong: the first
minutes of a month in Warsaw (still the previous month, even the previous year, in UTC), a last
day late in the evening (tomorrow is another month or year), 29 February, and the days Poland
changes to and from summer time.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# One instant in each month, with the UTC offset Warsaw has then.
DAYS = {
    1: "2028-01-01T00:30:00+01:00",  # New Year just begun in Warsaw; 31 Dec 2027 in UTC
    2: "2028-02-29T12:00:00+01:00",  # leap day
    3: "2027-03-28T03:30:00+02:00",  # summer time begins this night (02:00 -> 03:00)
    4: "2027-04-30T23:30:00+02:00",  # the month's last half hour; tomorrow is May
    5: "2027-05-15T09:00:00+02:00",  # an ordinary weekday
    6: "2027-06-01T00:15:00+02:00",  # 1 June in Warsaw, still 31 May in UTC
    7: "2027-07-31T22:30:00+02:00",  # a Saturday's late evening, the month's last day
    8: "2027-08-31T23:45:00+02:00",  # the month's last quarter of an hour
    9: "2027-09-01T01:30:00+02:00",  # 1 September in Warsaw, 31 August in UTC
    10: "2027-10-31T02:30:00+01:00",  # summer time ends this night (03:00 -> 02:00), last day
    11: "2027-11-01T00:30:00+01:00",  # 1 November in Warsaw, 31 October in UTC
    12: "2027-12-31T23:30:00+01:00",  # New Year's Eve late evening: tomorrow is 2028
}

# Tests whose outcome could depend on the date: every unit test, and the integration tests that
# compute with dates (consent validity, reviews, stale entries, reminders, reports, meetings).
DATE_SENSITIVE = [
    "shared/tests/test_clock.py",
    "services/basket/tests/unit",
    "services/cases/tests/unit",
    "services/evaluation/tests/unit",
    "services/notifications/tests/unit",
    "services/partners/tests/unit",
    "services/web/tests/unit",
    "services/basket/tests/integration/test_offerings.py",
    "services/basket/tests/integration/test_publishing.py",
    "services/cases/tests/integration/test_flow.py",
    "services/cases/tests/integration/test_reviews.py",
    "services/cases/tests/integration/test_validation.py",
    "services/cases/tests/integration/test_consent_matrix.py",
    "services/cases/tests/integration/test_read_models.py",
    "services/evaluation/tests/integration/test_figures.py",
    "services/evaluation/tests/integration/test_percentiles.py",
    "services/notifications/tests/integration/test_reminders.py",
    "services/notifications/tests/integration/test_entitlement.py",
    "services/notifications/tests/integration/test_case_staff.py",
    "services/partners/tests/integration/test_registry.py",
]

SUMMARY = re.compile(r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed)")


@contextlib.contextmanager
def locked(path: str | None) -> Iterator[None]:
    """Hold an exclusive lock on `path` (the machine's shared CPU lock) for one run."""
    if path is None:
        yield
        return
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def run(month: int, selection: list[str], lock: str | None) -> tuple[int, dict[str, int], float]:
    env = {**os.environ, "CUS_TEST_NOW": DAYS[month]}
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *selection]
    with locked(lock):
        started = time.monotonic()
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        took = time.monotonic() - started
    tail = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    counts = {
        kind.rstrip("s") if kind != "passed" else kind: int(n) for n, kind in SUMMARY.findall(tail)
    }
    if done.returncode != 0:
        print(done.stdout[-6000:], done.stderr[-2000:], sep="\n", file=sys.stderr)
    return done.returncode, counts, took


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--months", default="1-12", help="e.g. 1-12 (default), 2,3,10")
    parser.add_argument("--lock", default=None, help="a file to flock around each run")
    parser.add_argument("selection", nargs=argparse.REMAINDER, help="pytest arguments")
    args = parser.parse_args(argv)
    months: list[int] = []
    for part in args.months.split(","):
        first, _, last = part.partition("-")
        months += range(int(first), int(last or first) + 1)
    selection = args.selection or DATE_SENSITIVE
    failed = []
    for month in months:
        code, counts, took = run(month, selection, args.lock)
        figures = ", ".join(f"{n} {kind}" for kind, n in counts.items()) or "no summary"
        print(f"{month:2d}  CUS_TEST_NOW={DAYS[month]}  {figures}  in {took:.1f} s", flush=True)
        if code != 0:
            failed.append(month)
    print("every month passed" if not failed else f"failed in months {failed}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
