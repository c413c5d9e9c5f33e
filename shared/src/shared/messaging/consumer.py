"""Durable JetStream consumers that apply each event exactly once.

A handler's effect and the event's id in the inbox table are committed in one transaction, so a
redelivery changes nothing. The message is acknowledged only after that commit. A failing message
is redelivered with back-off, up to a limit; then it is parked in the dead-letter stream with the
error and acknowledged, so the messages behind it keep flowing.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from faststream import AckPolicy
from faststream.nats import JStream, NatsBroker, NatsMessage, PullSub
from nats.js.api import AckPolicy as JsAckPolicy
from nats.js.api import ConsumerConfig, DeliverPolicy
from pydantic import ValidationError
from sqlalchemy import Table, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.contracts.envelope import CloudEvent, EventData, UnknownEventType
from shared.messaging.streams import DLQ, StreamSpec

log = logging.getLogger(__name__)

Handler = Callable[[AsyncSession, CloudEvent, EventData], Awaitable[None]]


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    delays: tuple[float, ...] = field(default=(0.2, 1.0, 5.0, 15.0, 60.0))
    ack_wait: float = 30.0

    def delay(self, attempt: int) -> float:
        return self.delays[min(attempt, len(self.delays)) - 1]


class PoisonMessage(Exception):
    """A message that can never be handled (not a CloudEvent, unknown schema): park it at once."""


def dlq_subject(durable: str, subject: str) -> str:
    return f"dlq.{durable}.{subject}"


async def park(broker: NatsBroker, durable: str, msg: NatsMessage, error: str) -> None:
    raw = msg.raw_message
    original_id = (raw.headers or {}).get("Nats-Msg-Id", "")
    headers = {
        "Nats-Msg-Id": f"dlq-{durable}-{original_id or raw.metadata.sequence.stream}",
        "Cus-Error": error[:2000],
        "Cus-Consumer": durable,
        "Cus-Original-Subject": raw.subject,
        "Cus-Original-Stream-Seq": str(raw.metadata.sequence.stream),
        "Cus-Deliveries": str(raw.metadata.num_delivered),
    }
    await broker.connection.jetstream().publish(
        dlq_subject(durable, raw.subject), raw.data, headers=headers, stream=DLQ.name
    )


@dataclass
class ConsumerStats:
    applied: int = 0
    duplicates: int = 0
    retried: int = 0
    parked: int = 0


def register_consumer(
    broker: NatsBroker,
    *,
    stream: StreamSpec,
    durable: str,
    sessions: async_sessionmaker[AsyncSession],
    inbox: Table,
    handler: Handler,
    filter_subjects: Sequence[str] | None = None,
    retry: RetryPolicy | None = None,
    batch_size: int = 64,
    stats: ConsumerStats | None = None,
) -> ConsumerStats:
    """Declare a durable pull consumer on `stream` that feeds `handler` exactly once per event."""
    retry = retry or RetryPolicy()
    stats = stats or ConsumerStats()
    subjects = list(filter_subjects or stream.subjects)
    config = ConsumerConfig(
        durable_name=durable,
        ack_policy=JsAckPolicy.EXPLICIT,
        deliver_policy=DeliverPolicy.ALL,
        ack_wait=retry.ack_wait,
        # The server stops redelivering after this; we park well before it.
        max_deliver=retry.max_attempts + 3,
        max_ack_pending=1000,
        filter_subjects=subjects if len(subjects) > 1 else None,
    )
    insert_inbox = text(
        f"INSERT INTO {inbox.name} (consumer, event_id, subject) VALUES (:c, :e, :s) "
        "ON CONFLICT DO NOTHING RETURNING 1"
    )

    async def apply(body: bytes) -> bool:
        try:
            event = CloudEvent.model_validate_json(body)
            payload = event.payload()
        except (ValidationError, UnknownEventType, ValueError) as exc:
            raise PoisonMessage(f"not a valid platform event: {exc}") from exc
        async with sessions() as session, session.begin():
            fresh = (
                await session.execute(insert_inbox, {"c": durable, "e": event.id, "s": event.type})
            ).scalar()
            if not fresh:
                return False
            await handler(session, event, payload)
        return True

    @broker.subscriber(
        subjects[0] if len(subjects) == 1 else "",
        stream=JStream(stream.name, declare=False),
        durable=durable,
        config=config,
        pull_sub=PullSub(batch_size=batch_size, timeout=1.0),
        ack_policy=AckPolicy.MANUAL,
        title=f"{durable}:{stream.name}",
        description=f"Durable consumer {durable} of {', '.join(subjects)}",
    )
    async def consume(msg: NatsMessage) -> None:
        raw = msg.raw_message
        attempt = raw.metadata.num_delivered
        try:
            applied = await apply(raw.data)
        except PoisonMessage as exc:
            log.error(
                "parking an unreadable message", extra={"consumer": durable, "subject": raw.subject}
            )
            await park(broker, durable, msg, str(exc))
            await msg.ack()
            stats.parked += 1
            return
        except Exception as exc:
            if attempt >= retry.max_attempts:
                log.error(
                    "parking a message after %d attempts",
                    attempt,
                    extra={"consumer": durable, "subject": raw.subject, "error": repr(exc)},
                )
                await park(broker, durable, msg, f"{type(exc).__name__}: {exc}")
                await msg.ack()
                stats.parked += 1
            else:
                log.warning(
                    "handler failed; will redeliver",
                    extra={
                        "consumer": durable,
                        "subject": raw.subject,
                        "attempt": attempt,
                        "error": repr(exc),
                    },
                )
                await msg.nack(delay=retry.delay(attempt))
                stats.retried += 1
            return
        await msg.ack()
        if applied:
            stats.applied += 1
        else:
            stats.duplicates += 1

    return stats
