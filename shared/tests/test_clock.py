"""The business clock (ADR 0015): shifted clocks run forward, today is a date in Warsaw, and the
services and the tests share one clock per start in a process."""

from __future__ import annotations

import os
import time
from datetime import UTC, date, datetime, timedelta

import pytest

from shared import clock
from shared.clock import FixedClock, ShiftedClock, clock_starting_at, parse_start
from shared.config import ServiceSettings


def test_a_shifted_clock_starts_at_its_instant_and_runs_forward() -> None:
    start = datetime(2027, 3, 15, 10, 0, tzinfo=UTC)
    shifted = ShiftedClock(start)
    first = shifted.now()
    assert abs(first - start) < timedelta(seconds=1)
    assert first.tzinfo is UTC
    time.sleep(0.02)  # real time passing is what is tested here
    assert shifted.now() - first >= timedelta(seconds=0.02)


@pytest.mark.parametrize(
    ("instant", "today"),
    [
        ("2027-12-31T23:30:00+01:00", date(2027, 12, 31)),
        ("2028-01-01T00:30:00+01:00", date(2028, 1, 1)),  # 31 December 23:30 in UTC
        ("2027-06-01T00:15:00+02:00", date(2027, 6, 1)),  # 31 May 22:15 in UTC
        ("2027-03-28T03:30:00+02:00", date(2027, 3, 28)),  # summer time began at 02:00
        ("2027-10-31T02:30:00+01:00", date(2027, 10, 31)),  # the second 02:30 of that night
    ],
)
def test_today_is_the_date_in_warsaw(instant: str, today: date) -> None:
    at = datetime.fromisoformat(instant)
    assert FixedClock(at).today() == today
    assert ShiftedClock(at).today() == today
    assert FixedClock(at).now() == at
    assert FixedClock(at).now().tzinfo is UTC


def test_a_start_needs_its_utc_offset() -> None:
    assert parse_start(None) is None
    assert parse_start("") is None
    assert parse_start("2027-03-15T10:00:00+01:00") == datetime(2027, 3, 15, 9, tzinfo=UTC)
    with pytest.raises(ValueError, match="offset"):
        parse_start("2027-03-15T10:00:00")
    with pytest.raises(ValueError, match="offset"):
        ShiftedClock(datetime(2027, 3, 15, 10))


def test_one_clock_per_start_in_a_process() -> None:
    start = datetime(2031, 5, 1, 8, tzinfo=UTC)
    same = datetime.fromisoformat("2031-05-01T10:00:00+02:00")
    assert clock_starting_at(start) is clock_starting_at(same)
    assert clock_starting_at(None) is clock.SYSTEM


def test_services_read_clock_start_from_their_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOCK_START", "2029-02-28T23:59:00+01:00")
    settings = ServiceSettings(database_url="postgresql+asyncpg://x/y")
    assert settings.clock_start == datetime(2029, 2, 28, 22, 59, tzinfo=UTC)
    monkeypatch.delenv("CLOCK_START")
    assert ServiceSettings(database_url="postgresql+asyncpg://x/y").clock_start is None


def test_the_tests_run_on_cus_test_now_or_the_real_time() -> None:
    installed = clock.current()
    start = parse_start(os.environ.get("CUS_TEST_NOW"))
    if start is None:
        assert abs(installed.now() - datetime.now(UTC)) < timedelta(seconds=1)
    else:
        assert installed is clock_starting_at(start)
        assert installed.now() >= start
