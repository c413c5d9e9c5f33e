"""The CloudEvents 1.0 envelope every platform event travels in, and the registry of event types."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, ClassVar, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, create_model

from shared import clock

SPEC_VERSION = "1.0"


class EventData(BaseModel):
    """Base of every event's data. Subclasses name their CloudEvents type and schema version.

    Event data carries identifiers and the facts other services need, never a family's personal
    data (no names, PESEL, address, health or court details).
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_type: ClassVar[str]
    schema_version: ClassVar[int] = 1

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "event_type" in cls.__dict__:
            _REGISTRY[cls.event_type] = cls


_REGISTRY: dict[str, type[EventData]] = {}


def event_type_registry() -> dict[str, type[EventData]]:
    """Every event type known to the contracts, by CloudEvents type (= NATS subject)."""
    return dict(_REGISTRY)


class UnknownEventType(ValueError):
    pass


class CloudEvent(BaseModel):
    """A CloudEvents 1.0 event in structured JSON mode, with the platform's extension attributes.

    The NATS subject equals `type`. W3C trace context travels in the message headers
    (`traceparent`, `tracestate`), not in the body.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    specversion: str = SPEC_VERSION
    id: uuid.UUID = Field(default_factory=uuid.uuid4, description="Unique event id; the dedupe key")
    type: str = Field(description="Event type, e.g. partners.institution.registered")
    source: str = Field(description="The producing service, e.g. /cus/partners")
    subject: str | None = Field(default=None, description="Id of the object the event is about")
    time: datetime = Field(default_factory=lambda: clock.now())
    datacontenttype: str = "application/json"
    tenant: str | None = Field(
        default=None, description="TERYT code of the municipality; none for regional facts"
    )
    schemaversion: int = Field(default=1, description="Version of the data schema")
    data: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def wrap(
        cls,
        data: EventData,
        *,
        source: str,
        tenant: str | None,
        subject: str | None = None,
        event_id: uuid.UUID | None = None,
        time: datetime | None = None,
    ) -> Self:
        return cls(
            id=event_id or uuid.uuid4(),
            type=data.event_type,
            source=source,
            subject=subject,
            time=time or clock.now(),
            tenant=tenant,
            schemaversion=data.schema_version,
            data=data.model_dump(mode="json"),
        )

    def payload(self) -> EventData:
        """The typed data of this event, validated against its registered schema."""
        model = _REGISTRY.get(self.type)
        if model is None:
            raise UnknownEventType(self.type)
        return model.model_validate(self.data)


def parse_event(body: bytes | str) -> tuple[CloudEvent, EventData]:
    event = CloudEvent.model_validate_json(body)
    return event, event.payload()


def envelope_model(data: type[EventData]) -> type[CloudEvent]:
    """The CloudEvent of one event type with its `data` typed, for documentation (AsyncAPI)."""
    fixed_type: Any = Literal[data.event_type]  # a literal built at run time
    return create_model(
        f"{data.__name__}Event",
        __base__=CloudEvent,
        __doc__=(data.__doc__ or data.event_type).strip(),
        type=(fixed_type, Field(default=data.event_type)),
        data=(data, ...),
    )
