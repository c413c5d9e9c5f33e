"""The webhook delivery worker: sends the deliveries the consumers recorded, signed, in order per
endpoint and object, retrying with back-off, disabling an endpoint that answers 410.

A batch is claimed with `FOR UPDATE SKIP LOCKED` (so instances and workers never send the same
row), sent concurrently, and its outcome committed in the same transaction. Stopping the service
lets a batch in flight finish (within the shutdown budget) so that nothing sent is left unmarked.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from notifications.adapters import disclosures
from notifications.adapters.facts import case_facts
from notifications.adapters.facts import sectors as institution_sectors
from notifications.adapters.webhook_client import WebhookClient
from notifications.domain.addresses import ForbiddenAddress
from notifications.domain.backoff import next_delay
from notifications.domain.entitlement import CaseFacts, reaches
from notifications.domain.signing import webhook_headers
from shared import clock
from shared.contracts.envelope import parse_event

log = logging.getLogger(__name__)

# Claimed per endpoint: a LATERAL scan of each active endpoint's pending rows in id order (the
# index on endpoint_id, status, id), so the plan stays an ordered index scan whatever the table's
# statistics say — a queue table that grows from empty is always mis-estimated, and the earlier
# single scan over all pending rows degraded into hash joins over the whole backlog (seconds per
# claim in the benchmark). Each endpoint gets an equal share of the batch, so one busy endpoint
# does not hold the others back. A row is claimable only when no earlier row for the same
# endpoint and object is pending (order per object).
_CLAIM = text(
    """
    SELECT d.id, d.event_id, d.endpoint_id, d.attempts, ev.body, e.url, e.secret,
           CASE WHEN e.previous_secret_expires_at > now() THEN e.previous_secret END,
           e.institution_id, ev.case_id, ev.tenant
    FROM endpoints e
    CROSS JOIN LATERAL (
        SELECT c.id, c.event_id, c.endpoint_id, c.attempts, c.event_seq
        FROM deliveries c
        WHERE c.endpoint_id = e.id AND c.status = 'pending' AND c.next_attempt_at <= now()
          AND NOT EXISTS (
            SELECT 1 FROM deliveries p
            WHERE p.endpoint_id = c.endpoint_id AND p.object_key = c.object_key
              AND p.status = 'pending' AND p.id < c.id)
        ORDER BY c.id
        LIMIT (SELECT greatest(5, ceil(CAST(:batch AS numeric) / greatest(1, count(*))))::int
               FROM endpoints WHERE active)
        FOR UPDATE OF c SKIP LOCKED
    ) d
    JOIN events ev ON ev.seq = d.event_seq
    WHERE e.active
    """
)
# A batch's outcomes in one statement each (arrays unnested), not one statement per row.
_DONE = text(
    """
    UPDATE deliveries d SET status = u.status, attempts = d.attempts + 1,
        last_status_code = u.code, last_error = u.error, next_attempt_at = u.next_at,
        delivered_at = CASE WHEN u.status = 'delivered' THEN now() END
    FROM unnest(CAST(:ids AS bigint[]), CAST(:statuses AS text[]), CAST(:codes AS int[]),
                CAST(:errors AS text[]), CAST(:next_ats AS timestamptz[]))
         AS u(id, status, code, error, next_at)
    WHERE d.id = u.id
    """
)
_LOG = text(
    """
    INSERT INTO delivery_attempts (delivery_id, endpoint_id, status_code, error, duration_ms)
    SELECT * FROM unnest(CAST(:ids AS bigint[]), CAST(:endpoints AS uuid[]),
                         CAST(:codes AS int[]), CAST(:errors AS text[]), CAST(:ms AS int[]))
    """
)
# Deliveries the consent no longer allows when their attempt comes (ADR 0036): never sent.
_CANCEL = text(
    "UPDATE deliveries SET status = 'cancelled', last_error = :reason "
    "WHERE id = ANY(CAST(:ids AS bigint[]))"
)
OUTSIDE_CONSENT = "outside the family's consent at delivery time"
_DISABLE = text(
    "UPDATE endpoints SET active = false, disabled_reason = :reason, updated_at = now() "
    "WHERE id = :id"
)


@dataclass
class Outcome:
    delivery_id: int
    endpoint_id: Any
    attempts: int
    status_code: int | None
    error: str | None
    ms: int


class DeliveryWorker:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clients: WebhookClient,
        *,
        delays: tuple[float, ...],
        jitter: float,
        batch: int,
        poll: float,
        on_delivered: Callable[[int], None] | None = None,
    ) -> None:
        self.sessions = sessions
        self.clients = clients
        self.delays = delays
        self.jitter = jitter
        self.batch = batch
        self.poll = poll
        self.wakeup = asyncio.Event()
        self.idle = False  # waiting for work (see Context.wake)
        self.on_delivered = on_delivered
        self.in_flight: asyncio.Future[int] | None = None

    def wake(self) -> None:
        self.wakeup.set()

    async def settle(self, timeout: float = 4.0) -> None:
        """Wait for the batch in flight (at shutdown, before the HTTP clients are closed)."""
        if self.in_flight is not None and not self.in_flight.done():
            await asyncio.wait({self.in_flight}, timeout=timeout)

    async def run(self) -> None:
        while True:
            self.wakeup.clear()
            batch = self.in_flight = asyncio.ensure_future(self.deliver_batch())
            try:
                claimed = await asyncio.shield(batch)
            except asyncio.CancelledError:
                # Let the sends in flight be recorded, or a restart would send them again.
                await asyncio.wait({batch}, timeout=4.0)
                raise
            if claimed == 0:  # each endpoint has a share of a batch: go on while there is work
                self.idle = True
                try:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self.wakeup.wait(), self.poll)
                finally:
                    self.idle = False

    async def deliver_batch(self) -> int:
        async with self.sessions() as session, session.begin():
            claimed = (await session.execute(_CLAIM, {"batch": self.batch})).all()
            if not claimed:
                return 0
            rows, cancelled = await _within_consent(session, claimed, clock.now())
            if cancelled:
                await session.execute(_CANCEL, {"ids": cancelled, "reason": OUTSIDE_CONSENT})
            if not rows:
                return len(claimed)
            outcomes = await asyncio.gather(*(self._send(*row) for row in rows))
            now = datetime.now(UTC)
            updates: list[dict[str, Any]] = []
            disabled: set[Any] = set()
            for o in outcomes:
                ok = o.status_code is not None and 200 <= o.status_code < 300
                status, next_at = "delivered", now
                if o.status_code == 410:
                    status = "dead"
                    disabled.add(o.endpoint_id)
                elif not ok:
                    delay = next_delay(o.attempts + 1, self.delays, self.jitter)
                    if delay is None:
                        status = "dead"
                    else:
                        status, next_at = "pending", now + timedelta(seconds=delay)
                updates.append({"id": o.delivery_id, "status": status, "next": next_at})
            await session.execute(
                _DONE,
                {
                    "ids": [u["id"] for u in updates],
                    "statuses": [u["status"] for u in updates],
                    "codes": [o.status_code for o in outcomes],
                    "errors": [o.error for o in outcomes],
                    "next_ats": [u["next"] for u in updates],
                },
            )
            await session.execute(
                _LOG,
                {
                    "ids": [o.delivery_id for o in outcomes],
                    "endpoints": [o.endpoint_id for o in outcomes],
                    "codes": [o.status_code for o in outcomes],
                    "errors": [o.error for o in outcomes],
                    "ms": [o.ms for o in outcomes],
                },
            )
            # What reached a receiver is a disclosure of the case's events (ADR 0029).
            await disclosures.record_webhooks(
                session, [o.delivery_id for o in outcomes if o.status_code is not None]
            )
            for endpoint_id in disabled:
                await session.execute(
                    _DISABLE, {"id": endpoint_id, "reason": "Odbiorca odpowiedział 410 Gone."}
                )
        delivered = sum(1 for u in updates if u["status"] == "delivered")
        if self.on_delivered is not None and delivered:
            self.on_delivered(delivered)
        return len(claimed)

    async def _send(
        self,
        delivery_id: int,
        event_id: Any,
        endpoint_id: Any,
        attempts: int,
        body: bytes,
        url: str,
        secret: str,
        previous: str | None,
    ) -> Outcome:
        secrets = [secret, *([previous] if previous else [])]
        headers = webhook_headers(secrets, str(event_id), int(time.time()), body)
        started = time.perf_counter()
        code: int | None = None
        error: str | None = None
        try:
            code = await self.clients.post(endpoint_id, url, body, headers)
            if not 200 <= code < 300:
                error = f"HTTP {code}"
        except ForbiddenAddress as exc:
            error = f"forbidden address: {exc}"
        except (OSError, TimeoutError) as exc:
            error = f"{type(exc).__name__}: {exc}"[:500]
        except Exception as exc:  # one odd failure must not roll back the whole batch
            log.exception("webhook delivery failed unexpectedly", extra={"delivery": delivery_id})
            error = f"{type(exc).__name__}: {exc}"[:500]
        ms = int((time.perf_counter() - started) * 1000)
        return Outcome(delivery_id, endpoint_id, attempts, code, error, ms)


async def _within_consent(
    session: AsyncSession, claimed: Sequence[Any], now: datetime
) -> tuple[list[tuple[Any, ...]], list[int]]:
    """The claimed deliveries the consent decision allows now — a case event's body as this
    endpoint's institution may receive it (a consent event trimmed to what concerns it) — and
    the ids of those it no longer allows."""
    case_rows = [r for r in claimed if r[9] is not None]
    facts = await case_facts(session, {r[9] for r in case_rows})
    sectors: dict[tuple[Any, Any], str | None] = {}
    for tenant in {r[10] for r in case_rows}:
        for institution, sector in (
            await institution_sectors(session, {r[8] for r in case_rows if r[10] == tenant}, tenant)
        ).items():
            sectors[(institution, tenant)] = sector
    send: list[tuple[Any, ...]] = []
    cancelled: list[int] = []
    for row in claimed:
        body = bytes(row[4])
        if row[9] is not None:
            body_out = _as_entitled(
                body, facts[row[9]], row[8], sectors.get((row[8], row[10])), now
            )
            if body_out is None:
                cancelled.append(row[0])
                continue
            body = body_out
        send.append((row[0], row[1], row[2], row[3], body, row[5], row[6], row[7]))
    return send, cancelled


def _as_entitled(
    body: bytes, facts: CaseFacts, institution: uuid.UUID | None, sector: str | None, now: datetime
) -> bytes | None:
    if institution is None:
        return None
    event, data = parse_event(body)
    allowed = reaches(event.type, data, facts, institution, sector, now)
    if allowed is None:
        return None
    if allowed is data:
        return body
    return (
        event.model_copy(update={"data": allowed.model_dump(mode="json")})
        .model_dump_json()
        .encode()
    )
