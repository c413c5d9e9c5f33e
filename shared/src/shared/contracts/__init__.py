"""Event contracts: the CloudEvents envelope and one module of event schemas per producing service.

Imports only pydantic. Producers and consumers use these models; nobody defines their own copy.
Importing this package registers every event type (see `event_type_registry`).
"""

from shared.contracts import basket, cases, notifications, partners
from shared.contracts.envelope import (
    CloudEvent,
    EventData,
    UnknownEventType,
    event_type_registry,
    parse_event,
)

__all__ = [
    "CloudEvent",
    "EventData",
    "UnknownEventType",
    "basket",
    "cases",
    "event_type_registry",
    "notifications",
    "parse_event",
    "partners",
]
