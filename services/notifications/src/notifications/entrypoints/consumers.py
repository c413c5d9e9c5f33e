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
    web = context.settings.web_base_url

    async def handle(session: AsyncSession, event: CloudEvent, data: EventData) -> None:
        await take_in(SqlStore(session), event, data, web)

    def applied(_: CloudEvent) -> None:
        context.wake()

    return {
        stream: register_consumer(
            runtime.broker,
            stream=STREAMS[stream],
            durable=f"notifications-{stream}",
            sessions=runtime.sessions,
            inbox=inbox,
            handler=handle,
            on_applied=applied,
            retry=RetryPolicy(),
        )
        for stream in CONSUMED
    }
