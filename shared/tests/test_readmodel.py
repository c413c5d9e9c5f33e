"""The read-model applier dispatches each event to the typed handler of its contract model (or
of its nearest base), skips the others, and names the event types it handles."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from shared.contracts import CloudEvent, EventData
from shared.contracts import basket as b
from shared.contracts import partners as p
from shared.messaging.readmodel import ReadModel


async def test_dispatch_by_model_and_base_and_unknown_types_are_skipped() -> None:
    model = ReadModel("test")
    seen: list[tuple[str, str]] = []

    @model.on(b.OfferingSnapshot)
    async def snapshot(_: Any, event: CloudEvent, data: b.OfferingSnapshot) -> None:
        seen.append(("snapshot", event.type))

    @model.on(b.CapacityChanged)
    async def capacity(_: Any, event: CloudEvent, data: b.CapacityChanged) -> None:
        seen.append(("capacity", event.type))

    types = model.event_types
    assert "basket.service.added" in types
    assert "basket.capacity.changed" in types
    assert not any(t.startswith("partners.") for t in types)

    def event(data: EventData) -> CloudEvent:
        return CloudEvent.wrap(data, source="/cus/test", tenant=None)

    for data in (
        b.CapacityChanged.model_construct(service_id=uuid.uuid4()),
        b.ServiceAdded.model_construct(service_id=uuid.uuid4()),
        p.CoordinatorsChanged.model_construct(partnership_id=uuid.uuid4()),
    ):
        await model(None, event(data), data)  # type: ignore[arg-type]
    assert seen == [("capacity", "basket.capacity.changed"), ("snapshot", "basket.service.added")]


def test_a_model_has_one_handler() -> None:
    model = ReadModel("test")

    async def handler(*_: Any) -> None:
        return None

    model.on(p.InstitutionRegistered)(handler)
    with pytest.raises(ValueError, match="InstitutionRegistered"):
        model.on(p.InstitutionRegistered)(handler)
