"""Durable JetStream consumers that apply each event exactly once.

A handler's effect and the event's id in the inbox table are committed in one transaction, so a
redelivery changes nothing. The message is acknowledged only after that commit. A failing message
is redelivered with back-off, up to a limit; then it is parked in the dead-letter stream with the
error and acknowledged, so the messages behind it keep flowing.

A durable push consumer with a deliver group (so several instances share the work) hands each
message, in order, to a local queue; one worker applies everything queued so far in a single
transaction (one commit for many events under load, no waiting when idle). If any message of a
batch fails, the batch is rolled back and its messages are applied one by one, so only the failing
one is retried. (Pull consumers were measured first: nats-py's batch fetch waits for a full batch
until its timeout, and shorter timeouts left messages with abandoned pull requests until
`ack_wait`; see docs/adr/0003-events-outbox-inbox.md.)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Annotated

from faststream import AckPolicy, Context
from faststream.nats import JStream, NatsBroker
from faststream.nats.message import NatsMessage
from nats.aio.msg import Msg
from nats.js.api import AckPolicy as JsAckPolicy
from nats.js.api import ConsumerConfig, DeliverPolicy
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind
from pydantic import ValidationError
from sqlalchemy import Table, TextClause, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.contracts.envelope import (
    CloudEvent,
    EventData,
    UnknownEventType,
    event_type_registry,
)
from shared.messaging.readmodel import ReadModel
from shared.messaging.streams import DLQ, StreamSpec

log = logging.getLogger(__name__)
tracer = trace.get_tracer("shared.messaging.consumer")

Handler = Callable[[AsyncSession, CloudEvent, EventData], Awaitable[None]]
Message = Annotated[NatsMessage, Context("message")]


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


async def park(broker: NatsBroker, durable: str, raw: Msg, error: str) -> None:
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


@dataclass
class DurableConsumer:
    """One durable consumer of one service: its queue, its worker and its counters."""

    durable: str
    stats: ConsumerStats
    queue: asyncio.Queue[Msg] = field(default_factory=asyncio.Queue)
    worker: asyncio.Task[None] | None = None
    # For the AsyncAPI document: its subscriber's title, the subjects it reads, and the contract
    # models it takes in.
    title: str = ""
    subjects: tuple[str, ...] = ()
    payloads: tuple[type[EventData], ...] = ()

    async def stop(self) -> None:
        if self.worker is not None:
            self.worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.worker
            self.worker = None


_CONSUMERS: dict[int, list[DurableConsumer]] = {}


def consumers_of(broker: NatsBroker) -> list[DurableConsumer]:
    return _CONSUMERS.get(id(broker), [])


async def stop_consumers(broker: NatsBroker) -> None:
    for consumer in consumers_of(broker):
        await consumer.stop()


def parse(raw: Msg) -> tuple[CloudEvent, EventData]:
    """The CloudEvent of a message and its typed payload, or PoisonMessage."""
    try:
        event = CloudEvent.model_validate_json(raw.data)
        return event, event.payload()
    except (ValidationError, UnknownEventType, ValueError) as exc:
        raise PoisonMessage(f"not a valid platform event: {exc}") from exc


@dataclass(frozen=True)
class Park:
    """Publish the message to the dead-letter stream with `error`, then acknowledge it."""

    error: str


@dataclass(frozen=True)
class Redeliver:
    """`nak` the message: JetStream redelivers it after `delay` seconds."""

    delay: float


def decide(exc: Exception, attempt: int, retry: RetryPolicy) -> Park | Redeliver:
    """What to do with a message whose `attempt`-th delivery failed with `exc`."""
    if isinstance(exc, PoisonMessage):
        return Park(str(exc))
    if attempt >= retry.max_attempts:
        return Park(f"{type(exc).__name__}: {exc}")
    return Redeliver(retry.delay(attempt))


@dataclass(frozen=True)
class InboxApplier:
    """Applies one event in a given transaction, once: records `(durable, event id)` in the inbox
    and runs the handler only if the id is new. Each message's work joins the trace of the
    request that produced it."""

    durable: str
    inbox: Table
    handler: Handler

    @property
    def insert_inbox(self) -> TextClause:
        return text(
            f"INSERT INTO {self.inbox.name} (consumer, event_id, subject) VALUES (:c, :e, :s) "
            "ON CONFLICT DO NOTHING RETURNING 1"
        )

    async def __call__(
        self, session: AsyncSession, raw: Msg, event: CloudEvent, payload: EventData
    ) -> bool:
        parent = propagate.extract(dict(raw.headers or {}))
        with tracer.start_as_current_span(
            f"{raw.subject} process",
            context=parent,
            kind=SpanKind.CONSUMER,
            attributes={
                "messaging.system": "nats",
                "messaging.consumer.group.name": self.durable,
                "messaging.destination.name": raw.subject,
                "messaging.message.id": str(event.id),
            },
        ):
            fresh = (
                await session.execute(
                    self.insert_inbox, {"c": self.durable, "e": event.id, "s": event.type}
                )
            ).scalar()
            if fresh:
                await self.handler(session, event, payload)
        return bool(fresh)


Parker = Callable[[Msg, str], Awaitable[None]]


@dataclass
class MessageApplier:
    """Applies received messages: a batch in one transaction, or one message with its retry or
    parking decision; counts them and reports what was applied after the commit."""

    durable: str
    sessions: async_sessionmaker[AsyncSession]
    apply: InboxApplier
    park: Parker
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    stats: ConsumerStats = field(default_factory=ConsumerStats)
    on_applied: Callable[[CloudEvent], None] | None = None

    def applied_now(self, events: list[CloudEvent]) -> None:
        self.stats.applied += len(events)
        if self.on_applied is not None:  # after the commit: for metrics and tests
            for event in events:
                self.on_applied(event)

    async def apply_batch(self, raws: list[Msg]) -> None:
        """The whole batch in one transaction: one commit (one fsync) for many events."""
        done: list[CloudEvent] = []
        duplicates = 0
        async with self.sessions() as session, session.begin():
            for raw in raws:
                event, payload = parse(raw)
                if await self.apply(session, raw, event, payload):
                    done.append(event)
                else:
                    duplicates += 1
        for raw in raws:
            await raw.ack()
        self.stats.duplicates += duplicates
        self.applied_now(done)

    async def apply_one(self, raw: Msg) -> None:
        attempt = raw.metadata.num_delivered
        try:
            event, payload = parse(raw)
            async with self.sessions() as session, session.begin():
                fresh = await self.apply(session, raw, event, payload)
        except Exception as exc:
            await self.settle_failure(raw, exc, attempt)
            return
        await raw.ack()
        if fresh:
            self.applied_now([event])
        else:
            self.stats.duplicates += 1

    async def settle_failure(self, raw: Msg, exc: Exception, attempt: int) -> None:
        where = {"consumer": self.durable, "subject": raw.subject}
        match decide(exc, attempt, self.retry):
            case Park(error) if isinstance(exc, PoisonMessage):
                log.error("parking an unreadable message", extra=where)
                await self._park(raw, error)
            case Park(error):
                log.error(
                    "parking a message after %d attempts",
                    attempt,
                    extra=where | {"error": repr(exc)},
                )
                await self._park(raw, error)
            case Redeliver(delay):
                log.warning(
                    "handler failed; will redeliver",
                    extra=where | {"attempt": attempt, "error": repr(exc)},
                )
                await raw.nak(delay=delay)
                self.stats.retried += 1

    async def _park(self, raw: Msg, error: str) -> None:
        await self.park(raw, error)
        await raw.ack()
        self.stats.parked += 1

    async def apply_received(self, raws: list[Msg]) -> None:
        """Everything received so far: in one transaction, or, if that fails (nothing of it was
        committed), one by one, so only the failing message is retried or parked."""
        if len(raws) > 1:
            try:
                await self.apply_batch(raws)
                return
            except Exception:
                log.info(
                    "batch failed; applying its messages one by one",
                    extra={"consumer": self.durable, "size": len(raws)},
                )
        for raw in raws:
            await self.apply_one(raw)


async def next_batch(queue: asyncio.Queue[Msg], batch_size: int) -> list[Msg]:
    """Waits for one message, then takes whatever else is queued, up to `batch_size`."""
    raws = [await queue.get()]
    while len(raws) < batch_size and not queue.empty():
        raws.append(queue.get_nowait())
    return raws


async def run_worker(queue: asyncio.Queue[Msg], batch_size: int, applier: MessageApplier) -> None:
    """The consumer's one worker: applies the queue's messages in order, batch after batch."""
    while True:
        raws = await next_batch(queue, batch_size)
        try:
            await applier.apply_received(raws)
        except asyncio.CancelledError:
            raise
        except Exception:  # e.g. the database is down: let JetStream redeliver later
            log.exception("consumer could not apply messages", extra={"consumer": applier.durable})


def subject_matches(pattern: str, subject: str) -> bool:
    """Whether NATS `subject` falls under `pattern` (`*` one token, `>` the rest)."""
    tokens, wanted = subject.split("."), pattern.split(".")
    for i, token in enumerate(wanted):
        if token == ">":
            return len(tokens) > i
        if i >= len(tokens) or token not in ("*", tokens[i]):
            return False
    return len(tokens) == len(wanted)


def payloads_of(handler: Handler, subjects: Sequence[str]) -> tuple[type[EventData], ...]:
    """The contract models a consumer takes in: a read model's own, else every registered one
    on its subjects."""
    if isinstance(handler, ReadModel):
        return handler.models
    return tuple(
        model
        for event_type, model in sorted(event_type_registry().items())
        if any(subject_matches(pattern, event_type) for pattern in subjects)
    )


def consumer_config(
    durable: str, subjects: Sequence[str], retry: RetryPolicy, batch_size: int
) -> ConsumerConfig:
    return ConsumerConfig(
        durable_name=durable,
        deliver_group=durable,
        ack_policy=JsAckPolicy.EXPLICIT,
        deliver_policy=DeliverPolicy.ALL,
        ack_wait=retry.ack_wait,
        # The server stops redelivering after this; we park well before it.
        max_deliver=retry.max_attempts + 3,
        max_ack_pending=batch_size * 4,
        filter_subjects=list(subjects) if len(subjects) > 1 else None,
    )


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
    batch_size: int = 256,
    stats: ConsumerStats | None = None,
    on_applied: Callable[[CloudEvent], None] | None = None,
    payloads: Sequence[type[EventData]] | None = None,
) -> ConsumerStats:
    """Declare a durable consumer on `stream` that feeds `handler` exactly once per event.

    `handler` may only touch the database through the session it is given: its effect must
    commit or roll back with the inbox record. `payloads` (by default those of a `ReadModel`
    handler, else every contract on the subjects) are documented in the AsyncAPI document.
    """
    retry = retry or RetryPolicy()
    stats = stats or ConsumerStats()
    subjects = list(filter_subjects or stream.subjects)
    title = f"{durable}:{stream.name}"
    consumer = DurableConsumer(
        durable,
        stats,
        title=title,
        subjects=tuple(subjects),
        payloads=tuple(payloads) if payloads is not None else payloads_of(handler, subjects),
    )
    _CONSUMERS.setdefault(id(broker), []).append(consumer)

    async def park_message(raw: Msg, error: str) -> None:
        await park(broker, durable, raw, error)

    applier = MessageApplier(
        durable,
        sessions,
        InboxApplier(durable, inbox, handler),
        park_message,
        retry,
        stats,
        on_applied,
    )

    @broker.subscriber(
        subjects[0] if len(subjects) == 1 else "",
        queue=durable,
        stream=JStream(stream.name, declare=False),
        durable=durable,
        config=consumer_config(durable, subjects, retry, batch_size),
        pending_msgs_limit=batch_size * 8,
        ack_policy=AckPolicy.MANUAL,
        title=title,
        description=f"Durable consumer {durable} of {', '.join(subjects)}",
    )
    async def receive(msg: Message) -> None:
        if consumer.worker is None or consumer.worker.done():
            consumer.worker = asyncio.create_task(
                run_worker(consumer.queue, batch_size, applier), name=f"consumer-{durable}"
            )
        consumer.queue.put_nowait(msg.raw_message)

    return stats
