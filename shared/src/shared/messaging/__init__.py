"""Messaging: the JetStream stream layout, the broker factory, the outbox relay and the inbox."""

from shared.messaging.broker import make_broker, start_broker
from shared.messaging.consumer import (
    ConsumerStats,
    RetryPolicy,
    register_consumer,
    stop_consumers,
)
from shared.messaging.outbox import OutboxRelay, add_to_outbox
from shared.messaging.streams import DLQ, STREAMS, StreamSpec, ensure_streams, stream_for_subject
from shared.messaging.tables import inbox_table, outbox_table

__all__ = [
    "DLQ",
    "STREAMS",
    "ConsumerStats",
    "OutboxRelay",
    "RetryPolicy",
    "StreamSpec",
    "add_to_outbox",
    "ensure_streams",
    "inbox_table",
    "make_broker",
    "outbox_table",
    "register_consumer",
    "start_broker",
    "stop_consumers",
    "stream_for_subject",
]
