"""The transactional outbox: events are written in the same transaction as the change they record,
and a relay publishes them to JetStream afterwards, in order, with `Nats-Msg-Id` = event id.

The relay keeps working while NATS is down (it retries with back-off and catches up when NATS
returns); JetStream's duplicate window and the consumers' inbox absorb a re-publish.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

import asyncpg
from nats.aio.client import Client as NatsClient
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind
from sqlalchemy import Table, insert, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from shared.contracts.envelope import CloudEvent
from shared.db.engine import plain_url
from shared.messaging.streams import stream_for_subject
from shared.messaging.tables import NOTIFY_CHANNEL

log = logging.getLogger(__name__)
tracer = trace.get_tracer("shared.messaging.outbox")

MSG_ID_HEADER = "Nats-Msg-Id"


async def add_to_outbox(
    session: AsyncSession | AsyncConnection, outbox: Table, events: Sequence[CloudEvent]
) -> None:
    """Write events into the outbox inside the caller's transaction, with the current trace context
    so the consumer's work joins the trace of the request that caused it."""
    if not events:
        return
    headers: dict[str, str] = {}
    propagate.inject(headers)
    await session.execute(
        insert(outbox),
        [
            {
                "event_id": e.id,
                "subject": e.type,
                "tenant": e.tenant,
                "body": e.model_dump_json().encode(),
                "headers": headers,
            }
            for e in events
        ],
    )


_SELECT_BATCH = text(
    """
    SELECT seq, event_id, subject, body, headers FROM outbox
    WHERE published_at IS NULL
    ORDER BY seq
    LIMIT :limit
    FOR UPDATE SKIP LOCKED
    """
)
_MARK_PUBLISHED = text("UPDATE outbox SET published_at = now() WHERE seq = ANY(:seqs)")
_PURGE = text(
    "DELETE FROM outbox WHERE published_at IS NOT NULL "
    "AND published_at < now() - make_interval(secs => :keep)"
)
_ASYNC_COMMIT = text("SET LOCAL synchronous_commit = off")
# Only one relay instance publishes at a time, which keeps the order of the outbox on the stream.
_LEADER_LOCK = text("SELECT pg_try_advisory_xact_lock(hashtext('outbox-relay'))")


class OutboxRelay:
    """Publishes a service's outbox to JetStream. One `run()` task per service process."""

    def __init__(
        self,
        engine: AsyncEngine,
        connection: Callable[[], NatsClient | None],
        *,
        batch_size: int = 500,
        poll_interval: float = 1.0,
        publish_timeout: float = 5.0,
        keep_published_seconds: float = 24 * 3600,
    ) -> None:
        self.engine = engine
        self._connection = connection
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.publish_timeout = publish_timeout
        self.keep_published_seconds = keep_published_seconds
        self._wake = asyncio.Event()
        self.published = 0
        self._last_purge = 0.0

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        listener = await self._listen()
        backoff = 0.1
        try:
            while True:
                try:
                    count = await self.publish_batch()
                    backoff = 0.1
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # NATS down, DB restarting: retry, never give up
                    log.warning(
                        "outbox relay could not publish; will retry",
                        extra={"error": repr(exc), "retry_in_s": backoff},
                    )
                    await self._sleep(backoff)
                    backoff = min(backoff * 2, 2.0)
                    if listener is None or listener.is_closed():
                        listener = await self._listen()
                    continue
                if count == self.batch_size:
                    continue
                await self._maybe_purge()
                await self._sleep(self.poll_interval)
        finally:
            if listener is not None and not listener.is_closed():
                listener.terminate()  # never block a cancelled relay on a graceful close

    async def _sleep(self, seconds: float) -> None:
        """Sleep until woken (NOTIFY, broker connected) or for `seconds` at most.

        The wake-up is cleared after waiting, never before: a NOTIFY that arrived while the last
        batch was being published must not be lost (it would cost a whole poll interval).
        """
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._wake.wait()
        self._wake.clear()

    async def _listen(self) -> asyncpg.Connection | None:
        try:
            conn = await asyncpg.connect(plain_url(str(self.engine.url.render_as_string(False))))
            await conn.add_listener(NOTIFY_CHANNEL, lambda *_: self._wake.set())
            return conn
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning("outbox relay cannot LISTEN; polling instead", extra={"error": repr(exc)})
            return None

    async def publish_batch(self) -> int:
        """Publish one batch of pending events; returns how many were published."""
        nc = self._connection()
        if nc is None or not nc.is_connected:
            raise ConnectionError("NATS is not connected")
        js = nc.jetstream()
        async with self.engine.begin() as conn:
            # Losing this transaction's "published" mark in a crash only re-publishes the batch,
            # which JetStream's duplicate window and the consumers' inbox absorb: no need to wait
            # for its fsync before the next batch.
            await conn.execute(_ASYNC_COMMIT)
            if not (await conn.execute(_LEADER_LOCK)).scalar():
                return 0
            rows = (await conn.execute(_SELECT_BATCH, {"limit": self.batch_size})).all()
            if not rows:
                return 0
            spans: list[trace.Span] = []
            futures: list[asyncio.Future[Any]] = []
            try:
                for seq, event_id, subject, body, stored_headers in rows:
                    parent = propagate.extract(stored_headers or {})
                    span = tracer.start_span(
                        f"{subject} publish",
                        context=parent,
                        kind=SpanKind.PRODUCER,
                        attributes={
                            "messaging.system": "nats",
                            "messaging.destination.name": subject,
                            "messaging.message.id": str(event_id),
                            "cus.outbox.seq": seq,
                        },
                    )
                    spans.append(span)
                    headers: dict[str, str] = {MSG_ID_HEADER: str(event_id)}
                    propagate.inject(headers, context=trace.set_span_in_context(span))
                    futures.append(
                        await js.publish_async(
                            subject,
                            bytes(body),
                            headers=headers,
                            stream=stream_for_subject(subject).name,
                        )
                    )
                async with asyncio.timeout(self.publish_timeout):
                    await asyncio.gather(*futures)
            except BaseException:
                for f in futures:
                    f.cancel()
                raise
            finally:
                for span in spans:
                    span.end()
            await conn.execute(_MARK_PUBLISHED, {"seqs": [r[0] for r in rows]})
        self.published += len(rows)
        return len(rows)

    async def _maybe_purge(self) -> None:
        now = time.monotonic()
        if now - self._last_purge < 600:
            return
        self._last_purge = now
        async with self.engine.begin() as conn:
            await conn.execute(_PURGE, {"keep": self.keep_published_seconds})
