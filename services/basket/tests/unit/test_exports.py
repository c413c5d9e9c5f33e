"""Texts of the exports: hours, cost and age in Polish."""

from __future__ import annotations

from datetime import time
from types import SimpleNamespace

from basket.adapters.exports import age_text, cost_text, schedule_text
from basket.domain import model


def test_consecutive_days_with_the_same_hours_are_joined():
    slots = [model.ScheduleSlot(d, time(8), time(15)) for d in (1, 2, 3, 4, 5)]
    slots.append(model.ScheduleSlot(6, time(10), time(12)))
    offering = SimpleNamespace(schedule=slots)
    assert schedule_text(offering) == "poniedziałek–piątek 08:00–15:00; sobota 10:00–12:00"  # type: ignore[arg-type]


def test_cost_and_age_read_as_polish():
    assert cost_text(model.Cost(model.CostKind.CO_PAID, 12.5, description="za godzinę")) == (
        "częściowo odpłatna, 12,50 zł (za godzinę)"
    )
    assert cost_text(model.Cost(model.CostKind.FREE)) == "bezpłatna"
    assert age_text(model.Eligibility(min_age=7, max_age=15)) == "7–15 lat"
    assert age_text(model.Eligibility(min_age=60)) == "od 60 lat"
