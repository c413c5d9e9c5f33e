"""A consumer's channels in the AsyncAPI document carry the CloudEvent schemas of the contracts
it reads (FastStream alone documents the raw message it takes as `null`)."""

from __future__ import annotations

import json

from sqlalchemy.ext.asyncio import async_sessionmaker

from partners.adapters.orm import inbox
from shared.contracts import basket, partners
from shared.messaging import STREAMS, make_broker, register_consumer
from shared.messaging.asyncapi import asyncapi_json
from shared.messaging.consumer import subject_matches
from shared.messaging.readmodel import ReadModel


async def nothing(*_: object) -> None:
    return None


def document() -> dict:
    broker = make_broker("nats://127.0.0.1:1", service="test", tracer_provider=None)
    model = ReadModel("test-partners")
    model.on(partners.InstitutionRegistered, partners.InstitutionUpdated)(nothing)
    register_consumer(
        broker,
        stream=STREAMS["partners"],
        durable="test-partners",
        sessions=async_sessionmaker(),
        inbox=inbox,
        handler=model,
        filter_subjects=model.event_types,
    )
    register_consumer(
        broker,
        stream=STREAMS["basket"],
        durable="test-basket",
        sessions=async_sessionmaker(),
        inbox=inbox,
        handler=nothing,
    )
    return json.loads(asyncapi_json(broker, title="t", version="1"))


def payload_of(doc: dict, channel: str) -> dict:
    ref = doc["channels"][channel]["messages"]["SubscribeMessage"]["$ref"]
    return doc["components"]["messages"][ref.rsplit("/", 1)[-1]]["payload"]


def test_subject_matching() -> None:
    assert subject_matches("basket.>", "basket.service.added")
    assert not subject_matches("basket.>", "basket")
    assert subject_matches("a.*.c", "a.b.c")
    assert not subject_matches("a.*", "a.b.c")
    assert not subject_matches("a.b", "a.c")


def test_consumer_channels_document_the_contract_envelopes() -> None:
    doc = document()
    schemas = doc["components"]["schemas"]
    registered = payload_of(doc, "test-partners:PARTNERS:partners.institution.registered")
    assert registered == {"$ref": "#/components/schemas/InstitutionRegisteredEvent"}
    envelope = schemas["InstitutionRegisteredEvent"]
    assert envelope["properties"]["type"]["const"] == "partners.institution.registered"
    data = schemas[envelope["properties"]["data"]["$ref"].rsplit("/", 1)[-1]]
    assert "institution_id" in data["properties"]
    # A plain handler on a whole stream: one of every contract of the stream.
    every = payload_of(doc, "test-basket:BASKET")["oneOf"]
    expected = [t for t in sorted(basket_types()) if t.startswith("basket.")]
    assert len(every) == len(expected)
    assert {"$ref": "#/components/schemas/ServiceAddedEvent"} in every
    assert "null" not in json.dumps([payload_of(doc, c) for c in doc["channels"]])


def basket_types() -> list[str]:
    from shared.contracts import event_type_registry

    return [t for t, m in event_type_registry().items() if m.__module__ == basket.__name__]
