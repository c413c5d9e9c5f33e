"""The durable consumers: one per producing stream, each applying an event once (inbox) and
waking the delivery and e-mail workers after the commit."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from notifications.adapters.orm import inbox
from notifications.adapters.store import SqlStore
from notifications.context import Context
from notifications.service.intake import take_in
from shared.contracts import CloudEvent, EventData
from shared.messaging import STREAMS, ConsumerStats, RetryPolicy, register_consumer
from shared.runtime import Runtime

# The evaluation stream has no contracts yet: add it here when it does.
CONSUMED = ("partners", "basket", "cases")


def register(runtime: Runtime, context: Context) -> dict[str, ConsumerStats]:
    return {stream: _register(runtime, context, stream) for stream in CONSUMED}


def _register(runtime: Runtime, context: Context, stream: str) -> ConsumerStats:
    web = context.settings.web_base_url
    # Whether the events of this stream taken in since its last commit left deliveries or
    # e-mails: a worker woken for nothing still claims (a transaction and a query each time).
    # One per stream: a stream applies its batches one after another, streams in parallel.
    pending = {"deliveries": False, "mail": False}

    async def handle(session: AsyncSession, event: CloudEvent, data: EventData) -> None:
        store = SqlStore(session)
        await take_in(store, event, data, web)
        pending["deliveries"] |= store.deliveries_created > 0
        pending["mail"] |= store.emails_queued > 0

    def applied(_: CloudEvent) -> None:
        if pending["deliveries"] or pending["mail"]:
            context.wake(deliveries=pending["deliveries"], mail=pending["mail"])
            pending["deliveries"] = pending["mail"] = False

    return register_consumer(
        runtime.broker,
        stream=STREAMS[stream],
        durable=f"notifications-{stream}",
        sessions=runtime.sessions,
        inbox=inbox,
        handler=handle,
        on_applied=applied,
        retry=RetryPolicy(),
    )
