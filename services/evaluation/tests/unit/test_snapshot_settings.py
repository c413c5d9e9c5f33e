"""The streams' age limit must exceed the snapshot interval with margin (ADR 0049): the service
refuses to start with settings that would leave a rebuild without the events it needs."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from evaluation.config import WINDOW_MARGIN, EvaluationSettings

URL = "postgresql+asyncpg://u@127.0.0.1/evaluation"


def test_the_defaults_keep_a_wide_margin() -> None:
    settings = EvaluationSettings(database_url=URL)
    assert settings.stream_max_age_days == 400
    assert settings.snapshot_interval_hours == 24
    assert settings.stream_max_age_days * 24 >= 100 * settings.snapshot_interval_hours


def test_a_window_shorter_than_the_margin_is_refused() -> None:
    with pytest.raises(ValidationError, match="STREAM_MAX_AGE_DAYS"):
        EvaluationSettings(database_url=URL, stream_max_age_days=3, snapshot_interval_hours=24)
    EvaluationSettings(
        database_url=URL, stream_max_age_days=WINDOW_MARGIN, snapshot_interval_hours=24
    )


def test_streams_without_an_age_limit_need_no_margin() -> None:
    EvaluationSettings(database_url=URL, stream_max_age_days=0, snapshot_interval_hours=10_000)


def test_the_environment_sets_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STREAM_MAX_AGE_DAYS", "800")
    monkeypatch.setenv("SNAPSHOT_INTERVAL_HOURS", "6")
    monkeypatch.setenv("SNAPSHOTS_KEPT", "5")
    settings = EvaluationSettings(database_url=URL)
    assert (settings.stream_max_age_days, settings.snapshot_interval_hours) == (800, 6)
    assert settings.snapshots_kept == 5
