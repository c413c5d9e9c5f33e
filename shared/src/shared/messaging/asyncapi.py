"""The AsyncAPI document of a service: every subject it publishes, with its CloudEvent schema.

The relay publishes through nats-py; these FastStream publishers exist so that the document lists
every subject (declared, never called).
"""

from __future__ import annotations

from faststream.nats import NatsBroker
from faststream.specification import AsyncAPI

from shared.contracts import event_type_registry
from shared.contracts.envelope import envelope_model


def declare_publishers(broker: NatsBroker, service: str) -> list[str]:
    subjects = []
    for event_type, model in sorted(event_type_registry().items()):
        if event_type.split(".", 1)[0] != service:
            continue
        broker.publisher(
            event_type,
            schema=envelope_model(model),
            title=event_type,
            description=(model.__doc__ or event_type).strip(),
        )
        subjects.append(event_type)
    return subjects


def asyncapi_json(broker: NatsBroker, *, title: str, version: str) -> str:
    document: str = AsyncAPI(broker, title=title, version=version).to_specification().to_json()
    return document
