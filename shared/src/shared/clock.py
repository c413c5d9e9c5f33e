"""The business clock: the one place services and the web read the current instant and the
current local date from (ADR 0015).

A `Clock` gives `now()`, an aware datetime in UTC, and `today()`, the date in Europe/Warsaw —
the date a user of the platform means by "today" (a date computed in UTC is yesterday's between
midnight and 01:00/02:00 in Poland). A service's process reads it through `now()` / `today()`
below; its bootstrap installs the clock it was configured with (`CLOCK_START`, see
`clock_starting_at`). Domain code keeps taking `now` / `today` as arguments.

Technical times (outbox and inbox stamps, retry schedules, token and session expiry, webhook
signature timestamps) stay on the real clock, in Python or as PostgreSQL's `now()`.
"""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

WARSAW = ZoneInfo("Europe/Warsaw")


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, aware, in UTC."""
        ...

    def today(self) -> date:
        """The current date in Europe/Warsaw."""
        ...


class SystemClock:
    """The machine's real time."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def today(self) -> date:
        return self.now().astimezone(WARSAW).date()

    def __repr__(self) -> str:
        return "SystemClock()"


class ShiftedClock:
    """Reads `start` at the moment it is made, then runs forward in real time: waits, timeouts
    and expiries still pass as they would, only on another date."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None or start.utcoffset() is None:
            raise ValueError("the clock's start needs a UTC offset, e.g. 2027-03-15T10:00:00+01:00")
        self.start = start.astimezone(UTC)
        self.offset = self.start - datetime.now(UTC)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def today(self) -> date:
        return self.now().astimezone(WARSAW).date()

    def __repr__(self) -> str:
        return f"ShiftedClock({self.start.isoformat()})"


class FixedClock:
    """Stands still at `at` until moved (unit tests of code that takes a clock)."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("a fixed clock needs an aware datetime")
        self.at = at.astimezone(UTC)

    def now(self) -> datetime:
        return self.at

    def today(self) -> date:
        return self.at.astimezone(WARSAW).date()

    def advance(self, delta: timedelta) -> None:
        self.at += delta


SYSTEM = SystemClock()


@functools.cache
def clock_starting_at(start: datetime | None) -> Clock:
    """The clock a process runs on: the real one, or one shifted to start at `start`.

    One instance per start in a process, so that several services in one process (the tests)
    share one timeline rather than each its own offset."""
    return SYSTEM if start is None else ShiftedClock(start)


def parse_start(value: str | None) -> datetime | None:
    """`CLOCK_START` / `CUS_TEST_NOW`: an ISO 8601 instant with its UTC offset, or nothing."""
    if not value:
        return None
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"{value!r}: the clock's start needs a UTC offset, e.g. +01:00")
    return parsed


_installed: Clock = SYSTEM


def install(clock: Clock) -> None:
    """Make `clock` the process's clock (a service's bootstrap, the test plugin)."""
    global _installed
    _installed = clock


def current() -> Clock:
    return _installed


def now() -> datetime:
    """The current instant on the process's clock (aware, UTC)."""
    return _installed.now()


def today() -> date:
    """Today's date in Europe/Warsaw on the process's clock."""
    return _installed.today()


def local_now() -> datetime:
    """The current instant on the process's clock, in Europe/Warsaw."""
    return _installed.now().astimezone(WARSAW)
