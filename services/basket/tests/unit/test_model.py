"""The offering's rules: what it must hold, its states, its history entries."""

from __future__ import annotations

import uuid
from datetime import date, time, timedelta

import pytest

from basket.domain import events as ev
from basket.domain import model
from shared.errors import Conflict, InvalidInput

TODAY = date(2026, 11, 23)


def new(**changes) -> model.Offering:
    values = {
        "id": uuid.uuid4(),
        "tenant": "1219053",
        "institution_id": uuid.uuid4(),
        "provider_sector": "ngo",
        "title": "Klub seniora",
        "description": "Spotkania dla seniorów",
        "category": "civic_activity.senior_clubs",
        "target_groups": ["seniors"],
        "eligibility": model.Eligibility(),
        "required_documents": [],
        "cost": model.Cost(model.CostKind.FREE),
        "places": [model.Place(city="Wieliczka", latitude=49.98, longitude=20.06, accessible=True)],
        "schedule": [model.ScheduleSlot(2, time(10), time(12))],
        "languages": ["pl"],
        "tenants_served": [],
        "contact": model.Contact("Irena Wróbel"),
    }
    values.update(changes)
    return model.Offering.add(by="coord-a", today=TODAY, area="civic_activity", **values)


def fields(exc: pytest.ExceptionInfo[InvalidInput]) -> set[str]:
    return {e.field for e in exc.value.errors}


def test_add_derives_search_and_filter_fields_and_records_the_addition():
    o = new()
    assert o.tenants_served == ["1219053"]
    assert (o.free, o.accessible, o.weekdays) == (True, True, [2])
    assert (o.latitude, o.longitude) == (49.98, 20.06)
    assert o.search_stems.split()[:2] == ["klub", "senior"]
    assert o.last_verified_on == TODAY
    assert isinstance(o.events[0], ev.OfferingAdded)
    assert {c.field for c in o.events[0].changes} == set(model.Offering.EDITABLE)


def test_every_rule_broken_is_named_at_once():
    with pytest.raises(InvalidInput) as exc:
        new(
            cost=model.Cost(model.CostKind.PAID, amount=-5),
            schedule=[model.ScheduleSlot(1, time(15), time(9))],
            places=[model.Place(latitude=48.5, longitude=25.0)],
            eligibility=model.Eligibility(min_age=30, max_age=20),
            target_groups=["aliens"],
        )
    assert fields(exc) == {
        "cost.amount",
        "schedule.0.closes_at",
        "places.0.latitude",
        "places.0.longitude",
        "eligibility.max_age",
        "target_groups.0",
    }


def test_a_refused_update_leaves_the_offering_as_it_was():
    o = new()
    o.events.clear()
    with pytest.raises(InvalidInput):
        o.update({"title": "Nowy", "cost": model.Cost(model.CostKind.PAID)}, by="coord-a")
    assert o.title == "Klub seniora"
    assert o.events == []


def test_update_records_before_and_after_of_changed_fields_only():
    o = new()
    changed = o.update({"title": "Klub Seniora „Razem”", "languages": ["pl"]}, by="coord-a")
    assert changed == ["title"]
    change = o.events[-1].changes[0]
    assert (change.field, change.before, change.after) == (
        "title",
        "Klub seniora",
        "Klub Seniora „Razem”",
    )
    assert o.update({"title": "Klub Seniora „Razem”"}, by="coord-a") == []


def test_status_transitions():
    o = new()
    with pytest.raises(Conflict):
        o.suspend("Remont", by="coord-a")
    o.publish(by="coord-a")
    with pytest.raises(InvalidInput):
        o.suspend(" ", by="coord-a")
    o.suspend("Remont", by="coord-a")
    assert (o.status, o.status_reason) == (model.Status.SUSPENDED, "Remont")
    o.publish(by="coord-a")
    assert o.status_reason is None
    o.withdraw("Koniec projektu", by="coord-a")
    with pytest.raises(Conflict):
        o.publish(by="coord-a")
    with pytest.raises(Conflict):
        o.verify(TODAY, by="coord-a")


def test_capacity_changes_only_when_different_and_stale_after_the_limit():
    o = new()
    assert o.change_capacity(model.Capacity.WAITLIST, 14, by="coord-a") is True
    assert o.change_capacity(model.Capacity.WAITLIST, 14, by="coord-a") is False
    assert o.events[-1].previous_status == "available"
    assert not o.is_stale(TODAY + timedelta(days=90), 90)
    assert o.is_stale(TODAY + timedelta(days=91), 90)
