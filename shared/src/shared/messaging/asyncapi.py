"""The AsyncAPI document of a service: every subject it publishes, with its CloudEvent schema, and
every subject its consumers take in, with the CloudEvent schemas of the contracts they read.

The relay publishes through nats-py; these FastStream publishers exist so that the document lists
every subject (declared, never called). A consumer's FastStream subscriber takes the raw message
(it parses, and parks what it cannot read, itself), so FastStream alone would document its
payload as `null`; `document_consumers` puts the contracts' schemas there.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from faststream.nats import NatsBroker
from faststream.specification import AsyncAPI
from pydantic.json_schema import models_json_schema

from shared.contracts import event_type_registry
from shared.contracts.envelope import EventData, envelope_model
from shared.messaging.consumer import DurableConsumer, consumers_of, subject_matches

REF = "#/components/schemas/{model}"


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
    consumers = consumers_of(broker)
    if not consumers:
        return document
    return json.dumps(document_consumers(json.loads(document), consumers))


def _envelope_schemas(models: Sequence[type[EventData]]) -> tuple[dict[str, str], dict[str, Any]]:
    """The envelope schema of each model (by event type, a $ref) and the definitions they use."""
    envelopes = {model.event_type: envelope_model(model) for model in models}
    refs, schema = models_json_schema(
        [(envelope, "validation") for envelope in envelopes.values()], ref_template=REF
    )
    by_type = {
        event_type: refs[(envelope, "validation")]["$ref"]
        for event_type, envelope in envelopes.items()
    }
    return by_type, schema.get("$defs", {})


def document_consumers(
    document: dict[str, Any], consumers: Sequence[DurableConsumer]
) -> dict[str, Any]:
    """Each consumer channel's message gets as its payload the envelope of the contract it
    carries (one of them, where a channel carries several)."""
    models = {model for consumer in consumers for model in consumer.payloads}
    refs, definitions = _envelope_schemas(sorted(models, key=lambda m: m.event_type))
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for name, definition in definitions.items():
        if schemas.setdefault(name, definition) != definition:
            raise ValueError(f"two different schemas named {name} in the AsyncAPI document")
    messages = components.get("messages", {})
    for key, channel in document.get("channels", {}).items():
        consumer = next(
            (c for c in consumers if key == c.title or key.startswith(f"{c.title}:")), None
        )
        if consumer is None:
            continue
        carried = [
            refs[m.event_type]
            for m in consumer.payloads
            if subject_matches(channel["address"], m.event_type)
        ]
        if not carried:
            continue
        payload = (
            {"$ref": carried[0]}
            if len(carried) == 1
            else {"oneOf": [{"$ref": ref} for ref in carried]}
        )
        for message in channel.get("messages", {}).values():
            name = message["$ref"].rsplit("/", 1)[-1]
            if name in messages:
                messages[name]["payload"] = payload
    return document
